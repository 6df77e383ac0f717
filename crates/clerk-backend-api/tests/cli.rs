//! The `clerk` binary, run as a person would: arguments and environment in, JSON or an error
//! with the Clerk codes out; against wiremock (exact requests) and a real in-process Understudy.

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

const UNDERSTUDY_KEY: &str = "sk_test_cli_understudy_key_77";

async fn create_user(server: &understudy::RunningServer) -> String {
    let user: Value = reqwest::Client::new()
        .post(format!("{}/users", server.api_url()))
        .bearer_auth(UNDERSTUDY_KEY)
        .json(&json!({"first_name": "Ada"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    user["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn create_revoke_and_revoke_again_against_understudy() {
    let server = understudy::spawn(understudy::Config::for_tests(UNDERSTUDY_KEY))
        .await
        .unwrap();
    let user = create_user(&server).await;
    let url = server.api_url();
    let env = [
        ("CLERK_SECRET_KEY", UNDERSTUDY_KEY),
        ("CLERK_API_URL", url.as_str()),
    ];

    let out = clerk(
        &[
            "actor-tokens",
            "create",
            "--user-id",
            &user,
            "--actor",
            r#"{"sub":"user_agent","reason":"ticket #1"}"#,
            "--session-max-duration-in-seconds",
            "600",
        ],
        &env,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["status"], "pending");
    assert_eq!(created["user_id"], user.as_str());
    assert_eq!(
        created["actor"],
        json!({"sub": "user_agent", "reason": "ticket #1"})
    );
    assert!(
        created["url"]
            .as_str()
            .unwrap()
            .starts_with(&server.base_url())
    );
    let id = created["id"].as_str().unwrap().to_owned();

    let out = clerk(&["actor-tokens", "revoke", &id], &env).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let revoked: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (revoked["id"].as_str(), revoked["status"].as_str()),
        (Some(id.as_str()), Some("revoked"))
    );

    let out = clerk(&["actor-tokens", "revoke", &id], &env).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("\n  actor_token_cannot_be_revoked_code: "),
        "{stderr}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_wrong_key_against_understudy_says_so_on_stderr() {
    let server = understudy::spawn(understudy::Config::for_tests(UNDERSTUDY_KEY))
        .await
        .unwrap();
    let url = server.api_url();

    let out = clerk(
        &[
            "--secret-key",
            "sk_test_wrong_one",
            "--api-url",
            &url,
            "actor-tokens",
            "revoke",
            "act_1",
        ],
        &[],
    )
    .await;

    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("401") && stderr.contains("\n  clerk_key_invalid: "),
        "{stderr}"
    );
    assert!(!stderr.contains("sk_test_wrong_one"), "{stderr}");
    server.shutdown().await;
}
