//! Ids, secret keys and tokens: random, prefixed, and hashed for storage.

use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Characters of base62 needed for 256 bits (62^43 > 2^256).
const CHARS_FOR_256_BITS: usize = 43;
/// Characters of an id after its prefix, as long as Clerk's (about 160 bits).
const ID_CHARS: usize = 27;

/// `len` uniformly random base62 characters from the thread's CSPRNG.
pub fn random_base62(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(BASE62[rng.random_range(0..BASE62.len())]))
        .collect()
}

/// A new id with `prefix` (`act_`, `user_`, `ak_`, …).
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", random_base62(ID_CHARS))
}

/// A new actor-token id: `act_…`.
pub fn actor_token_id() -> String {
    new_id("act_")
}

/// A new user id: `user_…`.
pub fn user_id() -> String {
    new_id("user_")
}

/// A new email-address id: `idn_…`.
pub fn email_address_id() -> String {
    new_id("idn_")
}

/// A new secret-key id: `ak_…` (the key's handle; never the key).
pub fn secret_key_id() -> String {
    new_id("ak_")
}

/// A new audit-event id: `aud_…`.
pub fn audit_event_id() -> String {
    new_id("aud_")
}

/// A new trace id: 32 hex characters.
pub fn trace_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}

/// A new development secret key: `sk_test_` and 256 bits of randomness.
pub fn new_secret_key() -> String {
    format!("sk_test_{}", random_base62(CHARS_FOR_256_BITS))
}

/// A new actor-token ticket: 256 bits of randomness. Shown once, stored only hashed.
pub fn new_ticket() -> String {
    random_base62(CHARS_FOR_256_BITS)
}

/// The SHA-256 of a secret (key or ticket): the only form in which secrets are stored.
pub fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Compares two hashes in constant time.
pub fn hashes_equal(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_have_their_prefix_and_are_distinct() {
        let ids: HashSet<String> = (0..1000).map(|_| actor_token_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(
            ids.iter()
                .all(|id| id.starts_with("act_") && id.len() == 4 + 27)
        );
        assert!(user_id().starts_with("user_"));
        assert!(secret_key_id().starts_with("ak_"));
    }

    #[test]
    fn tickets_carry_256_bits_and_only_base62() {
        let t = new_ticket();
        assert_eq!(t.len(), 43);
        assert!(t.bytes().all(|b| BASE62.contains(&b)));
        // 62^43 exceeds 2^256: 43 * log2(62) = 256.03.
        assert!(43.0 * 62f64.log2() >= 256.0);
        assert!(new_secret_key().starts_with("sk_test_"));
    }

    #[test]
    fn hashes_compare_equal_only_when_equal() {
        let a = secret_hash("sk_test_a");
        assert!(hashes_equal(&a, &secret_hash("sk_test_a")));
        assert!(!hashes_equal(&a, &secret_hash("sk_test_b")));
        assert!(!hashes_equal(&a, &a[..31]));
        assert_eq!(trace_id().len(), 32);
    }
}
