//! The running server's view of its signing keys: which one signs, which are published.
//!
//! Keys live in the store, so every server sharing it (and `understudy keys rotate-signing`)
//! agrees. Each use re-reads the small `signing_keys` table, so a rotation is seen at once;
//! opened private keys are cached by kid, so each is decrypted only once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{
    Jwks, KeyError, MasterKey, RETIRED_KEY_PUBLICATION, SigningKey, SigningKeyRecord, select_keys,
};
use crate::store::{Store, StoreError};

/// Why the keyring could not produce a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A key could not be generated, sealed or opened (wrong master key, altered row).
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Every stored key is retired and none was added.
    #[error("no active signing key")]
    NoActiveKey,
}

/// The signing keys of one server.
pub struct Keyring {
    store: Arc<dyn Store>,
    master: MasterKey,
    opened: Mutex<HashMap<String, Arc<SigningKey>>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").finish_non_exhaustive()
    }
}

impl Keyring {
    /// A keyring over `store` that loads nothing yet (see [`Keyring::load`]).
    pub fn new(store: Arc<dyn Store>, master: MasterKey) -> Self {
        Self {
            store,
            master,
            opened: Mutex::new(HashMap::new()),
        }
    }

    /// Loads the keys; when none is active, generates one, seals it and stores it ("insert
    /// if none", so two servers starting at once agree). Fails when the active key cannot
    /// be opened with `master`: a server that cannot sign must not start.
    pub async fn load(
        store: Arc<dyn Store>,
        master: MasterKey,
        now_ms: i64,
    ) -> Result<Self, KeyringError> {
        let keyring = Self::new(store, master);
        let records = keyring.store.list_signing_keys().await?;
        if select_keys(&records, now_ms, RETIRED_KEY_PUBLICATION)
            .active
            .is_none()
        {
            let key = tokio::task::spawn_blocking(SigningKey::generate)
                .await
                .map_err(|_| KeyError::Crypto("RSA key generation failed"))??;
            let record = SigningKeyRecord {
                key: key.seal(&keyring.master)?,
                created_at: now_ms,
                retired_at: None,
            };
            keyring.store.insert_first_signing_key(record).await?;
        }
        keyring.signer(now_ms).await?;
        Ok(keyring)
    }

    /// The key that signs new tokens at `now_ms`.
    pub async fn signer(&self, now_ms: i64) -> Result<Arc<SigningKey>, KeyringError> {
        let records = self.store.list_signing_keys().await?;
        let selection = select_keys(&records, now_ms, RETIRED_KEY_PUBLICATION);
        let active = selection.active.ok_or(KeyringError::NoActiveKey)?;
        if let Some(key) = self
            .opened
            .lock()
            .ok()
            .and_then(|o| o.get(&active.key.kid).cloned())
        {
            return Ok(key);
        }
        let key = Arc::new(active.key.open(&self.master)?);
        if let Ok(mut opened) = self.opened.lock() {
            opened.insert(active.key.kid.clone(), Arc::clone(&key));
        }
        Ok(key)
    }

    /// The published keys at `now_ms`: the signer first, then keys retired less than
    /// [`RETIRED_KEY_PUBLICATION`] ago.
    pub async fn jwks(&self, now_ms: i64) -> Result<Jwks, KeyringError> {
        let records = self.store.list_signing_keys().await?;
        let selection = select_keys(&records, now_ms, RETIRED_KEY_PUBLICATION);
        Ok(Jwks::new(
            selection.published.iter().map(|r| r.key.public_jwk.clone()),
        ))
    }
}
