//! The SDK against wiremock: the exact request sent, and the exact result or error for every
//! class of answer, including the faults a real server will not produce on demand.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use clerk_backend_api::funcs::{actor_tokens_create, actor_tokens_revoke};
use clerk_backend_api::models::{Actor, ActorTokenStatus, CreateActorTokenRequestBody};
use clerk_backend_api::{Clerk, ClerkCore, Error, HookContext, RequestOptions, RetryConfig};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "sk_test_wiremock_secret_4711";

fn token_json(id: &str, status: &str) -> Value {
    json!({
        "object": "actor_token", "id": id, "status": status, "user_id": "user_1",
        "actor": {"sub": "user_2", "reason": "ticket #4711"},
        "token": "tok_secret_ticket", "url": "https://accounts.example/v1/tickets/accept?ticket=tok_secret_ticket",
        "created_at": 1_700_000_000_000_i64, "updated_at": 1_700_000_000_001_i64
    })
}

fn clerk_errors(code: &str, long_message: &str) -> Value {
    json!({"errors": [{"message": "m", "long_message": long_message, "code": code,
                        "meta": {"param_name": "expires_in_seconds"}}],
           "meta": {"page": 1}, "clerk_trace_id": "trace-body"})
}

/// Retries fast enough for tests, without jitter.
fn quick_retries() -> RetryConfig {
    RetryConfig::backoff()
        .initial_interval(Duration::from_millis(1))
        .max_interval(Duration::from_millis(20))
        .max_elapsed(Duration::from_secs(5))
        .jitter(false)
}

fn api_url(server: &MockServer) -> String {
    format!("{}/v1", server.uri())
}

fn client(server: &MockServer) -> Clerk {
    Clerk::builder()
        .bearer_auth(KEY)
        .server_url(api_url(server))
        .retry_config(quick_retries())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn create_body() -> CreateActorTokenRequestBody {
    CreateActorTokenRequestBody::new(
        "user_1",
        Actor::new("user_2")
            .with("reason", "ticket #4711")
            .with("zeta", 1)
            .with("alpha", json!({"nested": [true, null]})),
    )
}

/// The body `create_body()` must put on the wire, byte for byte: defaults explicit, actor
/// keys in the order given.
const CREATE_BODY_WIRE: &str = r##"{"user_id":"user_1","actor":{"sub":"user_2","reason":"ticket #4711","zeta":1,"alpha":{"nested":[true,null]}},"expires_in_seconds":3600,"session_max_duration_in_seconds":1800}"##;

async fn mount(server: &MockServer, route: &str, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(route))
        .respond_with(response)
        .mount(server)
        .await;
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

async fn only_request(server: &MockServer) -> Request {
    let mut all = requests(server).await;
    assert_eq!(all.len(), 1, "expected exactly one request");
    all.remove(0)
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).map(|v| v.to_str().unwrap())
}

/// Method, path, and the headers every call carries.
fn assert_sent(request: &Request, expected_path: &str, with_body: bool) {
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), expected_path);
    assert_eq!(request.url.query(), None);
    assert_eq!(
        header(request, "authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(header(request, "clerk-api-version"), Some("2025-11-10"));
    assert_eq!(
        header(request, "user-agent"),
        Some(concat!(
            "clerk-backend-api-rust/",
            env!("CARGO_PKG_VERSION")
        ))
    );
    assert_eq!(header(request, "accept"), Some("application/json"));
    if with_body {
        assert_eq!(header(request, "content-type"), Some("application/json"));
    } else {
        assert_eq!(header(request, "content-type"), None);
        assert!(request.body.is_empty());
    }
}

/// Neither `Display` nor `Debug` of an error may hold the key.
fn assert_no_secret(error: &Error) {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(KEY), "secret in error: {shown}");
    assert!(
        !shown.contains("wiremock_secret"),
        "secret in error: {shown}"
    );
}

