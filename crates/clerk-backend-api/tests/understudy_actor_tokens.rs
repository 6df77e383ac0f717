//! The SDK against a real Understudy started in-process on a loopback port.

use std::time::Duration;

use clerk_backend_api::funcs::{actor_tokens_create, actor_tokens_revoke};
use clerk_backend_api::models::{Actor, ActorTokenStatus, CreateActorTokenRequestBody, codes};
use clerk_backend_api::{Clerk, ClerkCore, Error, RequestOptions, RetryConfig};
use serde_json::{Value, json};
use understudy::{Config, RunningServer};

const KEY: &str = "sk_test_understudy_sdk_key_31337";

fn quick_retries() -> RetryConfig {
    RetryConfig::backoff()
        .initial_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(50))
        .max_elapsed(Duration::from_secs(2))
        .jitter(false)
}

async fn start(config: Config) -> (RunningServer, Clerk) {
    let server = understudy::spawn(config).await.unwrap();
    let clerk = Clerk::builder()
        .bearer_auth(KEY)
        .server_url(server.api_url())
        .retry_config(quick_retries())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    (server, clerk)
}

/// Creates a user through `POST /v1/users`, as an application would, and returns its id.
async fn create_user(server: &RunningServer, first_name: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{}/users", server.api_url()))
        .bearer_auth(KEY)
        .json(&json!({"first_name": first_name}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "creating a user");
    let user: Value = response.json().await.unwrap();
    let id = user["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("user_"), "{id}");
    id
}

#[tokio::test]
async fn create_then_revoke_then_revoke_again() {
    let (server, clerk) = start(Config::for_tests(KEY)).await;
    let user = create_user(&server, "Ada").await;
    let actor = Actor::new("user_support_agent")
        .with("reason", "ticket #4711")
        .with("zeta", json!([1, 2]))
        .with("alpha", json!({"nested": true}));

    let created = clerk
        .actor_tokens()
        .create(CreateActorTokenRequestBody::new(&user, actor.clone()).expires_in_seconds(600))
        .await
        .unwrap();

    assert!(created.id.starts_with("act_"), "{}", created.id);
    assert_eq!(created.object, "actor_token");
    assert_eq!(created.status, ActorTokenStatus::Pending);
    assert_eq!(created.user_id, user);
    assert_eq!(created.actor, actor);
    let ticket = created.token.as_deref().expect("create returns the token");
    assert!(!ticket.is_empty());
    assert_eq!(
        created.url.as_deref(),
        Some(format!("{}/v1/tickets/accept?ticket={ticket}", server.base_url()).as_str())
    );
    assert!(
        created.created_at > 1_600_000_000_000,
        "milliseconds: {}",
        created.created_at
    );
    assert_eq!(created.created_at, created.updated_at);

    let revoked = clerk.actor_tokens().revoke(&created.id).await.unwrap();
    assert_eq!(revoked.id, created.id);
    assert_eq!(revoked.status, ActorTokenStatus::Revoked);
    assert_eq!(revoked.actor, actor);
    assert!(revoked.updated_at >= created.updated_at);

    let err = clerk.actor_tokens().revoke(&created.id).await.unwrap_err();
    let Error::ClerkErrors(e) = &err else {
        panic!("expected ClerkErrors, got {err:?}")
    };
    assert_eq!(e.status.as_u16(), 400);
    assert!(e.has_code(codes::ACTOR_TOKEN_CANNOT_BE_REVOKED), "{err}");
    assert!(e.trace_id.is_some(), "Understudy sends a trace id");
    assert!(!err.to_string().contains(KEY));
    server.shutdown().await;
}

/// CONTRACT.md: the actor is "kept in order and in full". Understudy currently answers the
/// extra keys reordered (its `Map::remove("sub")` is a swap-remove under `preserve_order`;
/// `shift_remove` keeps the order). The SDK's own side (what it sends, what it parses) is
/// checked in wiremock_actor_tokens.rs.
#[tokio::test]
async fn the_actor_comes_back_with_its_keys_in_order() {
    let (server, clerk) = start(Config::for_tests(KEY)).await;
    let user = create_user(&server, "Ada").await;
    let actor = Actor::new("user_support_agent")
        .with("reason", "ticket #4711")
        .with("zeta", 1)
        .with("alpha", 2);

    let created = clerk
        .actor_tokens()
        .create(CreateActorTokenRequestBody::new(&user, actor))
        .await
        .unwrap();

    let keys: Vec<_> = created.actor.extra.keys().map(String::as_str).collect();
    assert_eq!(keys, ["reason", "zeta", "alpha"]);
    server.shutdown().await;
}

#[tokio::test]
async fn revoking_an_unknown_or_odd_id_is_clerk_errors_404() {
    let (server, clerk) = start(Config::for_tests(KEY)).await;

    for id in ["act_doesnotexist", "act_a/b?c", "act_%2F"] {
        let err = clerk.actor_tokens().revoke(id).await.unwrap_err();
        let Error::ClerkErrors(e) = &err else {
            panic!("{id}: expected ClerkErrors, got {err:?}")
        };
        assert_eq!(e.status.as_u16(), 404, "{id}");
        assert!(e.has_code(codes::RESOURCE_NOT_FOUND), "{id}: {err}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn creating_for_an_unknown_user_is_an_api_error_404() {
    let (server, clerk) = start(Config::for_tests(KEY)).await;

    let err = clerk
        .actor_tokens()
        .create(CreateActorTokenRequestBody::new(
            "user_nobody",
            Actor::new("user_x"),
        ))
        .await
        .unwrap_err();

    let Error::Api(e) = &err else {
        panic!("expected Api (404 is not declared for create), got {err:?}")
    };
    assert_eq!(e.status.as_u16(), 404);
    assert!(e.has_code(codes::RESOURCE_NOT_FOUND), "{err}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_wrong_key_is_an_api_error_401() {
    let (server, _) = start(Config::for_tests(KEY)).await;
    let wrong = Clerk::builder()
        .bearer_auth("sk_test_not_the_right_key")
        .server_url(server.api_url())
        .build()
        .unwrap();

    let err = wrong.actor_tokens().revoke("act_1").await.unwrap_err();

    let Error::Api(e) = &err else {
        panic!("expected Api, got {err:?}")
    };
    assert_eq!(e.status.as_u16(), 401);
    assert!(e.has_code(codes::CLERK_KEY_INVALID), "{err}");
    assert!(!format!("{err} {err:?}").contains("not_the_right_key"));
    server.shutdown().await;
}

#[tokio::test]
async fn invalid_durations_are_clerk_errors_422_naming_the_param() {
    let (server, clerk) = start(Config::for_tests(KEY)).await;
    let user = create_user(&server, "Grace").await;

    for (body, param) in [
        (
            CreateActorTokenRequestBody::new(&user, Actor::new("user_x")).expires_in_seconds(0),
            "expires_in_seconds",
        ),
        (
            CreateActorTokenRequestBody::new(&user, Actor::new("user_x"))
                .session_max_duration_in_seconds(604_801),
            "session_max_duration_in_seconds",
        ),
    ] {
        let err = clerk.actor_tokens().create(body).await.unwrap_err();
        let Error::ClerkErrors(e) = &err else {
            panic!("expected ClerkErrors, got {err:?}")
        };
        assert_eq!(e.status.as_u16(), 422);
        assert!(e.has_code(codes::FORM_PARAM_VALUE_INVALID), "{err}");
        assert_eq!(e.errors[0].param_name(), Some(param), "{err}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn impersonation_disabled_is_clerk_errors_402() {
    let mut config = Config::for_tests(KEY);
    config.settings.impersonation_enabled = false;
    let (server, clerk) = start(config).await;
    let user = create_user(&server, "Linus").await;

    let err = clerk
        .actor_tokens()
        .create(CreateActorTokenRequestBody::new(
            &user,
            Actor::new("user_x"),
        ))
        .await
        .unwrap_err();

    let Error::ClerkErrors(e) = &err else {
        panic!("expected ClerkErrors, got {err:?}")
    };
    assert_eq!(e.status.as_u16(), 402);
    assert!(
        e.has_code(codes::UNSUPPORTED_SUBSCRIPTION_PLAN_FEATURES),
        "{err}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_monthly_limit_is_clerk_errors_422_with_its_numbers() {
    let mut config = Config::for_tests(KEY);
    config.settings.monthly_impersonation_limit = Some(1);
    let (server, clerk) = start(config).await;
    let user = create_user(&server, "Barbara").await;
    let body = CreateActorTokenRequestBody::new(&user, Actor::new("user_x"));

    clerk.actor_tokens().create(body.clone()).await.unwrap();
    let err = clerk.actor_tokens().create(body).await.unwrap_err();

    let Error::ClerkErrors(e) = &err else {
        panic!("expected ClerkErrors, got {err:?}")
    };
    assert_eq!(e.status.as_u16(), 422);
    assert!(e.has_code(codes::IMPERSONATION_LIMIT_EXCEEDED), "{err}");
    let meta = e.errors[0].meta.as_ref().expect("limit and used");
    assert_eq!(meta.get("limit"), Some(&json!(1)));
    server.shutdown().await;
}

#[tokio::test]
async fn rate_limiting_is_an_api_error_429_with_retry_after() {
    let mut config = Config::for_tests(KEY);
    config.settings.rate_limit_per_minute = Some(1);
    let (server, clerk) = start(config).await;
    let no_retries = RequestOptions::new().retries(RetryConfig::none());

    let first = actor_tokens_revoke(&clerk, "act_1", no_retries.clone())
        .await
        .unwrap_err();
    assert_eq!(first.status().map(|s| s.as_u16()), Some(404), "{first}");
    let err = actor_tokens_revoke(&clerk, "act_1", no_retries)
        .await
        .unwrap_err();

    let Error::Api(e) = &err else {
        panic!("expected Api, got {err:?}")
    };
    assert_eq!(e.status.as_u16(), 429);
    assert!(e.has_code(codes::TOO_MANY_REQUESTS), "{err}");
    let wait = e.retry_after().expect("Retry-After");
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(60),
        "{wait:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_standalone_functions_work_over_a_shared_core() {
    let (server, _) = start(Config::for_tests(KEY)).await;
    let user = create_user(&server, "Edsger").await;
    let core = ClerkCore::builder()
        .bearer_auth(format!("Bearer {KEY}"))
        .server_url(format!("{}/", server.api_url()))
        .build()
        .unwrap();

    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let core = core.clone();
            let user = user.clone();
            tokio::spawn(async move {
                let body =
                    CreateActorTokenRequestBody::new(user, Actor::new(format!("user_agent_{i}")));
                let created = actor_tokens_create(&core, body, RequestOptions::default()).await?;
                actor_tokens_revoke(&core, &created.id, RequestOptions::default()).await
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(
            task.await.unwrap().unwrap().status,
            ActorTokenStatus::Revoked
        );
    }
    server.shutdown().await;
}
