//! Actor tokens: validating the create body, the stored record, and its lifecycle rules.

use clerk_models::actor_token::{
    DEFAULT_EXPIRES_IN_SECONDS, DEFAULT_SESSION_MAX_DURATION_IN_SECONDS,
};
use clerk_models::{Actor, ActorToken, ActorTokenStatus};
use serde_json::{Map, Number, Value};

use super::params::{NotAnObject, ParamError, json_type_name};

/// The parameters `POST /v1/actor_tokens` accepts.
pub const CREATE_PARAMS: &[&str] = &[
    "user_id",
    "actor",
    "expires_in_seconds",
    "session_max_duration_in_seconds",
];

/// The largest `actor` accepted, serialized as JSON (ours; Clerk documents no limit). The
/// actor is copied into every session token's `act` claim, and a token much larger than this
/// no longer fits a cookie or common proxy header limits.
pub const MAX_ACTOR_JSON_BYTES: usize = 4096;

/// The largest durations this instance accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationLimits {
    /// Largest `expires_in_seconds`.
    pub max_expires_in_seconds: i64,
    /// Largest `session_max_duration_in_seconds`.
    pub max_session_duration_in_seconds: i64,
}

/// A create request that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateActorToken {
    /// The user to impersonate.
    pub user_id: String,
    /// The impersonating party, in full.
    pub actor: Actor,
    /// How long the ticket can be used.
    pub expires_in_seconds: i64,
    /// The cap on the session the ticket creates.
    pub session_max_duration_in_seconds: i64,
}

/// Why a create body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateBodyError {
    /// The body is JSON but not an object.
    NotAnObject,
    /// One or more parameters are wrong, in a stable order (unknown first, then by field).
    Params(Vec<ParamError>),
}

impl From<NotAnObject> for CreateBodyError {
    fn from(_: NotAnObject) -> Self {
        Self::NotAnObject
    }
}

/// Validates a create body, reporting every wrong parameter with its contract code.
pub fn validate_create(
    body: &Value,
    limits: DurationLimits,
) -> Result<CreateActorToken, CreateBodyError> {
    let Value::Object(fields) = body else {
        return Err(CreateBodyError::NotAnObject);
    };
    let mut errors: Vec<ParamError> = fields
        .keys()
        .filter(|k| !CREATE_PARAMS.contains(&k.as_str()))
        .map(|k| ParamError::unknown(k))
        .collect();

    let user_id = required_string(fields, "user_id", &mut errors);
    let actor = actor(fields.get("actor"), &mut errors);
    let expires_in_seconds = duration(
        fields,
        "expires_in_seconds",
        DEFAULT_EXPIRES_IN_SECONDS,
        limits.max_expires_in_seconds,
        &mut errors,
    );
    let session_max_duration_in_seconds = duration(
        fields,
        "session_max_duration_in_seconds",
        DEFAULT_SESSION_MAX_DURATION_IN_SECONDS,
        limits.max_session_duration_in_seconds,
        &mut errors,
    );

    match (
        user_id,
        actor,
        expires_in_seconds,
        session_max_duration_in_seconds,
    ) {
        (Some(user_id), Some(actor), Some(e), Some(s)) if errors.is_empty() => {
            Ok(CreateActorToken {
                user_id,
                actor,
                expires_in_seconds: e,
                session_max_duration_in_seconds: s,
            })
        }
        _ => Err(CreateBodyError::Params(errors)),
    }
}

fn required_string(
    fields: &Map<String, Value>,
    name: &str,
    errors: &mut Vec<ParamError>,
) -> Option<String> {
    match fields.get(name) {
        None | Some(Value::Null) => {
            errors.push(ParamError::missing(name));
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            errors.push(ParamError::missing(name));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            errors.push(ParamError::invalid(
                name,
                format!("must be a string, not {}.", json_type_name(other)),
            ));
            None
        }
    }
}