#[tokio::test]
async fn create_200_sends_the_exact_request_and_reads_the_token() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(200).set_body_json(token_json("act_1", "pending")),
    )
    .await;

    let token = client(&server)
        .actor_tokens()
        .create(create_body())
        .await
        .unwrap();

    let request = only_request(&server).await;
    assert_sent(&request, "/v1/actor_tokens", true);
    assert_eq!(
        std::str::from_utf8(&request.body).unwrap(),
        CREATE_BODY_WIRE
    );
    assert_eq!(token.id, "act_1");
    assert_eq!(token.status, ActorTokenStatus::Pending);
    assert_eq!(token.user_id, "user_1");
    assert_eq!(token.actor.get("reason"), Some(&json!("ticket #4711")));
    assert_eq!(token.token.as_deref(), Some("tok_secret_ticket"));
    assert_eq!(token.created_at, 1_700_000_000_000);
}

#[tokio::test]
async fn create_sends_set_durations_and_a_bearer_prefixed_key_once() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(200).set_body_json(token_json("act_1", "pending")),
    )
    .await;
    let clerk = Clerk::builder()
        .bearer_auth(format!("Bearer {KEY}"))
        .server_url(format!("{}/", api_url(&server)))
        .build()
        .unwrap();
    let body = CreateActorTokenRequestBody::new("user_1", Actor::new("user_2"))
        .expires_in_seconds(600)
        .session_max_duration_in_seconds(300);

    clerk.actor_tokens().create(body).send().await.unwrap();

    let request = only_request(&server).await;
    assert_sent(&request, "/v1/actor_tokens", true);
    assert_eq!(
        std::str::from_utf8(&request.body).unwrap(),
        r#"{"user_id":"user_1","actor":{"sub":"user_2"},"expires_in_seconds":600,"session_max_duration_in_seconds":300}"#
    );
}

#[tokio::test]
async fn revoke_200_sends_no_body_and_reads_the_revoked_token() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/actor_tokens/act_1/revoke",
        ResponseTemplate::new(200).set_body_json(token_json("act_1", "revoked")),
    )
    .await;

    let token = client(&server)
        .actor_tokens()
        .revoke("act_1")
        .await
        .unwrap();

    assert_sent(
        &only_request(&server).await,
        "/v1/actor_tokens/act_1/revoke",
        false,
    );
    assert_eq!(token.status, ActorTokenStatus::Revoked);
}

#[tokio::test]
async fn each_declared_create_status_is_clerk_errors_and_not_retried() {
    for (status, code) in [
        (400, "request_body_invalid"),
        (402, "unsupported_subscription_plan_features"),
        (422, "form_param_value_invalid"),
    ] {
        let server = MockServer::start().await;
        mount(
            &server,
            "/v1/actor_tokens",
            ResponseTemplate::new(status)
                .set_body_json(clerk_errors(code, "Explained."))
                .insert_header("Clerk-Trace-Id", "trace-header"),
        )
        .await;

        let err = client(&server)
            .actor_tokens()
            .create(create_body())
            .await
            .unwrap_err();

        assert_sent(&only_request(&server).await, "/v1/actor_tokens", true);
        assert_no_secret(&err);
        let Error::ClerkErrors(e) = &err else {
            panic!("{status}: expected ClerkErrors, got {err:?}")
        };
        assert_eq!(e.status.as_u16(), status);
        assert_eq!(e.operation, "CreateActorToken");
        assert!(e.has_code(code));
        assert_eq!(e.codes().collect::<Vec<_>>(), [code]);
        assert_eq!(e.trace_id.as_deref(), Some("trace-header"));
        assert_eq!(e.errors[0].param_name(), Some("expires_in_seconds"));
        assert_eq!(e.meta.get("page"), Some(&json!(1)));
        assert_eq!(e.headers.get("clerk-trace-id").unwrap(), "trace-header");
        assert_eq!(
            serde_json::from_str::<Value>(&e.raw_body).unwrap(),
            clerk_errors(code, "Explained.")
        );
        assert!(err.has_code(code));
        assert_eq!(
            err.to_string(),
            format!(
                "CreateActorToken failed with {}: {code}: Explained. (param expires_in_seconds) [trace trace-header]",
                e.status
            )
        );
    }
}

