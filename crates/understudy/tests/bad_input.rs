//! Bad input of every kind: a clear contract error, never a 500, and the database unchanged.

mod common;

use common::{Harness, expect_error};
use reqwest::Method;
use serde_json::{Value, json};

/// Counts of every table the API can change.
async fn snapshot(h: &Harness) -> (u64, u64, Value) {
    let tokens: Value = h
        .get("/v1/actor_tokens?limit=500")
        .await
        .json()
        .await
        .unwrap();
    (
        h.token_count().await,
        h.audit_count().await,
        tokens["data"].clone(),
    )
}

#[tokio::test]
async fn bad_create_bodies_change_nothing() {
    let h = Harness::start().await;
    let user = h.create_user().await;
    let t = h.create_token(&user).await;
    let before = snapshot(&h).await;

    let raw_cases: Vec<(Option<&str>, Vec<u8>, u16, &str)> = vec![
        (
            Some("application/json"),
            b"{".to_vec(),
            400,
            "request_body_invalid",
        ),
        (
            Some("application/json"),
            vec![0xc3, 0x28],
            400,
            "request_body_invalid",
        ),
        (
            Some("application/json"),
            b"{\"user_id\":\"\xff\"}".to_vec(),
            400,
            "request_body_invalid",
        ),
        (
            Some("application/json"),
            "[".repeat(10_000).into_bytes(),
            400,
            "request_body_invalid",
        ),
        (
            Some("application/json"),
            b"   ".to_vec(),
            400,
            "request_body_invalid",
        ),
        (
            Some("text/plain"),
            b"{}".to_vec(),
            415,
            "unsupported_content_type",
        ),
        (
            Some("multipart/form-data"),
            b"--x".to_vec(),
            415,
            "unsupported_content_type",
        ),
        (
            Some("application/json"),
            vec![b'{'; 200_000],
            413,
            "request_body_too_large",
        ),
    ];
    for (ct, body, status, code) in raw_cases {
        let r = h.post_raw("/v1/actor_tokens", ct, body).await;
        expect_error(r, status, code, None).await;
    }
    let json_cases = [
        (
            json!({"user_id": user, "actor": {"sub": "s"}, "extra": true}),
            "form_param_unknown",
        ),
        (
            json!({"user_id": [user], "actor": {"sub": "s"}}),
            "form_param_value_invalid",
        ),
        (
            json!({"user_id": user, "actor": {"sub": {"nested": 1}}}),
            "form_param_value_invalid",
        ),
        (
            json!({"user_id": user, "actor": {"sub": "s"}, "expires_in_seconds": 1e300}),
            "form_param_value_invalid",
        ),
        (
            json!({"user_id": user, "actor": {"sub": "s"}, "expires_in_seconds": 9_223_372_036_854_775_807_i64}),
            "form_param_value_invalid",
        ),
        (
            json!({"user_id": user, "actor": {"sub": "s"}, "expires_in_seconds": u64::MAX}),
            "form_param_value_invalid",
        ),
        (json!({}), "form_param_missing"),
    ];
    for (body, code) in json_cases {
        let r = h.post_json("/v1/actor_tokens", &body).await;
        expect_error(r, 422, code, None).await;
    }
    for id in [
        "act%2F..%2F",
        "%FF",
        "act_%E2%80%AE",
        &format!("{}x", t["id"].as_str().unwrap()),
    ] {
        let r = h
            .req(Method::POST, &format!("/v1/actor_tokens/{id}/revoke"))
            .send()
            .await
            .unwrap();
        expect_error(r, 404, "resource_not_found", None).await;
    }
    assert_eq!(snapshot(&h).await, before, "the database is unchanged");
}

fn count_users(path: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn bad_user_bodies_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let mut config = understudy::Config::for_tests(common::KEY);
    config.database_url = format!("sqlite://{}", path.display());
    let h = Harness::with_config(config).await;
    h.create_user().await;
    assert_eq!(count_users(&path), 1);
    let cases = [
        (
            json!({"first_name": 1}),
            422,
            "form_param_value_invalid",
            Some("first_name"),
        ),
        (
            json!({"email_address": "a@b.c"}),
            422,
            "form_param_value_invalid",
            Some("email_address"),
        ),
        (
            json!({"email_address": ["no-at-sign"]}),
            422,
            "form_param_value_invalid",
            Some("email_address"),
        ),
        (
            json!({"public_metadata": "x"}),
            422,
            "form_param_value_invalid",
            Some("public_metadata"),
        ),
        (
            json!({"password": "x"}),
            422,
            "form_param_unknown",
            Some("password"),
        ),
        (json!([]), 400, "request_body_invalid", None),
    ];
    for (body, status, code, param) in cases {
        let r = h.post_json("/v1/users", &body).await;
        expect_error(r, status, code, param).await;
    }
    for (ct, body) in [
        (Some("application/json"), vec![0xff, 0x00]),
        (Some("text/plain"), b"{}".to_vec()),
        (Some("application/json"), vec![b' '; 100 * 1024]),
    ] {
        let r = h.post_raw("/v1/users", ct, body).await;
        assert!(r.status().is_client_error());
    }
    assert_eq!(count_users(&path), 1, "no bad body created a user");
    // Only the one good user exists: a token for a made-up id still finds no user.
    let r = h
        .post_json(
            "/v1/actor_tokens",
            &json!({"user_id": "user_x", "actor": {"sub": "s"}}),
        )
        .await;
    expect_error(r, 404, "resource_not_found", None).await;
}

#[tokio::test]
async fn odd_user_ids_are_404() {
    let h = Harness::start().await;
    for id in ["user%2Fx", "%FF", "%E2%98%83", "user_x%3Fa%3Db", "%25"] {
        expect_error(
            h.get(&format!("/v1/users/{id}")).await,
            404,
            "resource_not_found",
            None,
        )
        .await;
        let r = h.delete(&format!("/v1/users/{id}")).await;
        expect_error(r, 404, "resource_not_found", None).await;
    }
}
