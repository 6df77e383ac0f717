//! The actor: who is doing the impersonating.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The impersonating party: `sub` (its user id) plus any further keys, kept in order and in
/// full. The whole object is copied into the session token's `act` claim.
///
/// ```
/// use clerk_models::Actor;
///
/// let actor = Actor::new("user_support").with("reason", "ticket #4711");
/// let json = serde_json::to_string(&actor).unwrap();
/// assert_eq!(json, r#"{"sub":"user_support","reason":"ticket #4711"}"#);
/// let back: Actor = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, actor);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    /// The id of the impersonating user.
    pub sub: String,
    /// Every other key of the actor object, in the order received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `act` claim of a session token (RFC 8693 §4.1): the current actor, the same object
/// that was given as `actor` when the actor token was created.
pub type Act = Actor;

impl Actor {
    /// An actor with only `sub`.
    pub fn new(sub: impl Into<String>) -> Self {
        Self {
            sub: sub.into(),
            extra: Map::new(),
        }
    }

    /// Adds (or replaces) an extra key. A key named `sub` sets [`Actor::sub`] when the value
    /// is a string, so the object can never hold two `sub`s.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        let key = key.into();
        let value = value.into();
        match (key.as_str(), value) {
            ("sub", Value::String(s)) => self.sub = s,
            (_, value) => {
                self.extra.insert(key, value);
            }
        }
        self
    }

    /// An extra key's value, such as the `reason` a support tool records.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.extra.get(key)
    }
}
