//! The `clerk` binary, run as a person would: arguments and environment in, JSON or an error
//! with the Clerk codes out. Servers here are wiremock (exact requests); the same commands
//! against a real Understudy are in `cli_understudy.rs`.

use std::process::{Command, Output};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk_test_cli_secret_0042";

fn token_json(id: &str, status: &str) -> Value {
    json!({"object": "actor_token", "id": id, "status": status, "user_id": "user_1",
           "actor": {"sub": "user_2", "reason": "ticket"}, "token": "tok", "url": "https://x/v1/tickets/accept?ticket=tok",
           "created_at": 1, "updated_at": 2})
}

/// Runs `clerk` with a clean environment plus `env`, off the async runtime.
async fn clerk(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clerk"));
    command
        .args(args)
        .env_remove("CLERK_SECRET_KEY")
        .env_remove("CLERK_API_URL");
    for (k, v) in env {
        command.env(k, v);
    }
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn create_with_env_key_and_url_prints_the_token_json() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actor_tokens"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_json("act_1", "pending")))
        .mount(&server)
        .await;
    let url = format!("{}/v1", server.uri());

    let out = clerk(
        &[
            "actor-tokens",
            "create",
            "--user-id",
            "user_1",
            "--actor",
            r#"{"sub":"user_2","reason":"ticket"}"#,
            "--expires-in-seconds",
            "600",
        ],
        &[("CLERK_SECRET_KEY", KEY), ("CLERK_API_URL", &url)],
    )
    .await;

    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, token_json("act_1", "pending"));
    let sent = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        sent.headers.get("authorization").unwrap(),
        &format!("Bearer {KEY}")
    );
    assert_eq!(
        text(&sent.body),
        r#"{"user_id":"user_1","actor":{"sub":"user_2","reason":"ticket"},"expires_in_seconds":600,"session_max_duration_in_seconds":1800}"#
    );
}

#[tokio::test]
async fn revoke_with_flags_prints_the_revoked_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actor_tokens/act_1/revoke"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_json("act_1", "revoked")))
        .mount(&server)
        .await;
    let url = format!("{}/v1/", server.uri());

    let out = clerk(
        &[
            "--secret-key",
            KEY,
            "--api-url",
            &url,
            "actor-tokens",
            "revoke",
            "act_1",
        ],
        &[],
    )
    .await;

    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["status"], "revoked");
}

#[tokio::test]
async fn a_clerk_error_prints_codes_and_messages_on_stderr_and_exits_1() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actor_tokens"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({"errors": [
            {"message": "is invalid", "long_message": "expires_in_seconds must be positive.",
             "code": "form_param_value_invalid", "meta": {"param_name": "expires_in_seconds"}},
            {"message": "is unknown", "long_message": "", "code": "form_param_unknown"}],
            "meta": {}})))
        .mount(&server)
        .await;
    let url = format!("{}/v1", server.uri());

    let out = clerk(
        &[
            "actor-tokens",
            "create",
            "--user-id",
            "user_1",
            "--actor",
            r#"{"sub":"user_2"}"#,
            "--expires-in-seconds=-5",
        ],
        &[("CLERK_SECRET_KEY", KEY), ("CLERK_API_URL", &url)],
    )
    .await;

    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: CreateActorToken failed with 422"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\n  form_param_value_invalid: expires_in_seconds must be positive.\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\n  form_param_unknown: is unknown\n"),
        "{stderr}"
    );
    assert!(!stderr.contains(KEY));
}

#[tokio::test]
async fn an_unreachable_server_is_reported_without_the_key() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);

    let out = clerk(
        &["--retry-seconds", "0", "actor-tokens", "revoke", "act_1"],
        &[("CLERK_SECRET_KEY", KEY), ("CLERK_API_URL", &url)],
    )
    .await;

    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("could not reach http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(!stderr.contains(KEY), "{stderr}");
}

#[tokio::test]
async fn no_key_or_a_bad_actor_is_a_usage_error_before_any_request() {
    let out = clerk(&["actor-tokens", "revoke", "act_1"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("CLERK_SECRET_KEY"),
        "{}",
        text(&out.stderr)
    );

    for actor in ["not json", r#"{"reason":"no sub"}"#, r#"["sub"]"#] {
        let out = clerk(
            &["actor-tokens", "create", "--user-id", "u", "--actor", actor],
            &[
                ("CLERK_SECRET_KEY", KEY),
                ("CLERK_API_URL", "http://127.0.0.1:9/v1"),
            ],
        )
        .await;
        assert_eq!(out.status.code(), Some(2), "{actor}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("--actor must be a JSON object"), "{stderr}");
    }
}

#[tokio::test]
async fn help_never_shows_the_key_from_the_environment() {
    let out = clerk(
        &["actor-tokens", "create", "--help"],
        &[("CLERK_SECRET_KEY", KEY)],
    )
    .await;
    assert!(out.status.success());
    let shown = text(&out.stdout);
    assert!(
        shown.contains("--user-id") && shown.contains("CLERK_SECRET_KEY"),
        "{shown}"
    );
    assert!(!shown.contains(KEY), "{shown}");
}