#[tokio::test]
async fn each_declared_revoke_status_is_clerk_errors_with_the_body_trace_id() {
    for (status, code) in [
        (400, "actor_token_cannot_be_revoked_code"),
        (404, "resource_not_found"),
    ] {
        let server = MockServer::start().await;
        mount(
            &server,
            "/v1/actor_tokens/act_1/revoke",
            ResponseTemplate::new(status).set_body_json(clerk_errors(code, "Nope.")),
        )
        .await;

        let err = client(&server)
            .actor_tokens()
            .revoke("act_1")
            .await
            .unwrap_err();

        assert_sent(
            &only_request(&server).await,
            "/v1/actor_tokens/act_1/revoke",
            false,
        );
        assert_no_secret(&err);
        let Error::ClerkErrors(e) = &err else {
            panic!("{status}: expected ClerkErrors, got {err:?}")
        };
        assert_eq!(
            (e.status.as_u16(), e.operation),
            (status, "RevokeActorToken")
        );
        assert!(e.has_code(code));
        assert_eq!(e.trace_id.as_deref(), Some("trace-body"));
    }
}

#[tokio::test]
async fn a_401_is_an_api_error_with_the_parsed_errors_and_a_hint() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(401).set_body_json(json!({"errors": [{"message": "invalid key",
            "long_message": "The provided secret key is invalid.", "code": "clerk_key_invalid"}],
            "meta": {}})),
    )
    .await;

    let err = client(&server)
        .actor_tokens()
        .create(create_body())
        .await
        .unwrap_err();

    assert_eq!(requests(&server).await.len(), 1, "a 401 is not retried");
    assert_no_secret(&err);
    let Error::Api(e) = &err else {
        panic!("expected Api, got {err:?}")
    };
    assert_eq!(e.status.as_u16(), 401);
    assert!(e.has_code("clerk_key_invalid"));
    assert!(e.body.contains("clerk_key_invalid"));
    assert_eq!(
        err.to_string(),
        "CreateActorToken failed with 401 Unauthorized: clerk_key_invalid: The provided secret key is invalid. — check the secret key"
    );
}

#[tokio::test]
async fn a_404_on_create_is_not_declared_so_it_is_an_api_error() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(404)
            .set_body_json(clerk_errors("resource_not_found", "User not found."))
            .insert_header("Clerk-Trace-Id", "t404"),
    )
    .await;

    let err = client(&server)
        .actor_tokens()
        .create(create_body())
        .await
        .unwrap_err();

    let Error::Api(e) = &err else {
        panic!("expected Api, got {err:?}")
    };
    assert_eq!(e.status.as_u16(), 404);
    assert_eq!(e.trace_id.as_deref(), Some("t404"));
    assert!(err.has_code("resource_not_found"));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn a_declared_status_without_a_clerk_errors_body_is_an_api_error() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(422).set_body_string("<html>proxy says no</html>"),
    )
    .await;

    let err = client(&server)
        .actor_tokens()
        .create(create_body())
        .await
        .unwrap_err();

    let Error::Api(e) = &err else {
        panic!("expected Api, got {err:?}")
    };
    assert_eq!(e.status.as_u16(), 422);
    assert!(e.errors.is_none());
    assert_eq!(e.body, "<html>proxy says no</html>");
    assert!(
        err.to_string()
            .contains("body starts: <html>proxy says no</html>"),
        "{err}"
    );
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_seconds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actor_tokens"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(clerk_errors("too_many_requests", "Slow down.")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(200).set_body_json(token_json("act_1", "pending")),
    )
    .await;
    // The computed wait would be 1 ms: only Retry-After explains a wait of a second.
    let clerk = Clerk::builder()
        .bearer_auth(KEY)
        .server_url(api_url(&server))
        .retry_config(quick_retries().max_interval(Duration::from_secs(5)))
        .build()
        .unwrap();

    let started = Instant::now();
    let token = clerk.actor_tokens().create(create_body()).await.unwrap();

    assert_eq!(token.id, "act_1");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[0].body, sent[1].body,
        "the retry resends the same body"
    );
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let server = MockServer::start().await;
    let in_two_seconds = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    Mock::given(method("POST"))
        .and(path("/v1/actor_tokens/act_1/revoke"))
        .respond_with(
            ResponseTemplate::new(503).insert_header("Retry-After", in_two_seconds.as_str()),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount(
        &server,
        "/v1/actor_tokens/act_1/revoke",
        ResponseTemplate::new(200).set_body_json(token_json("act_1", "revoked")),
    )
    .await;
    let clerk = Clerk::builder()
        .bearer_auth(KEY)
        .server_url(api_url(&server))
        .retry_config(quick_retries().max_interval(Duration::from_secs(5)))
        .build()
        .unwrap();

    let started = Instant::now();
    clerk.actor_tokens().revoke("act_1").await.unwrap();

    // The date has whole seconds, so the wait is between one and two seconds.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn retry_after_is_capped_at_the_max_interval() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actor_tokens"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(200).set_body_json(token_json("act_1", "pending")),
    )
    .await;

    let started = Instant::now();
    client(&server)
        .actor_tokens()
        .create(create_body())
        .await
        .unwrap();

    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn a_429_without_retries_is_an_api_error_carrying_retry_after() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "7")
            .set_body_json(clerk_errors("too_many_requests", "Too many requests.")),
    )
    .await;

    let err = client(&server)
        .actor_tokens()
        .create(create_body())
        .retries(RetryConfig::none())
        .await
        .unwrap_err();

    assert_eq!(requests(&server).await.len(), 1);
    let Error::Api(e) = &err else {
        panic!("expected Api, got {err:?}")
    };
    assert_eq!(e.status.as_u16(), 429);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert!(
        err.to_string()
            .ends_with("— retry after 7 s [trace trace-body]"),
        "{err}"
    );
}

