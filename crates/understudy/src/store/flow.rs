//! What the store's impersonation-flow operations take and answer: accepting a ticket,
//! touching and ending sessions, signing keys and audit filters.

use crate::domain::actor_token::ActorTokenRecord;
use crate::domain::session::SessionRecord;
use crate::domain::ticket::AcceptRefusal;

/// Everything accepting a ticket needs besides the audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptRequest {
    /// SHA-256 of the ticket.
    pub ticket_hash: [u8; 32],
    /// The instant of the accept (Unix ms).
    pub now_ms: i64,
    /// The id the new session gets (`sess_…`).
    pub session_id: String,
    /// SHA-256 of the `__client` cookie the browser sent, if any.
    pub presented_client_hash: Option<[u8; 32]>,
    /// The client to create when the browser has none the store knows.
    pub new_client: NewClient,
}

/// A browser identity to create: its id and the SHA-256 of its cookie value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClient {
    /// `client_…`
    pub id: String,
    /// SHA-256 of the cookie value.
    pub cookie_hash: [u8; 32],
}

/// A successful accept: the token is accepted and the session exists, with audit rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// The token, accepted.
    pub token: ActorTokenRecord,
    /// The new active session.
    pub session: SessionRecord,
    /// Whether the store created [`AcceptRequest::new_client`] (so its cookie must be set).
    pub new_client: bool,
    /// The ids of the browser's sessions this one replaced.
    pub replaced: Vec<String>,
}

/// What accepting a ticket did.
#[derive(Debug, Clone, PartialEq)]
pub enum AcceptOutcome {
    /// Accepted.
    Accepted(Box<Accepted>),
    /// Nothing changed, for this reason.
    Refused(AcceptRefusal),
}

/// What touching a session (to mint a token) did.
#[derive(Debug, Clone, PartialEq)]
pub enum TouchOutcome {
    /// Active; activity recorded.
    Touched(SessionRecord),
    /// Not active (now or before); the record shows its status.
    NotActive(SessionRecord),
    /// No session has that id.
    NotFound,
}

/// What revoking a session did.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionRevokeOutcome {
    /// It was active and is now revoked, with its audit row.
    Revoked(SessionRecord),
    /// It had already ended; the record shows how.
    NotActive(SessionRecord),
    /// No session has that id.
    NotFound,
}

/// A filter for the audit log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only events about this user.
    pub user_id: Option<String>,
    /// Only events of this actor.
    pub actor_sub: Option<String>,
}
