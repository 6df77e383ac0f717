//! The actor token and the body that creates one.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Actor;

/// Default for [`CreateActorTokenRequestBody::expires_in_seconds`]: one hour.
pub const DEFAULT_EXPIRES_IN_SECONDS: i64 = 3600;
/// Default for [`CreateActorTokenRequestBody::session_max_duration_in_seconds`]: 30 minutes.
pub const DEFAULT_SESSION_MAX_DURATION_IN_SECONDS: i64 = 1800;

/// Where an actor token is in its life. There is no `expired`: an expired token stays
/// `pending` but can no longer be used.
///
/// An unknown value is a parse error that names the value and the known ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorTokenStatus {
    /// Created, not yet used nor revoked.
    Pending,
    /// Its ticket was accepted: a session exists.
    Accepted,
    /// Revoked before use.
    Revoked,
}

impl ActorTokenStatus {
    /// The wire spelling: `pending`, `accepted` or `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Revoked => "revoked",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "accepted" => Some(Self::Accepted),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
}

impl fmt::Display for ActorTokenStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An actor token, as `POST /v1/actor_tokens` and `POST /v1/actor_tokens/{id}/revoke` return it.
/// Unknown fields in a response are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ActorToken {
    /// Always `actor_token`.
    #[serde(default = "actor_token_object")]
    pub object: String,
    /// `act_…`
    pub id: String,
    /// Where the token is in its life.
    pub status: ActorTokenStatus,
    /// The impersonated user.
    pub user_id: String,
    /// The impersonating party, in full.
    pub actor: Actor,
    /// The secret ticket; only in the create response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// `{frontend_api}/v1/tickets/accept?ticket={token}`; only in the create response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

fn actor_token_object() -> String {
    "actor_token".to_owned()
}

impl ActorToken {
    /// A token without `token` and `url` (set them on the returned value when creating).
    pub fn new(
        id: impl Into<String>,
        status: ActorTokenStatus,
        user_id: impl Into<String>,
        actor: Actor,
        created_at: i64,
        updated_at: i64,
    ) -> Self {
        Self {
            object: actor_token_object(),
            id: id.into(),
            status,
            user_id: user_id.into(),
            actor,
            token: None,
            url: None,
            created_at,
            updated_at,
        }
    }
}

/// The body of `POST /v1/actor_tokens`. Both durations are always sent, as the official
/// clients do, filled with their defaults (3600 s and 1800 s) unless set.
///
/// ```
/// use clerk_models::{Actor, CreateActorTokenRequestBody};
///
/// let body = CreateActorTokenRequestBody::new("user_1", Actor::new("user_2"))
///     .expires_in_seconds(600)
///     .session_max_duration_in_seconds(300);
/// assert_eq!(body.expires_in_seconds, 600);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CreateActorTokenRequestBody {
    /// The user to impersonate.
    pub user_id: String,
    /// The impersonating party; must hold `sub`.
    pub actor: Actor,
    /// How long the token can be used, in seconds.
    #[serde(default = "default_expires_in_seconds")]
    pub expires_in_seconds: i64,
    /// The hard cap on the session the token creates, in seconds.
    #[serde(default = "default_session_max_duration_in_seconds")]
    pub session_max_duration_in_seconds: i64,
}

fn default_expires_in_seconds() -> i64 {
    DEFAULT_EXPIRES_IN_SECONDS
}

fn default_session_max_duration_in_seconds() -> i64 {
    DEFAULT_SESSION_MAX_DURATION_IN_SECONDS
}

impl CreateActorTokenRequestBody {
    /// The required fields; the durations take their defaults.
    pub fn new(user_id: impl Into<String>, actor: Actor) -> Self {
        Self {
            user_id: user_id.into(),
            actor,
            expires_in_seconds: DEFAULT_EXPIRES_IN_SECONDS,
            session_max_duration_in_seconds: DEFAULT_SESSION_MAX_DURATION_IN_SECONDS,
        }
    }

    /// Sets how long the token can be used, in seconds.
    pub fn expires_in_seconds(mut self, seconds: i64) -> Self {
        self.expires_in_seconds = seconds;
        self
    }

    /// Sets the cap on the session the token creates, in seconds.
    pub fn session_max_duration_in_seconds(mut self, seconds: i64) -> Self {
        self.session_max_duration_in_seconds = seconds;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn token_and_url_may_be_absent_null_or_present() {
        let base = json!({"object":"actor_token","id":"act_1","status":"pending","user_id":"user_1",
            "actor":{"sub":"user_2"},"created_at":1,"updated_at":2});
        let absent: ActorToken = serde_json::from_value(base.clone()).unwrap();
        assert_eq!(absent.token, None);
        let mut with_null = base.clone();
        with_null["token"] = Value::Null;
        with_null["url"] = Value::Null;
        let null: ActorToken = serde_json::from_value(with_null).unwrap();
        assert_eq!(null.url, None);
        let mut present = base;
        present["token"] = json!("tok");
        present["url"] = json!("https://x/v1/tickets/accept?ticket=tok");
        let p: ActorToken = serde_json::from_value(present).unwrap();
        assert_eq!(p.token.as_deref(), Some("tok"));
    }

    use serde_json::Value;

    #[test]
    fn unknown_fields_are_tolerated_and_unknown_status_is_a_clear_error() {
        let t: ActorToken = serde_json::from_value(json!({"id":"act_1","status":"accepted",
            "user_id":"u","actor":{"sub":"s"},"created_at":1,"updated_at":1,"new_field":[1]}))
        .unwrap();
        assert_eq!(t.status, ActorTokenStatus::Accepted);
        assert_eq!(t.object, "actor_token");
        let err = serde_json::from_value::<ActorToken>(json!({"id":"act_1","status":"expired",
            "user_id":"u","actor":{"sub":"s"},"created_at":1,"updated_at":1}))
        .unwrap_err()
        .to_string();
        assert!(err.contains("expired") && err.contains("pending"), "{err}");
    }

    #[test]
    fn actor_extra_keys_survive_a_round_trip_in_order() {
        let raw = r#"{"sub":"user_2","reason":"ticket","z":1,"a":{"nested":[true,null]}}"#;
        let actor: Actor = serde_json::from_str(raw).unwrap();
        assert_eq!(serde_json::to_string(&actor).unwrap(), raw);
    }

    #[test]
    fn create_body_sends_defaults_explicitly_and_rejects_unknown_fields() {
        let body = CreateActorTokenRequestBody::new("user_1", Actor::new("user_2"));
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"user_id":"user_1","actor":{"sub":"user_2"},"expires_in_seconds":3600,
                   "session_max_duration_in_seconds":1800})
        );
        assert!(
            serde_json::from_value::<CreateActorTokenRequestBody>(
                json!({"user_id":"u","actor":{"sub":"s"},"extra":1})
            )
            .is_err()
        );
    }

    #[test]
    fn status_strings_round_trip() {
        for s in [
            ActorTokenStatus::Pending,
            ActorTokenStatus::Accepted,
            ActorTokenStatus::Revoked,
        ] {
            assert_eq!(ActorTokenStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), json!(s.to_string()));
        }
        assert_eq!(ActorTokenStatus::parse("expired"), None);
    }
}