#[tokio::test]
async fn a_5xx_is_retried_until_it_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actor_tokens"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream down"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(200).set_body_json(token_json("act_9", "pending")),
    )
    .await;

    let token = client(&server)
        .actor_tokens()
        .create(create_body())
        .await
        .unwrap();

    assert_eq!(token.id, "act_9");
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 3);
    for request in &sent {
        assert_sent(request, "/v1/actor_tokens", true);
        assert_eq!(
            std::str::from_utf8(&request.body).unwrap(),
            CREATE_BODY_WIRE
        );
    }
}

#[tokio::test]
async fn a_5xx_that_outlasts_the_budget_is_the_last_api_error() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/actor_tokens/act_1/revoke",
        ResponseTemplate::new(500).set_body_json(json!({"errors": [{"message": "boom",
            "long_message": "Something went wrong.", "code": "internal_clerk_error"}], "meta": {}})),
    )
    .await;
    let budget = RetryConfig::backoff()
        .initial_interval(Duration::from_millis(10))
        .max_elapsed(Duration::from_millis(150))
        .jitter(false);

    let started = Instant::now();
    let err = client(&server)
        .actor_tokens()
        .revoke("act_1")
        .retries(budget)
        .await
        .unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(2));
    let attempts = requests(&server).await.len();
    assert!((3..=12).contains(&attempts), "{attempts} attempts");
    let Error::Api(e) = &err else {
        panic!("expected Api, got {err:?}")
    };
    assert_eq!(e.status.as_u16(), 500);
    assert!(e.has_code("internal_clerk_error"));
}

/// A loopback port nothing listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/v1")
}

