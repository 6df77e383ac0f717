//! Property tests: any JSON body gets a typed answer from the validators, never a panic,
//! and what passes is within the instance's limits.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use understudy::domain::ParamErrorKind;
use understudy::domain::actor_token::{CreateBodyError, DurationLimits, validate_create};

const LIMITS: DurationLimits = DurationLimits {
    max_expires_in_seconds: 1000,
    max_session_duration_in_seconds: 500,
};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Bodies that look like create bodies, with each field sometimes wrong.
fn create_like() -> impl Strategy<Value = Value> {
    let field = |name: &'static str, good: BoxedStrategy<Value>| {
        prop_oneof![Just(None), good.prop_map(Some), json_value().prop_map(Some)]
            .prop_map(move |v| (name, v))
    };
    (
        field("user_id", "user_[a-z]{1,5}".prop_map(Value::String).boxed()),
        field(
            "actor",
            "[a-z]{0,4}".prop_map(|s| json!({"sub": s, "k": 1})).boxed(),
        ),
        field(
            "expires_in_seconds",
            (-5i64..2000).prop_map(|n| json!(n)).boxed(),
        ),
        field(
            "session_max_duration_in_seconds",
            (-5i64..1000).prop_map(|n| json!(n)).boxed(),
        ),
        proptest::option::of(("[a-z]{1,6}", json_value())),
    )
        .prop_map(|(a, b, c, d, extra)| {
            let mut m = Map::new();
            for (k, v) in [a, b, c, d] {
                if let Some(v) = v {
                    m.insert(k.to_owned(), v);
                }
            }
            if let Some((k, v)) = extra {
                m.insert(k, v);
            }
            Value::Object(m)
        })
}

proptest! {
    #[test]
    fn arbitrary_json_never_panics(body in json_value()) {
        let _ = validate_create(&body, LIMITS);
        let _ = understudy::domain::user::validate_create(&body, 0);
    }

    #[test]
    fn accepted_bodies_are_within_limits_and_refusals_name_their_params(body in create_like()) {
        match validate_create(&body, LIMITS) {
            Ok(ok) => {
                prop_assert!((1..=1000).contains(&ok.expires_in_seconds));
                prop_assert!((1..=500).contains(&ok.session_max_duration_in_seconds));
                prop_assert!(!ok.user_id.trim().is_empty());
                prop_assert!(!ok.actor.sub.trim().is_empty());
                prop_assert!(!ok.actor.extra.contains_key("sub"));
            }
            Err(CreateBodyError::Params(errors)) => {
                prop_assert!(!errors.is_empty());
                for e in errors {
                    prop_assert!(!e.param.is_empty());
                    if e.kind == ParamErrorKind::Unknown {
                        prop_assert!(body.get(&e.param).is_some());
                    }
                }
            }
            Err(CreateBodyError::NotAnObject) => prop_assert!(!body.is_object()),
        }
    }
}
