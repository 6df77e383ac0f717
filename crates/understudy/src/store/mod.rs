//! Persistence behind one async trait, shaped so SQLite (embedded, the default) and PostgreSQL
//! (several servers, later) can both implement it. Every operation that must be atomic is one
//! method the backend makes atomic; the domain never reads-then-writes.

pub mod flow;
pub mod flow_suite;
pub mod sqlite;
pub mod suite;

use clerk_models::User;
use futures::future::BoxFuture;

use crate::domain::actor_token::{ActorTokenFilter, ActorTokenRecord};
use crate::domain::pagination::PageRequest;
use crate::domain::session::{SessionFilter, SessionRecord};
use crate::keys::SigningKeyRecord;

pub use flow::{
    AcceptOutcome, AcceptRequest, Accepted, AuditFilter, NewClient, SessionRevokeOutcome,
    TouchOutcome,
};
pub use sqlite::SqliteStore;

/// What a store operation returns.
pub type StoreFuture<'a, T> = BoxFuture<'a, Result<T, StoreError>>;

/// A store failure: the backend broke or is closed. Business outcomes (not found, quota used
/// up) are not errors; they are the `Ok` variants of each operation's outcome type.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Backend(String),
    /// A stored row could not be read back (corrupt JSON, unknown status).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The store was closed.
    #[error("the store is closed")]
    Closed,
    /// Another user already has this username or email address (`param` names which);
    /// nothing was written.
    #[error("another user already has the {param} {value:?}")]
    IdentifierExists {
        /// `username` or `email_address`, as the create parameter is named.
        param: &'static str,
        /// The value as given.
        value: String,
    },
}

/// A secret key as stored: its id and hash, never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKeyRecord {
    /// `ak_…`
    pub id: String,
    /// SHA-256 of the key.
    pub key_hash: [u8; 32],
    /// A note for people ("development key", "ci").
    pub label: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms; `Some` once revoked.
    pub revoked_at: Option<i64>,
}

/// One append-only audit row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEvent {
    /// `aud_…`
    pub id: String,
    /// Unix ms.
    pub occurred_at: i64,
    /// `actor_token.created`, `actor_token.revoked`, `actor_token.accepted`, `session.ended`.
    pub action: String,
    /// The secret key's id (never the key) that authorised the request.
    pub secret_key_id: Option<String>,
    /// The impersonating party.
    pub actor_sub: Option<String>,
    /// The impersonated user.
    pub user_id: Option<String>,
    /// The actor token concerned.
    pub actor_token_id: Option<String>,
    /// The session concerned.
    pub session_id: Option<String>,
    /// The request's trace id.
    pub trace_id: Option<String>,
    /// The actor's `reason`, when it gave one as a string.
    pub reason: Option<String>,
}

/// The monthly impersonation quota to enforce on a create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Tokens allowed since `since_ms`.
    pub limit: u64,
    /// Start of the current period (Unix ms).
    pub since_ms: i64,
}

/// What creating an actor token did.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateTokenOutcome {
    /// Stored, with its audit row.
    Created(ActorTokenRecord),
    /// No user has the token's `user_id`; nothing stored.
    UserNotFound,
    /// The quota is used up; nothing stored.
    LimitExceeded {
        /// The quota.
        limit: u64,
        /// Tokens created in the period so far.
        used: u64,
    },
}

/// What revoking an actor token did.
#[derive(Debug, Clone, PartialEq)]
pub enum RevokeOutcome {
    /// It was pending and is now revoked, with its audit row.
    Revoked(ActorTokenRecord),
    /// No token has that id.
    NotFound,
    /// It was not pending; unchanged.
    NotPending(ActorTokenRecord),
}