#[tokio::test]
async fn connection_refused_is_a_connection_error_after_the_retries() {
    let url = closed_port_url();
    let core = ClerkCore::builder()
        .bearer_auth(KEY)
        .server_url(&url)
        .retry_config(quick_retries().max_elapsed(Duration::from_millis(100)))
        .build()
        .unwrap();

    let err = actor_tokens_create(&core, create_body(), RequestOptions::default())
        .await
        .unwrap_err();

    assert_no_secret(&err);
    let Error::Connection(e) = &err else {
        panic!("expected Connection, got {err:?}")
    };
    assert_eq!(e.url, format!("{url}/actor_tokens"));
    assert!(
        e.attempts > 1,
        "connection errors are retried: {}",
        e.attempts
    );
    assert!(
        err.to_string()
            .contains("could not reach http://127.0.0.1:"),
        "{err}"
    );

    let once = actor_tokens_revoke(
        &core,
        "act_1",
        RequestOptions::new().retries(RetryConfig::none()),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&once, Error::Connection(e) if e.attempts == 1),
        "{once:?}"
    );
    let not_retried = actor_tokens_revoke(
        &core,
        "act_1",
        RequestOptions::new().retries(quick_retries().retry_connection_errors(false)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&not_retried, Error::Connection(e) if e.attempts == 1),
        "{not_retried:?}"
    );
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(200)
            .set_body_json(token_json("act_1", "pending"))
            .set_delay(Duration::from_secs(3)),
    )
    .await;

    let started = Instant::now();
    let err = client(&server)
        .actor_tokens()
        .create(create_body())
        .options(
            RequestOptions::new()
                .timeout(Duration::from_millis(100))
                .retries(RetryConfig::none()),
        )
        .await
        .unwrap_err();

    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_no_secret(&err);
    let Error::Timeout {
        operation,
        timeout,
        attempts,
        ..
    } = &err
    else {
        panic!("expected Timeout, got {err:?}")
    };
    assert_eq!(
        (*operation, *timeout, *attempts),
        ("CreateActorToken", Some(Duration::from_millis(100)), 1)
    );
    assert!(
        err.to_string()
            .starts_with("CreateActorToken timed out after 100 ms"),
        "{err}"
    );
}

#[tokio::test]
async fn malformed_json_in_a_200_is_a_response_validation_error() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(200).set_body_string("{\"id\": \"act_1\", oops"),
    )
    .await;

    let err = client(&server)
        .actor_tokens()
        .create(create_body())
        .await
        .unwrap_err();

    let Error::ResponseValidation {
        status,
        body,
        expected,
        ..
    } = &err
    else {
        panic!("expected ResponseValidation, got {err:?}")
    };
    assert_eq!((status.as_u16(), *expected), (200, "ActorToken"));
    assert_eq!(body, "{\"id\": \"act_1\", oops");
    assert_eq!(
        requests(&server).await.len(),
        1,
        "a bad body is not retried"
    );
}

#[tokio::test]
async fn an_unknown_token_status_is_a_response_validation_error_naming_it() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/actor_tokens/act_1/revoke",
        ResponseTemplate::new(200).set_body_json(token_json("act_1", "expired")),
    )
    .await;

    let err = client(&server)
        .actor_tokens()
        .revoke("act_1")
        .await
        .unwrap_err();

    assert!(matches!(err, Error::ResponseValidation { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.contains("`expired`") && shown.contains("pending"),
        "{shown}"
    );
    assert!(
        shown.starts_with("RevokeActorToken: the 200 OK response is not a valid ActorToken"),
        "{shown}"
    );
}

#[tokio::test]
async fn an_id_with_slash_or_question_mark_stays_in_its_segment() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/actor_tokens/act_a%2Fb%3Fc/revoke",
        ResponseTemplate::new(200).set_body_json(token_json("act_a/b?c", "revoked")),
    )
    .await;

    let token = client(&server)
        .actor_tokens()
        .revoke("act_a/b?c")
        .await
        .unwrap();

    assert_eq!(token.id, "act_a/b?c");
    let request = only_request(&server).await;
    assert_sent(&request, "/v1/actor_tokens/act_a%2Fb%3Fc/revoke", false);
}

