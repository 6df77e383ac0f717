//! Signing keys sealed at rest under the master key (AES-256-GCM).

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use serde::{Deserialize, Serialize};

use super::{Jwk, KeyError, MasterKey, SigningKey};

/// First byte of the sealed format, so a later format can be told apart.
const FORMAT_V1: u8 = 1;

/// Binds the ciphertext to its purpose as well as to its kid.
const AAD_PREFIX: &[u8] = b"understudy/signing-key/v1/";

/// A signing key as the store keeps it: the public half in clear, the private half sealed.
///
/// `sealed_private` is `[1][12-byte random nonce][AES-256-GCM(PKCS#8 DER) + 16-byte tag]`,
/// with the kid as associated data, so bytes moved to another row do not open.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedSigningKey {
    /// The key id.
    pub kid: String,
    /// The public key, as published in the JWKS.
    pub public_jwk: Jwk,
    /// The sealed private key.
    pub sealed_private: Vec<u8>,
}

impl SigningKey {
    /// Seals the private key under `master` for storage.
    pub fn seal(&self, master: &MasterKey) -> Result<SealedSigningKey, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce)
            .map_err(|_| KeyError::Crypto("random generation failed"))?;
        let mut in_out = self.pkcs8_der()?;
        aead_key(master)?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(self.kid())),
                &mut *in_out,
            )
            .map_err(|_| KeyError::Crypto("AES-GCM sealing failed"))?;
        let mut sealed_private = Vec::with_capacity(1 + NONCE_LEN + in_out.len());
        sealed_private.push(FORMAT_V1);
        sealed_private.extend_from_slice(&nonce);
        sealed_private.extend_from_slice(&in_out);
        Ok(SealedSigningKey {
            kid: self.kid().to_owned(),
            public_jwk: self.public_jwk().clone(),
            sealed_private,
        })
    }
}

impl SealedSigningKey {
    /// Opens the private key. A wrong master key, altered bytes, or a kid or public key
    /// that does not belong to the private key each give a typed error.
    pub fn open(&self, master: &MasterKey) -> Result<SigningKey, KeyError> {
        let kid = || self.kid.clone();
        let (version, rest) = self
            .sealed_private
            .split_first()
            .ok_or_else(|| KeyError::SealedFormat { kid: kid() })?;
        if *version != FORMAT_V1 || rest.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(KeyError::SealedFormat { kid: kid() });
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| KeyError::SealedFormat { kid: kid() })?;
        let mut in_out = zeroize::Zeroizing::new(ciphertext.to_vec());
        let plaintext = aead_key(master)?
            .open_in_place(nonce, Aad::from(aad(&self.kid)), &mut in_out)
            .map_err(|_| KeyError::OpenFailed { kid: kid() })?;
        let key = SigningKey::from_pkcs8(plaintext)?;
        if key.kid() != self.kid || *key.public_jwk() != self.public_jwk {
            return Err(KeyError::KeyMismatch { kid: kid() });
        }
        Ok(key)
    }
}

impl fmt::Debug for SealedSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedSigningKey")
            .field("kid", &self.kid)
            .field("sealed_private_len", &self.sealed_private.len())
            .finish_non_exhaustive()
    }
}

fn aead_key(master: &MasterKey) -> Result<LessSafeKey, KeyError> {
    let key = UnboundKey::new(&AES_256_GCM, master.as_bytes())
        .map_err(|_| KeyError::Crypto("AES-256-GCM key setup failed"))?;
    Ok(LessSafeKey::new(key))
}