/// The persistence operations the server needs.
pub trait Store: Send + Sync + 'static {
    /// Makes a key valid: inserts it when its hash is unknown, un-revokes it when revoked.
    /// Returns the stored record.
    fn ensure_secret_key(&self, key: SecretKeyRecord) -> StoreFuture<'_, SecretKeyRecord>;
    /// Inserts `key` only when no secret key exists at all (atomically). Whether it did.
    fn insert_first_secret_key(&self, key: SecretKeyRecord) -> StoreFuture<'_, bool>;
    /// The key with this hash, revoked or not.
    fn find_secret_key(&self, key_hash: [u8; 32]) -> StoreFuture<'_, Option<SecretKeyRecord>>;
    /// Every key, oldest first.
    fn list_secret_keys(&self) -> StoreFuture<'_, Vec<SecretKeyRecord>>;
    /// Revokes a key by id. Whether a not-yet-revoked key with that id existed.
    fn revoke_secret_key(&self, id: String, now_ms: i64) -> StoreFuture<'_, bool>;

    /// Inserts users, all in one transaction.
    fn insert_users(&self, users: Vec<User>) -> StoreFuture<'_, ()>;
    /// The user with this id.
    fn get_user(&self, id: String) -> StoreFuture<'_, Option<User>>;
    /// Atomically deletes a user and ends its active sessions (status `removed`, one
    /// `session.ended` row each from `end_audit`). Its pending tokens stay pending but can no
    /// longer be accepted (the user is gone). Whether it existed.
    fn delete_user(&self, id: String, now_ms: i64, end_audit: AuditEvent) -> StoreFuture<'_, bool>;
    /// A page of users, newest first, and how many exist.
    fn list_users(&self, page: PageRequest) -> StoreFuture<'_, (Vec<User>, u64)>;

    /// Atomically: checks the user exists, checks `quota` (tokens created since its start),
    /// inserts the token with its ticket hash and the audit row.
    fn create_actor_token(
        &self,
        token: ActorTokenRecord,
        ticket_hash: [u8; 32],
        quota: Option<Quota>,
        audit: AuditEvent,
    ) -> StoreFuture<'_, CreateTokenOutcome>;
    /// Atomically: revokes the token if pending (setting `updated_at`) and writes the audit
    /// row, filling its `user_id`, `actor_sub` and `reason` from the token when absent.
    fn revoke_actor_token(
        &self,
        id: String,
        now_ms: i64,
        audit: AuditEvent,
    ) -> StoreFuture<'_, RevokeOutcome>;
    /// The token with this id.
    fn get_actor_token(&self, id: String) -> StoreFuture<'_, Option<ActorTokenRecord>>;
    /// A page of tokens matching `filter`, newest first, and how many match.
    fn list_actor_tokens(
        &self,
        filter: ActorTokenFilter,
        page: PageRequest,
    ) -> StoreFuture<'_, (Vec<ActorTokenRecord>, u64)>;

    /// A page of audit events matching `filter`, newest first, and how many match.
    fn list_audit_events(
        &self,
        filter: AuditFilter,
        page: PageRequest,
    ) -> StoreFuture<'_, (Vec<AuditEvent>, u64)>;

    /// Atomically: finds the token by ticket hash; compare-and-set pending and unexpired ->
    /// accepted; checks its user exists; finds or creates the browser's client; ends the
    /// client's other active sessions (`replaced`); creates the session; writes the audit
    /// rows (`audit` is the `actor_token.accepted` row, completed from the token).
    fn accept_ticket(
        &self,
        request: AcceptRequest,
        audit: AuditEvent,
    ) -> StoreFuture<'_, AcceptOutcome>;
    /// Atomically: records activity on an active session (`last_active_at`, `abandon_at`;
    /// never `expire_at`), or, when time ended it, persists `expired`/`abandoned` with a
    /// `session.ended` row from `end_audit`.
    fn touch_session(
        &self,
        id: String,
        now_ms: i64,
        end_audit: AuditEvent,
    ) -> StoreFuture<'_, TouchOutcome>;
    /// Atomically: revokes the session if active at `now_ms`, with its `session.ended` row.
    fn revoke_session(
        &self,
        id: String,
        now_ms: i64,
        audit: AuditEvent,
    ) -> StoreFuture<'_, SessionRevokeOutcome>;
    /// The session with this id, as stored (ask it for its status at a time).
    fn get_session(&self, id: String) -> StoreFuture<'_, Option<SessionRecord>>;
    /// A page of sessions matching `filter` (status computed at `now_ms`), newest first.
    fn list_sessions(
        &self,
        filter: SessionFilter,
        now_ms: i64,
        page: PageRequest,
    ) -> StoreFuture<'_, (Vec<SessionRecord>, u64)>;
    /// The newest session of the client whose cookie has this hash, as it stands at `now_ms`.
    fn session_for_client(
        &self,
        cookie_hash: [u8; 32],
        now_ms: i64,
    ) -> StoreFuture<'_, Option<SessionRecord>>;

    /// Every signing key, oldest first.
    fn list_signing_keys(&self) -> StoreFuture<'_, Vec<SigningKeyRecord>>;
    /// Inserts `key` only when no key is active (atomically). Whether it did.
    fn insert_first_signing_key(&self, key: SigningKeyRecord) -> StoreFuture<'_, bool>;
    /// Atomically: every key not retired by `key.created_at` retires then, and `key` is
    /// inserted to sign from then on (now, or later for a rotation that publishes first).
    fn rotate_signing_key(&self, key: SigningKeyRecord) -> StoreFuture<'_, ()>;

    /// Finishes every queued write, then stops accepting new ones.
    fn close(&self) -> BoxFuture<'_, ()>;
}