#[tokio::test]
async fn ids_that_cannot_name_a_token_fail_before_any_io() {
    let server = MockServer::start().await;
    for id in ["", ".", ".."] {
        let err = client(&server).actor_tokens().revoke(id).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    param: "actor_token_id",
                    ..
                }
            ),
            "{id:?}: {err:?}"
        );
    }
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn bad_per_call_settings_fail_before_any_io() {
    let server = MockServer::start().await;
    let clerk = client(&server);
    for options in [
        RequestOptions::new().server_url("not a url"),
        RequestOptions::new().header("bad header", "x"),
        RequestOptions::new().header("x-ok", "line\nbreak"),
    ] {
        let err = clerk
            .actor_tokens()
            .create(create_body())
            .options(options)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
    }
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn hooks_fire_and_can_change_or_abort_a_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actor_tokens"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(200).set_body_json(token_json("act_1", "pending")),
    )
    .await;
    mount(
        &server,
        "/v1/actor_tokens/act_gone/revoke",
        ResponseTemplate::new(404).set_body_json(clerk_errors("resource_not_found", "Gone.")),
    )
    .await;
    let before: Arc<Mutex<Vec<HookContext>>> = Arc::default();
    let successes = Arc::new(AtomicU32::new(0));
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let clerk = Clerk::builder()
        .bearer_auth(KEY)
        .server_url(api_url(&server))
        .retry_config(quick_retries())
        .before_request({
            let before = before.clone();
            move |ctx, request| {
                before.lock().unwrap().push(*ctx);
                if request.url().path().contains("act_blocked") {
                    return Err("blocked by policy".into());
                }
                request
                    .headers_mut()
                    .insert("x-attempt", ctx.attempt.to_string().parse().unwrap());
                Ok(())
            }
        })
        .after_success({
            let successes = successes.clone();
            move |ctx, response| {
                assert_eq!(response.status().as_u16(), 200);
                assert_eq!(ctx.attempt, 2);
                successes.fetch_add(1, Ordering::SeqCst);
            }
        })
        .after_error({
            let errors = errors.clone();
            move |ctx, error| {
                errors.lock().unwrap().push(format!(
                    "{} {}",
                    ctx.operation,
                    error.status().map_or(0, |s| s.as_u16())
                ))
            }
        })
        .build()
        .unwrap();

    clerk.actor_tokens().create(create_body()).await.unwrap();
    let sent = requests(&server).await;
    assert_eq!(header(&sent[0], "x-attempt"), Some("1"));
    assert_eq!(header(&sent[1], "x-attempt"), Some("2"));
    assert_eq!(successes.load(Ordering::SeqCst), 1);
    assert!(
        errors.lock().unwrap().is_empty(),
        "a retried 502 that then succeeds is no error"
    );

    clerk.actor_tokens().revoke("act_gone").await.unwrap_err();
    assert_eq!(*errors.lock().unwrap(), ["RevokeActorToken 404"]);

    let err = clerk
        .actor_tokens()
        .revoke("act_blocked")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Hook { operation: "RevokeActorToken", reason } if reason == "blocked by policy"),
        "{err:?}"
    );
    assert_eq!(
        requests(&server).await.len(),
        3,
        "an aborted call sends nothing"
    );
    let contexts = before.lock().unwrap();
    let seen: Vec<_> = contexts.iter().map(|c| (c.operation, c.attempt)).collect();
    assert_eq!(
        seen,
        [
            ("CreateActorToken", 1),
            ("CreateActorToken", 2),
            ("RevokeActorToken", 1),
            ("RevokeActorToken", 1)
        ]
    );
    assert_eq!(errors.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn per_call_options_override_the_client_defaults() {
    let server = MockServer::start().await;
    let other = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actor_tokens"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(200)
            .set_body_json(token_json("act_1", "pending"))
            .set_delay(Duration::from_millis(300)),
    )
    .await;
    mount(
        &other,
        "/v1/actor_tokens/act_1/revoke",
        ResponseTemplate::new(200).set_body_json(token_json("act_1", "revoked")),
    )
    .await;
    // The client would neither retry nor wait 300 ms.
    let clerk = Clerk::builder()
        .bearer_auth(KEY)
        .server_url(api_url(&server))
        .retry_config(RetryConfig::none())
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();

    let token = clerk
        .actor_tokens()
        .create(create_body())
        .options(
            RequestOptions::new()
                .retries(quick_retries())
                .timeout(Duration::from_secs(5))
                .header("X-Request-Reason", "support")
                .header("Clerk-API-Version", "2026-05-12"),
        )
        .await
        .unwrap();
    assert_eq!(token.id, "act_1");
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(header(&sent[1], "x-request-reason"), Some("support"));
    assert_eq!(header(&sent[1], "clerk-api-version"), Some("2026-05-12"));

    let revoked = actor_tokens_revoke(
        &clerk,
        "act_1",
        RequestOptions::new().server_url(format!("{}/v1/", other.uri())),
    )
    .await
    .unwrap();
    assert_eq!(revoked.status, ActorTokenStatus::Revoked);
    assert_sent(
        &only_request(&other).await,
        "/v1/actor_tokens/act_1/revoke",
        false,
    );
    assert_eq!(
        requests(&server).await.len(),
        2,
        "the revoke went to the other server"
    );

    // Without per-call options the client's 100 ms timeout applies.
    let err = clerk
        .actor_tokens()
        .create(create_body())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn a_core_is_shared_by_concurrent_tasks() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(200).set_body_json(token_json("act_1", "pending")),
    )
    .await;
    let core = ClerkCore::builder()
        .bearer_auth(KEY)
        .server_url(api_url(&server))
        .build()
        .unwrap();

    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let core = core.clone();
            tokio::spawn(async move {
                actor_tokens_create(&core, create_body(), RequestOptions::default()).await
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().id, "act_1");
    }
    assert_eq!(requests(&server).await.len(), 8);
}