fn actor(value: Option<&Value>, errors: &mut Vec<ParamError>) -> Option<Actor> {
    let fields = match value {
        None | Some(Value::Null) => {
            errors.push(ParamError::missing("actor"));
            return None;
        }
        Some(Value::Object(fields)) => fields,
        Some(other) => {
            errors.push(ParamError::invalid(
                "actor",
                format!("must be an object, not {}.", json_type_name(other)),
            ));
            return None;
        }
    };
    let sub = required_string(fields, "sub", &mut Vec::new());
    match (sub, fields.get("sub")) {
        (Some(sub), _) => {
            // Keep the caller's key order: it is copied into the `act` claim as given.
            let extra = fields
                .iter()
                .filter(|(k, _)| k.as_str() != "sub")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let actor = Actor { sub, extra };
            let size = serde_json::to_vec(&actor).map_or(usize::MAX, |json| json.len());
            if size > MAX_ACTOR_JSON_BYTES {
                errors.push(ParamError::invalid(
                    "actor",
                    format!(
                        "must be at most {MAX_ACTOR_JSON_BYTES} bytes as JSON (this one is \
                         {size}); it is copied into every session token."
                    ),
                ));
                return None;
            }
            Some(actor)
        }
        (
            None,
            Some(v @ (Value::Bool(_) | Value::Number(_) | Value::Array(_) | Value::Object(_))),
        ) => {
            errors.push(ParamError::invalid(
                "actor.sub",
                format!("must be a string, not {}.", json_type_name(v)),
            ));
            None
        }
        (None, _) => {
            errors.push(ParamError::missing("actor.sub"));
            None
        }
    }
}

fn duration(
    fields: &Map<String, Value>,
    name: &str,
    default: i64,
    max: i64,
    errors: &mut Vec<ParamError>,
) -> Option<i64> {
    let value = match fields.get(name) {
        // An instance whose maximum is below the default applies its maximum instead of
        // refusing a value the caller never sent.
        None | Some(Value::Null) => return Some(default.min(max)),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| not_an_i64(n, max)),
        Some(_) => Err(WHOLE_SECONDS.to_owned()),
    };
    match value {
        Err(why) => {
            errors.push(ParamError::invalid(name, why));
            None
        }
        Ok(s) if s <= 0 => {
            errors.push(ParamError::invalid(name, "must be greater than zero."));
            None
        }
        Ok(s) if s > max => {
            errors.push(ParamError::invalid(
                name,
                format!("must be at most {max} seconds on this instance."),
            ));
            None
        }
        Ok(s) => Some(s),
    }
}

const WHOLE_SECONDS: &str = "must be a whole number of seconds.";

/// Why a JSON number that is no `i64` is refused, in the words for a value of its kind:
/// `-0` is zero, integers past `i64` (parsed as `u64` or `f64`) are too large or too small,
/// the rest (`1.5`, `1e3`) are not written as whole numbers.
fn not_an_i64(n: &Number, max: i64) -> String {
    // 2^63: where i64 ends; f64 represents it exactly.
    const I64_END: f64 = 9_223_372_036_854_775_808.0;
    let f = n.as_f64().unwrap_or(f64::NAN);
    let whole = f.fract() == 0.0;
    if f == 0.0 || (whole && f <= -I64_END) {
        "must be greater than zero.".to_owned()
    } else if n.is_u64() || (whole && f >= I64_END) {
        format!("must be at most {max} seconds on this instance.")
    } else {
        WHOLE_SECONDS.to_owned()
    }
}

/// An actor token as stored: everything but the ticket, which is kept only as a hash.
#[derive(Debug, Clone, PartialEq)]
pub struct ActorTokenRecord {
    /// `act_…`
    pub id: String,
    /// Where the token is in its life.
    pub status: ActorTokenStatus,
    /// The impersonated user.
    pub user_id: String,
    /// The impersonating party.
    pub actor: Actor,
    /// After this instant (Unix ms) the ticket can no longer be used; the status stays.
    pub expires_at: i64,
    /// The cap on the session the ticket creates.
    pub session_max_duration_in_seconds: i64,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
}

impl ActorTokenRecord {
    /// A new pending token for a validated request, created at `now_ms`.
    pub fn new_pending(id: String, request: &CreateActorToken, now_ms: i64) -> Self {
        Self {
            id,
            status: ActorTokenStatus::Pending,
            user_id: request.user_id.clone(),
            actor: request.actor.clone(),
            expires_at: now_ms.saturating_add(request.expires_in_seconds.saturating_mul(1000)),
            session_max_duration_in_seconds: request.session_max_duration_in_seconds,
            created_at: now_ms,
            updated_at: now_ms,
        }
    }

    /// The wire object, without `token` and `url`.
    pub fn to_wire(&self) -> ActorToken {
        ActorToken::new(
            self.id.clone(),
            self.status,
            self.user_id.clone(),
            self.actor.clone(),
            self.created_at,
            self.updated_at,
        )
    }
}

