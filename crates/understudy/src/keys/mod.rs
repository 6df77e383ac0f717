//! Signing keys, the JWKS and session-token minting.
//!
//! No I/O here except reading or creating the master key file: the store persists
//! [`SigningKeyRecord`]s (a [`SealedSigningKey`] plus dates), and [`select_keys`] says which
//! one signs and which are published.
//!
//! ```
//! use understudy::keys::{Jwks, MasterKey, SigningKey};
//! use clerk_models::{Actor, SessionClaims};
//!
//! let master = MasterKey::from_bytes([7; 32]);
//! let key = SigningKey::generate()?;
//! let stored = key.seal(&master)?;              // what the store keeps
//! let key = stored.open(&master)?;              // on start-up
//! let mut claims = SessionClaims::new("http://127.0.0.1:3000", "user_1", "sess_1", 1_700_000_000, 1_700_000_060);
//! claims.act = Some(Actor::new("user_support"));
//! let jwt = key.mint(&claims)?;
//! let jwks = Jwks::new([key.public_jwk().clone()]);   // GET /v1/jwks
//! assert_eq!(jwt.split('.').count(), 3);
//! assert_eq!(jwks.keys[0].kid, key.kid());
//! # Ok::<(), understudy::keys::KeyError>(())
//! ```

mod error;
mod jwks;
mod keyring;
mod master;
mod rotation;
mod sealed;
mod signing;

pub use error::KeyError;
pub use jwks::{Jwk, Jwks};
pub use keyring::{Keyring, KeyringError};
pub use master::{MASTER_KEY_ENV, MASTER_KEY_LEN, MasterKey};
pub use rotation::{
    KeySelection, RETIRED_KEY_PUBLICATION, ROTATION_PUBLISH_LEAD, SESSION_TOKEN_LIFETIME,
    SigningKeyRecord, VERIFIER_CLOCK_SKEW, select_keys,
};
pub use sealed::SealedSigningKey;
pub use signing::SigningKey;

/// One RSA key shared by the tests of this module: generating RSA-2048 costs ~100 ms.
#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::OnceLock;

    use super::SigningKey;

    pub(crate) fn signing_key() -> &'static SigningKey {
        static KEY: OnceLock<SigningKey> = OnceLock::new();
        KEY.get_or_init(|| SigningKey::generate().expect("RSA key generation"))
    }
}
