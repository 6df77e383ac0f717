//! The keys a running server uses: the opened signer and the JWKS, from the stored records.

use std::sync::Arc;
use std::time::Duration;

use clerk_models::SessionClaims;

use super::{Jwks, KeyError, MasterKey, SigningKey, SigningKeyRecord, select_keys};

/// A snapshot of the key records at one instant: the active key opened for signing, and the
/// JWKS to publish. Cheap to clone. Rebuild it after a rotation, and at least every
/// [`RETIRED_KEY_PUBLICATION`](super::RETIRED_KEY_PUBLICATION) so retired keys leave the JWKS.
#[derive(Debug, Clone)]
pub struct KeyRing {
    signer: Option<Arc<SigningKey>>,
    jwks: Arc<Jwks>,
}

impl KeyRing {
    /// Opens the active key of `records` at `now` (Unix ms) with `master`, and lists the
    /// published public keys. Only the active key is decrypted, so a wrong master key is
    /// reported here, at start-up, not at the first mint.
    pub fn load(
        records: &[SigningKeyRecord],
        master: &MasterKey,
        now: i64,
        keep_retired_for: Duration,
    ) -> Result<Self, KeyError> {
        let selection = select_keys(records, now, keep_retired_for);
        let signer = selection
            .active
            .map(|record| record.key.open(master).map(Arc::new))
            .transpose()?;
        let jwks = Jwks::new(
            selection
                .published
                .iter()
                .map(|record| record.key.public_jwk.clone()),
        );
        Ok(Self {
            signer,
            jwks: Arc::new(jwks),
        })
    }

    /// The key that signs, if any key is active.
    pub fn signer(&self) -> Option<&SigningKey> {
        self.signer.as_deref()
    }

    /// The body of `GET /v1/jwks`.
    pub fn jwks(&self) -> &Jwks {
        &self.jwks
    }

    /// Signs `claims` with the active key.
    pub fn mint(&self, claims: &SessionClaims) -> Result<String, KeyError> {
        self.signer().ok_or(KeyError::NoActiveKey)?.mint(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{RETIRED_KEY_PUBLICATION, SealedSigningKey};

    fn master() -> MasterKey {
        MasterKey::from_bytes([3; 32])
    }

    fn sealed(key: &SigningKey) -> SealedSigningKey {
        key.seal(&master()).unwrap()
    }

    #[test]
    fn empty_store_has_no_signer_and_an_empty_jwks() {
        let ring = KeyRing::load(&[], &master(), 0, RETIRED_KEY_PUBLICATION).unwrap();
        assert!(ring.signer().is_none());
        assert!(ring.jwks().keys.is_empty());
        let claims = SessionClaims::new("iss", "user_1", "sess_1", 0, 60);
        assert!(matches!(ring.mint(&claims), Err(KeyError::NoActiveKey)));
        assert_eq!(
            serde_json::to_string(ring.jwks()).unwrap(),
            r#"{"keys":[]}"#
        );
    }

    #[test]
    fn after_rotation_the_new_key_signs_and_both_are_published() {
        let old = crate::keys::test_support::signing_key();
        let new = SigningKey::generate().unwrap();
        let mut retired = SigningKeyRecord::new(sealed(old), 1_000);
        retired.retired_at = Some(2_000);
        let records = [retired, SigningKeyRecord::new(sealed(&new), 2_000)];
        let ring = KeyRing::load(&records, &master(), 3_000, RETIRED_KEY_PUBLICATION).unwrap();
        assert_eq!(ring.signer().unwrap().kid(), new.kid());
        let kids: Vec<_> = ring.jwks().keys.iter().map(|k| k.kid.as_str()).collect();
        assert_eq!(kids, [new.kid(), old.kid()]);
        let claims = SessionClaims::new("iss", "user_1", "sess_1", 0, 60);
        let token = ring.mint(&claims).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(new.kid()));
    }

    #[test]
    fn wrong_master_key_fails_at_load() {
        let records = [SigningKeyRecord::new(
            sealed(crate::keys::test_support::signing_key()),
            1,
        )];
        let wrong = MasterKey::from_bytes([4; 32]);
        assert!(matches!(
            KeyRing::load(&records, &wrong, 2, RETIRED_KEY_PUBLICATION),
            Err(KeyError::OpenFailed { .. })
        ));
    }

    #[test]
    fn records_round_trip_through_json() {
        let record = SigningKeyRecord::new(sealed(crate::keys::test_support::signing_key()), 1);
        let json = serde_json::to_string(&record).unwrap();
        assert_eq!(
            serde_json::from_str::<SigningKeyRecord>(&json).unwrap(),
            record
        );
    }
}
