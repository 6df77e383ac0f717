//! The administrative operations behind `understudy keys …` (secret and signing keys) and
//! `understudy users …`.
//! Each opens the database directly; a running server sees the changes at once.

use clerk_models::User;
use serde_json::Value;

use crate::clock::{Clock, SystemClock};
use crate::config::sqlite_path;
use crate::domain::pagination::PageRequest;
use crate::domain::user::{CreateUserError, validate_create};
use crate::domain::{ParamError, ids};
use crate::error::Error;
use crate::keys::{
    KeyringError, MasterKey, RETIRED_KEY_PUBLICATION, SigningKey, SigningKeyRecord, select_keys,
};
use crate::store::{SecretKeyRecord, SqliteStore, Store};

async fn open(database_url: &str) -> Result<SqliteStore, Error> {
    let path = sqlite_path(database_url)?;
    tokio::task::spawn_blocking(move || SqliteStore::open(&path))
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?
        .map_err(Error::from)
}

/// Creates a secret key; returns its record and the key itself (shown once, stored hashed).
pub async fn create_key(
    database_url: &str,
    label: Option<String>,
) -> Result<(SecretKeyRecord, String), Error> {
    let store = open(database_url).await?;
    let key = ids::new_secret_key();
    let record = SecretKeyRecord {
        id: ids::secret_key_id(),
        key_hash: ids::secret_hash(&key),
        label,
        created_at: SystemClock.now_ms(),
        revoked_at: None,
    };
    let record = store.ensure_secret_key(record).await?;
    store.close().await;
    Ok((record, key))
}

/// Every secret key (ids and labels, never keys).
pub async fn list_keys(database_url: &str) -> Result<Vec<SecretKeyRecord>, Error> {
    let store = open(database_url).await?;
    let keys = store.list_secret_keys().await?;
    store.close().await;
    Ok(keys)
}

/// Revokes a key by id. Whether an unrevoked key with that id existed.
pub async fn revoke_key(database_url: &str, id: &str) -> Result<bool, Error> {
    let store = open(database_url).await?;
    let revoked = store
        .revoke_secret_key(id.to_owned(), SystemClock.now_ms())
        .await?;
    store.close().await;
    Ok(revoked)
}

/// The JSON a key is listed as: id, label, times, never the key or its hash.
pub fn key_json(record: &SecretKeyRecord) -> Value {
    serde_json::json!({
        "object": "secret_key",
        "id": record.id,
        "label": record.label,
        "created_at": record.created_at,
        "revoked_at": record.revoked_at,
    })
}

fn describe(errors: &[ParamError]) -> String {
    errors
        .iter()
        .map(|e| e.long_message.clone())
        .collect::<Vec<_>>()
        .join(" ")
}

fn user_from(body: &Value, now: i64) -> Result<User, Error> {
    validate_create(body, now).map_err(|e| match e {
        CreateUserError::NotAnObject => Error::Input("a user must be a JSON object".into()),
        CreateUserError::Params(p) => Error::Input(describe(&p)),
    })
}

/// Creates one user from a body shaped as `POST /v1/users` takes it.
pub async fn create_user(database_url: &str, body: &Value) -> Result<User, Error> {
    let user = user_from(body, SystemClock.now_ms())?;
    let store = open(database_url).await?;
    store.insert_users(vec![user.clone()]).await?;
    store.close().await;
    Ok(user)
}

/// Imports users from a JSON array of create bodies, or one body per line (NDJSON). All are
/// validated first and inserted in one transaction: all or none.
pub async fn import_users(database_url: &str, text: &str) -> Result<Vec<User>, Error> {
    let bodies: Vec<Value> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).map_err(|e| Error::Input(format!("not a JSON array: {e}")))?
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map_err(|e| Error::Input(format!("line {}: not JSON: {e}", i + 1)))
            })
            .collect::<Result<_, _>>()?
    };
    let now = SystemClock.now_ms();
    let users = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| user_from(b, now).map_err(|e| Error::Input(format!("user {}: {e}", i + 1))))
        .collect::<Result<Vec<_>, _>>()?;
    let store = open(database_url).await?;
    store.insert_users(users.clone()).await?;
    store.close().await;
    Ok(users)
}

/// A page of users, newest first, and how many exist.
pub async fn list_users(database_url: &str, page: PageRequest) -> Result<(Vec<User>, u64), Error> {
    let store = open(database_url).await?;
    let result = store.list_users(page).await?;
    store.close().await;
    Ok(result)
}

/// Adds a new signing key that signs from `publish_lead` from now (zero: at once; see
/// [`crate::keys::ROTATION_PUBLISH_LEAD`] to publish first), retiring the current one then;
/// the old key stays published until its tokens have expired. Refuses when `master` cannot
/// open the current key: every server must be able to open the new one with the master key
/// it already has. Returns the new kid.
pub async fn rotate_signing_key(
    database_url: &str,
    master: &MasterKey,
    publish_lead: std::time::Duration,
) -> Result<String, Error> {
    let store = open(database_url).await?;
    let result = rotate_in(&store, master, publish_lead).await;
    store.close().await;
    result
}

async fn rotate_in(
    store: &SqliteStore,
    master: &MasterKey,
    publish_lead: std::time::Duration,
) -> Result<String, Error> {
    let now = SystemClock.now_ms();
    let lead_ms = i64::try_from(publish_lead.as_millis()).unwrap_or(i64::MAX);
    let records = store.list_signing_keys().await?;
    if let Some(active) = select_keys(&records, now, RETIRED_KEY_PUBLICATION).active {
        active.key.open(master).map_err(KeyringError::from)?;
    }
    let key = tokio::task::spawn_blocking(SigningKey::generate)
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?
        .map_err(KeyringError::from)?;
    let record = SigningKeyRecord {
        key: key.seal(master).map_err(KeyringError::from)?,
        created_at: now.saturating_add(lead_ms),
        retired_at: None,
    };
    store.rotate_signing_key(record).await?;
    Ok(key.kid().to_owned())
}