/// A `tracing` writer that keeps what is logged.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_debug_log_names_method_url_status_attempt_but_never_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actor_tokens"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(200).set_body_json(token_json("act_1", "pending")),
    )
    .await;
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer({
            let captured = captured.clone();
            move || captured.clone()
        })
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let clerk = client(&server);
    clerk.actor_tokens().create(create_body()).await.unwrap();
    clerk.actor_tokens().revoke("act_x").await.unwrap_err();
    tracing::debug!(client = ?clerk, "client");

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("method=POST"), "{log}");
    assert!(
        log.contains(&format!("{}/v1/actor_tokens", server.uri())),
        "{log}"
    );
    assert!(
        log.contains("status=500") && log.contains("attempt=2"),
        "{log}"
    );
    assert!(
        !log.contains(KEY) && !log.contains("wiremock_secret"),
        "{log}"
    );
}

#[tokio::test]
async fn a_custom_http_client_is_used_and_still_gets_the_sdk_headers() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/actor_tokens/act_1/revoke",
        ResponseTemplate::new(200).set_body_json(token_json("act_1", "revoked")),
    )
    .await;
    let mut defaults = reqwest::header::HeaderMap::new();
    defaults.insert("x-from-custom-client", "yes".parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(defaults)
        .build()
        .unwrap();
    let clerk = Clerk::builder()
        .bearer_auth(KEY)
        .server_url(api_url(&server))
        .http_client(http)
        .build()
        .unwrap();

    clerk.actor_tokens().revoke("act_1").await.unwrap();

    let request = only_request(&server).await;
    assert_sent(&request, "/v1/actor_tokens/act_1/revoke", false);
    assert_eq!(header(&request, "x-from-custom-client"), Some("yes"));
}

#[tokio::test]
async fn a_timed_out_attempt_is_retried_like_a_connection_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actor_tokens"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_json("act_slow", "pending"))
                .set_delay(Duration::from_secs(3)),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(200).set_body_json(token_json("act_fast", "pending")),
    )
    .await;

    let token = client(&server)
        .actor_tokens()
        .create(create_body())
        .timeout(Duration::from_millis(100))
        .await
        .unwrap();

    assert_eq!(token.id, "act_fast");
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn an_oversized_answer_is_refused_not_held() {
    let server = MockServer::start().await;
    let huge = format!("{{\"pad\":\"{}\"}}", "x".repeat(5 * 1024 * 1024));
    mount(
        &server,
        "/v1/actor_tokens",
        ResponseTemplate::new(200).set_body_string(huge),
    )
    .await;

    let err = client(&server)
        .actor_tokens()
        .create(create_body())
        .await
        .unwrap_err();

    let Error::ResponseValidation { body, source, .. } = &err else {
        panic!("expected ResponseValidation, got {err:?}")
    };
    assert!(
        source.to_string().contains("over 4194304 bytes"),
        "{source}"
    );
    assert!(body.len() <= 4 * 1024 * 1024);
    assert!(
        err.to_string().len() < 400,
        "the message stays one short line"
    );
}