fn aad(kid: &str) -> Vec<u8> {
    [AAD_PREFIX, kid.as_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::test_support::signing_key;

    fn master(byte: u8) -> MasterKey {
        MasterKey::from_bytes([byte; 32])
    }

    #[test]
    fn seal_then_open_gives_the_same_key() {
        let key = signing_key();
        let sealed = key.seal(&master(1)).unwrap();
        assert_eq!(sealed.kid, key.kid());
        assert_eq!(&sealed.public_jwk, key.public_jwk());
        let opened = sealed.open(&master(1)).unwrap();
        assert_eq!(opened.public_jwk(), key.public_jwk());
        assert_eq!(*opened.pkcs8_der().unwrap(), *key.pkcs8_der().unwrap());
    }

    #[test]
    fn sealing_twice_uses_fresh_nonces() {
        let key = signing_key();
        let a = key.seal(&master(1)).unwrap();
        let b = key.seal(&master(1)).unwrap();
        assert_ne!(a.sealed_private, b.sealed_private);
    }

    #[test]
    fn sealed_bytes_do_not_contain_the_private_key() {
        let key = signing_key();
        let sealed = key.seal(&master(1)).unwrap();
        let der = key.pkcs8_der().unwrap();
        assert!(!sealed.sealed_private.windows(32).any(|w| w == &der[40..72]));
    }

    #[test]
    fn wrong_master_key_is_a_typed_error() {
        let sealed = signing_key().seal(&master(1)).unwrap();
        assert!(matches!(
            sealed.open(&master(2)),
            Err(KeyError::OpenFailed { kid }) if kid == sealed.kid
        ));
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let sealed = signing_key().seal(&master(1)).unwrap();
        // Every position of the version byte, the nonce, some ciphertext, and the tag.
        let len = sealed.sealed_private.len();
        let positions = (0..1 + NONCE_LEN + 4).chain(len - 20..len);
        for i in positions {
            let mut tampered = sealed.clone();
            tampered.sealed_private[i] ^= 0x01;
            let result = tampered.open(&master(1));
            assert!(
                matches!(
                    result,
                    Err(KeyError::OpenFailed { .. } | KeyError::SealedFormat { .. })
                ),
                "byte {i}: {result:?}"
            );
        }
    }

    #[test]
    fn truncated_or_empty_bytes_are_a_format_error() {
        let sealed = signing_key().seal(&master(1)).unwrap();
        for len in [0, 1, NONCE_LEN, 1 + NONCE_LEN + 15] {
            let mut short = sealed.clone();
            short.sealed_private.truncate(len);
            assert!(
                matches!(short.open(&master(1)), Err(KeyError::SealedFormat { .. })),
                "len {len}"
            );
        }
        let mut cut = sealed.clone();
        cut.sealed_private.pop();
        assert!(matches!(
            cut.open(&master(1)),
            Err(KeyError::OpenFailed { .. })
        ));
    }

    #[test]
    fn bytes_moved_to_another_kid_do_not_open() {
        let sealed = signing_key().seal(&master(1)).unwrap();
        let mut moved = sealed.clone();
        moved.kid = "some-other-kid".into();
        assert!(matches!(
            moved.open(&master(1)),
            Err(KeyError::OpenFailed { .. })
        ));
    }

    #[test]
    fn a_swapped_public_key_is_detected() {
        let sealed = signing_key().seal(&master(1)).unwrap();
        let other = SigningKey::generate().unwrap();
        let mut swapped = sealed.clone();
        swapped.public_jwk = other.public_jwk().clone();
        assert!(matches!(
            swapped.open(&master(1)),
            Err(KeyError::KeyMismatch { .. })
        ));
    }

    #[test]
    fn debug_does_not_dump_the_ciphertext() {
        let sealed = signing_key().seal(&master(1)).unwrap();
        let printed = format!("{sealed:?}");
        assert!(printed.contains(&sealed.kid));
        assert!(printed.contains("sealed_private_len"));
        assert!(printed.len() < 200);
    }

    #[test]
    fn sealed_key_round_trips_through_json() {
        let sealed = signing_key().seal(&master(1)).unwrap();
        let json = serde_json::to_string(&sealed).unwrap();
        let back: SealedSigningKey = serde_json::from_str(&json).unwrap();
        assert_eq!(back, sealed);
        back.open(&master(1)).unwrap();
    }
}