/// The ticket URL: `{frontend_url}/v1/tickets/accept?ticket={ticket}`.
pub fn ticket_url(frontend_url: &str, ticket: &str) -> String {
    format!(
        "{}/v1/tickets/accept?ticket={ticket}",
        frontend_url.trim_end_matches('/')
    )
}

/// Whether a token in `status` can be revoked: only pending ones can.
pub fn can_revoke(status: ActorTokenStatus) -> bool {
    status == ActorTokenStatus::Pending
}

/// The `long_message` for revoking a token that is not pending.
pub fn cannot_revoke_message(status: ActorTokenStatus) -> String {
    format!(
        "Actor token cannot be revoked because its status is {status}. \
         Only pending tokens can be revoked."
    )
}

/// A filter for listing actor tokens (our extension).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActorTokenFilter {
    /// Only tokens impersonating this user.
    pub user_id: Option<String>,
    /// Only tokens of this actor.
    pub actor_sub: Option<String>,
    /// Only tokens in this status.
    pub status: Option<ActorTokenStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ParamErrorKind;
    use serde_json::json;

    const LIMITS: DurationLimits = DurationLimits {
        max_expires_in_seconds: 2_592_000,
        max_session_duration_in_seconds: 604_800,
    };

    fn params(body: Value) -> Vec<(ParamErrorKind, String)> {
        match validate_create(&body, LIMITS) {
            Err(CreateBodyError::Params(p)) => p.into_iter().map(|e| (e.kind, e.param)).collect(),
            other => panic!("expected parameter errors, got {other:?}"),
        }
    }

    #[test]
    fn a_full_body_validates_and_keeps_the_actor_whole() {
        let ok = validate_create(
            &json!({"user_id":"user_1","actor":{"sub":"user_2","reason":"t #1"},
                    "expires_in_seconds":600,"session_max_duration_in_seconds":300}),
            LIMITS,
        )
        .unwrap();
        assert_eq!(ok.user_id, "user_1");
        assert_eq!(ok.actor.sub, "user_2");
        assert_eq!(ok.actor.get("reason"), Some(&json!("t #1")));
        assert_eq!(
            (ok.expires_in_seconds, ok.session_max_duration_in_seconds),
            (600, 300)
        );
    }

    #[test]
    fn absent_durations_never_exceed_a_low_maximum() {
        let low = DurationLimits {
            max_expires_in_seconds: 60,
            max_session_duration_in_seconds: 30,
        };
        let ok = validate_create(&json!({"user_id":"u","actor":{"sub":"s"}}), low).unwrap();
        assert_eq!(
            (ok.expires_in_seconds, ok.session_max_duration_in_seconds),
            (60, 30)
        );
    }

    #[test]
    fn the_actor_keeps_its_key_order() {
        let body: Value = serde_json::from_str(
            r#"{"user_id":"u","actor":{"sub":"s","reason":"r","support":true,"camelCaseKey":1}}"#,
        )
        .unwrap();
        let ok = validate_create(&body, LIMITS).unwrap();
        assert_eq!(
            serde_json::to_string(&ok.actor).unwrap(),
            r#"{"sub":"s","reason":"r","support":true,"camelCaseKey":1}"#
        );
    }

    #[test]
    fn durations_default_when_absent_or_null() {
        let ok = validate_create(
            &json!({"user_id":"u","actor":{"sub":"s"},"expires_in_seconds":null}),
            LIMITS,
        )
        .unwrap();
        assert_eq!(
            (ok.expires_in_seconds, ok.session_max_duration_in_seconds),
            (3600, 1800)
        );
    }

    #[test]
    fn missing_fields_are_form_param_missing_with_their_names() {
        use ParamErrorKind::*;
        assert_eq!(
            params(json!({"actor":{"sub":"s"}})),
            vec![(Missing, "user_id".into())]
        );
        assert_eq!(
            params(json!({"user_id":"u"})),
            vec![(Missing, "actor".into())]
        );
        assert_eq!(
            params(json!({"user_id":"u","actor":{"reason":"x"}})),
            vec![(Missing, "actor.sub".into())]
        );
        assert_eq!(
            params(json!({"user_id":"  ","actor":{"sub":""}})),
            vec![(Missing, "user_id".into()), (Missing, "actor.sub".into())]
        );
    }

    #[test]
    fn wrong_types_and_bad_durations_are_value_invalid() {
        use ParamErrorKind::*;
        assert_eq!(
            params(json!({"user_id":1,"actor":"x"})),
            vec![
                (ValueInvalid, "user_id".into()),
                (ValueInvalid, "actor".into())
            ]
        );
        assert_eq!(
            params(json!({"user_id":"u","actor":{"sub":7}})),
            vec![(ValueInvalid, "actor.sub".into())]
        );
        for bad in [
            json!(0),
            json!(-1),
            json!(1.5),
            json!("60"),
            json!(2_592_001),
            json!(true),
        ] {
            assert_eq!(
                params(json!({"user_id":"u","actor":{"sub":"s"},"expires_in_seconds":bad})),
                vec![(ValueInvalid, "expires_in_seconds".into())]
            );
        }
        assert_eq!(
            params(
                json!({"user_id":"u","actor":{"sub":"s"},"session_max_duration_in_seconds":604_801})
            ),
            vec![(ValueInvalid, "session_max_duration_in_seconds".into())]
        );
    }

    #[test]
    fn odd_numbers_get_the_message_of_what_they_are() {
        for (raw, says) in [
            ("-0", "greater than zero"),
            ("-0.0", "greater than zero"),
            ("-9223372036854775809", "greater than zero"),
            ("9223372036854775808", "at most 2592000"),
            ("18446744073709551616", "at most 2592000"),
            ("1.5", "whole number"),
            ("1e3", "whole number"),
        ] {
            let body: Value = serde_json::from_str(&format!(
                r#"{{"user_id":"u","actor":{{"sub":"s"}},"expires_in_seconds":{raw}}}"#
            ))
            .unwrap();
            let Err(CreateBodyError::Params(errors)) = validate_create(&body, LIMITS) else {
                panic!("{raw} must be refused")
            };
            assert_eq!(errors.len(), 1, "{raw}");
            assert_eq!(errors[0].kind, ParamErrorKind::ValueInvalid, "{raw}");
            assert_eq!(errors[0].param, "expires_in_seconds", "{raw}");
            assert!(
                errors[0].long_message.contains(says),
                "{raw}: {}",
                errors[0].long_message
            );
        }
    }

    #[test]
    fn the_actor_is_capped_at_four_kib_as_json() {
        // `{"sub":"s","pad":""}` is 20 bytes.
        let with_pad = |n: usize| json!({"user_id":"u","actor":{"sub":"s","pad":"x".repeat(n)}});
        let ok = validate_create(&with_pad(MAX_ACTOR_JSON_BYTES - 20), LIMITS).unwrap();
        assert_eq!(
            serde_json::to_vec(&ok.actor).unwrap().len(),
            MAX_ACTOR_JSON_BYTES
        );
        let Err(CreateBodyError::Params(errors)) =
            validate_create(&with_pad(MAX_ACTOR_JSON_BYTES - 19), LIMITS)
        else {
            panic!("one byte over the cap must be refused")
        };
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].kind, errors[0].param.as_str()),
            (ParamErrorKind::ValueInvalid, "actor")
        );
        assert!(
            errors[0].long_message.contains("at most 4096 bytes"),
            "{}",
            errors[0].long_message
        );
    }

    #[test]
    fn unknown_fields_are_reported_first_and_non_objects_refused() {
        use ParamErrorKind::*;
        assert_eq!(
            params(json!({"user_id":"u","actor":{"sub":"s"},"extra":1})),
            vec![(Unknown, "extra".into())]
        );
        assert_eq!(
            validate_create(&json!([1]), LIMITS),
            Err(CreateBodyError::NotAnObject)
        );
    }

    #[test]
    fn only_pending_tokens_can_be_revoked() {
        assert!(can_revoke(ActorTokenStatus::Pending));
        assert!(!can_revoke(ActorTokenStatus::Accepted));
        assert!(!can_revoke(ActorTokenStatus::Revoked));
        assert_eq!(
            cannot_revoke_message(ActorTokenStatus::Accepted),
            "Actor token cannot be revoked because its status is accepted. \
             Only pending tokens can be revoked."
        );
    }

    #[test]
    fn records_expire_after_their_duration_and_urls_join_cleanly() {
        let req = CreateActorToken {
            user_id: "u".into(),
            actor: Actor::new("s"),
            expires_in_seconds: 60,
            session_max_duration_in_seconds: 30,
        };
        let r = ActorTokenRecord::new_pending("act_1".into(), &req, 1_000);
        assert_eq!(r.expires_at, 61_000);
        assert_eq!(r.to_wire().status, ActorTokenStatus::Pending);
        assert_eq!(
            ticket_url("http://h:1/", "abc"),
            "http://h:1/v1/tickets/accept?ticket=abc"
        );
    }
}
