//! The claims of a session token.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Act;

/// Claims of a Clerk session token (an RS256 JWT of 60 s). `act` is present when the session
/// is an impersonation: it is the actor payload of the actor token that started it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionClaims {
    /// Issuer: the frontend API URL.
    pub iss: String,
    /// The signed-in (impersonated) user.
    pub sub: String,
    /// The session id.
    pub sid: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Not before, Unix seconds.
    pub nbf: i64,
    /// Expires, Unix seconds.
    pub exp: i64,
    /// Authorized party: the origin the token was minted for, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// Session-token format version (2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v: Option<u32>,
    /// The current actor (RFC 8693 §4.1), for impersonation sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Act>,
    /// Any other claim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SessionClaims {
    /// Claims with the required fields; `v` is 2, no `azp`, no `act`.
    pub fn new(
        iss: impl Into<String>,
        sub: impl Into<String>,
        sid: impl Into<String>,
        iat: i64,
        exp: i64,
    ) -> Self {
        Self {
            iss: iss.into(),
            sub: sub.into(),
            sid: sid.into(),
            iat,
            nbf: iat,
            exp,
            azp: None,
            v: Some(2),
            act: None,
            extra: Map::new(),
        }
    }
}
