//! Sessions: what accepting an actor token's ticket creates.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Actor;

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    /// Usable: tokens can be minted.
    Active,
    /// Revoked through the API.
    Revoked,
    /// Signed out.
    Ended,
    /// Past its hard cap (`expire_at`).
    Expired,
    /// Its user was deleted.
    Removed,
    /// Inactive for too long (`abandon_at`).
    Abandoned,
    /// Another sign-in in the same browser replaced it.
    Replaced,
    /// Not yet complete.
    Pending,
}

impl SessionStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
            Self::Ended => "ended",
            Self::Expired => "expired",
            Self::Removed => "removed",
            Self::Abandoned => "abandoned",
            Self::Replaced => "replaced",
            Self::Pending => "pending",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Active,
            Self::Revoked,
            Self::Ended,
            Self::Expired,
            Self::Removed,
            Self::Abandoned,
            Self::Replaced,
            Self::Pending,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A session, shaped as Clerk's so the official clients parse it. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Session {
    /// Always `session`.
    #[serde(default = "session_object")]
    pub object: String,
    /// `sess_…`
    pub id: String,
    /// The browser (client) the session lives in.
    pub client_id: String,
    /// The signed-in (impersonated) user.
    pub user_id: String,
    /// Where the session is in its life.
    pub status: SessionStatus,
    /// Last activity.
    pub last_active_at: i64,
    /// Always null here.
    #[serde(default)]
    pub last_active_organization_id: Option<String>,
    /// The actor token's actor payload when this is an impersonation session.
    #[serde(default)]
    pub actor: Option<Actor>,
    /// The hard end: never past creation + `session_max_duration_in_seconds`.
    pub expire_at: i64,
    /// When the session ends without further activity.
    pub abandon_at: i64,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

fn session_object() -> String {
    "session".to_owned()
}

impl Session {
    /// A session with every field given; `object` is filled in.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: impl Into<String>,
        client_id: impl Into<String>,
        user_id: impl Into<String>,
        status: SessionStatus,
        actor: Option<Actor>,
        last_active_at: i64,
        expire_at: i64,
        abandon_at: i64,
        created_at: i64,
        updated_at: i64,
    ) -> Self {
        Self {
            object: session_object(),
            id: id.into(),
            client_id: client_id.into(),
            user_id: user_id.into(),
            status,
            last_active_at,
            last_active_organization_id: None,
            actor,
            expire_at,
            abandon_at,
            created_at,
            updated_at,
        }
    }
}

/// `POST /v1/sessions/{id}/tokens` answers `{"object": "token", "jwt": "…"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionToken {
    /// Always `token`.
    #[serde(default = "token_object")]
    pub object: String,
    /// The session token, an RS256 JWT.
    pub jwt: String,
}

fn token_object() -> String {
    "token".to_owned()
}

impl SessionToken {
    /// Wraps a JWT.
    pub fn new(jwt: impl Into<String>) -> Self {
        Self {
            object: token_object(),
            jwt: jwt.into(),
        }
    }
}
