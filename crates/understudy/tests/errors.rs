//! Every error row of the contract, over HTTP, in the contract's shape.

mod common;

use std::sync::Arc;

use common::{Harness, KEY, expect_error};
use reqwest::Method;
use serde_json::{Value, json};
use understudy::{Config, TestClock};

async fn create(h: &Harness, body: Value) -> reqwest::Response {
    h.post_json("/v1/actor_tokens", &body).await
}

#[tokio::test]
async fn missing_parameters_are_422_form_param_missing_with_their_names() {
    let h = Harness::start().await;
    let user = h.create_user().await;
    let cases = [
        (json!({"actor": {"sub": "user_a"}}), "user_id"),
        (json!({"user_id": user}), "actor"),
        (json!({"user_id": user, "actor": null}), "actor"),
        (
            json!({"user_id": user, "actor": {"reason": "x"}}),
            "actor.sub",
        ),
        (json!({"user_id": user, "actor": {"sub": ""}}), "actor.sub"),
        (json!({"user_id": "", "actor": {"sub": "s"}}), "user_id"),
    ];
    for (body, param) in cases {
        let r = create(&h, body).await;
        let b = expect_error(r, 422, "form_param_missing", Some(param)).await;
        assert_eq!(
            b["errors"][0]["long_message"],
            json!(format!("{param} must be included."))
        );
        assert_eq!(b["errors"][0]["message"], "is missing");
    }
}

#[tokio::test]
async fn bad_durations_and_wrong_types_are_422_form_param_value_invalid() {
    let h = Harness::start().await;
    let user = h.create_user().await;
    let cases = [
        (json!({"expires_in_seconds": 0}), "expires_in_seconds"),
        (json!({"expires_in_seconds": -5}), "expires_in_seconds"),
        (
            json!({"expires_in_seconds": 2_592_001}),
            "expires_in_seconds",
        ),
        (json!({"expires_in_seconds": "60"}), "expires_in_seconds"),
        (json!({"expires_in_seconds": 1.5}), "expires_in_seconds"),
        (
            json!({"session_max_duration_in_seconds": 0}),
            "session_max_duration_in_seconds",
        ),
        (
            json!({"session_max_duration_in_seconds": 604_801}),
            "session_max_duration_in_seconds",
        ),
        (
            json!({"session_max_duration_in_seconds": [1]}),
            "session_max_duration_in_seconds",
        ),
    ];
    for (extra, param) in cases {
        let mut body = json!({"user_id": user, "actor": {"sub": "user_a"}});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = create(&h, body).await;
        expect_error(r, 422, "form_param_value_invalid", Some(param)).await;
    }
    for (body, param) in [
        (json!({"user_id": 5, "actor": {"sub": "s"}}), "user_id"),
        (json!({"user_id": user, "actor": "user_a"}), "actor"),
        (json!({"user_id": user, "actor": ["x"]}), "actor"),
        (json!({"user_id": user, "actor": {"sub": 42}}), "actor.sub"),
        (json!({"user_id": true, "actor": {"sub": "s"}}), "user_id"),
    ] {
        let r = create(&h, body).await;
        expect_error(r, 422, "form_param_value_invalid", Some(param)).await;
    }
    assert_eq!(h.token_count().await, 0);
}

#[tokio::test]
async fn several_problems_are_all_reported() {
    let h = Harness::start().await;
    let r = create(&h, json!({"nope": 1, "expires_in_seconds": 0})).await;
    let b = expect_error(r, 422, "form_param_unknown", Some("nope")).await;
    let codes: Vec<&str> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "form_param_unknown",
            "form_param_missing",
            "form_param_missing",
            "form_param_value_invalid"
        ]
    );
}

#[tokio::test]
async fn unknown_fields_are_422_form_param_unknown() {
    let h = Harness::start().await;
    let user = h.create_user().await;
    let r = create(
        &h,
        json!({"user_id": user, "actor": {"sub": "s"}, "expires_at": 5}),
    )
    .await;
    let b = expect_error(r, 422, "form_param_unknown", Some("expires_at")).await;
    assert_eq!(
        b["errors"][0]["long_message"],
        "expires_at is not a valid parameter for this request."
    );
    // Unknown keys inside `actor` are the actor's own: kept, not refused.
    let r = create(
        &h,
        json!({"user_id": user, "actor": {"sub": "s", "anything": {"x": 1}}}),
    )
    .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_400_request_body_invalid() {
    let h = Harness::start().await;
    for body in [
        b"{".to_vec(),
        b"not json".to_vec(),
        b"{\"user_id\": }".to_vec(),
        vec![0xff, 0xfe, b'{', b'}'],
        b"{\"user_id\": \"\xc3\x28\"}".to_vec(),
        b"[1,2]".to_vec(),
        b"\"a string\"".to_vec(),
        b"null".to_vec(),
    ] {
        let r = h
            .post_raw("/v1/actor_tokens", Some("application/json"), body.clone())
            .await;
        expect_error(r, 400, "request_body_invalid", None).await;
    }
}

#[tokio::test]
async fn impersonation_disabled_is_402() {
    let mut config = Config::for_tests(KEY);
    config.settings.impersonation_enabled = false;
    let h = Harness::with_config(config).await;
    let user = h.create_user().await;
    let r = create(&h, json!({"user_id": user, "actor": {"sub": "s"}})).await;
    expect_error(r, 402, "unsupported_subscription_plan_features", None).await;
    assert_eq!(h.token_count().await, 0);
}

#[tokio::test]
async fn the_monthly_limit_is_422_with_limit_and_used_and_resets_next_month() {
    // 2026-11-30T23:59:00Z
    let clock = TestClock::at(1_796_083_140_000);
    let mut config = Config::for_tests(KEY);
    config.settings.monthly_impersonation_limit = Some(2);
    config.clock = Arc::new(clock.clone());
    let h = Harness::with_config(config).await;
    let user = h.create_user().await;
    h.create_token(&user).await;
    h.create_token(&user).await;
    let r = create(&h, json!({"user_id": user, "actor": {"sub": "s"}})).await;
    let b = expect_error(r, 422, "impersonation_limit_exceeded", None).await;
    assert_eq!(b["errors"][0]["meta"], json!({"limit": 2, "used": 2}));
    assert_eq!(h.token_count().await, 2);
    // Two minutes later it is December: a new month, a new quota.
    clock.advance(120_000);
    h.create_token(&user).await;
    assert_eq!(h.token_count().await, 3);
}

#[tokio::test]
async fn authorization_errors_are_401_with_their_codes() {
    let h = Harness::start().await;
    let url = h.url("/v1/actor_tokens");
    let body = json!({"user_id": "u", "actor": {"sub": "s"}});
    for header in [
        None,
        Some("Bearer"),
        Some("Bearer "),
        Some("Basic abc"),
        Some(KEY),
        Some("Bearer a b"),
    ] {
        let mut r = h.client.post(&url).json(&body);
        if let Some(v) = header {
            r = r.header("authorization", v);
        }
        let r = r.send().await.unwrap();
        expect_error(r, 401, "authorization_header_format_invalid", None).await;
    }
    let r = h
        .client
        .post(&url)
        .bearer_auth("sk_test_wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    let b = expect_error(r, 401, "clerk_key_invalid", None).await;
    assert!(
        !b.to_string().contains("sk_test_wrong"),
        "the key is not echoed"
    );
    // Revoke and the extensions are guarded the same way.
    for (m, p) in [
        (Method::POST, "/v1/actor_tokens/act_x/revoke"),
        (Method::GET, "/v1/actor_tokens/act_x"),
        (Method::GET, "/v1/actor_tokens"),
        (Method::POST, "/v1/users"),
        (Method::GET, "/v1/users/user_x"),
        (Method::DELETE, "/v1/users/user_x"),
        (Method::GET, "/v1/audit_events"),
    ] {
        let r = h.client.request(m, h.url(p)).send().await.unwrap();
        expect_error(r, 401, "authorization_header_format_invalid", None).await;
    }
}

#[tokio::test]
async fn the_rate_limit_is_per_key_429_with_retry_after() {
    let mut config = Config::for_tests(KEY);
    config.settings.rate_limit_per_minute = Some(3);
    config.secret_keys.push("sk_test_second_key".into());
    let h = Harness::with_config(config).await;
    for _ in 0..3 {
        assert_eq!(h.get("/v1/actor_tokens").await.status(), 200);
    }
    let r = h.get("/v1/actor_tokens").await;
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    expect_error(r, 429, "too_many_requests", None).await;
    // Another key has its own budget.
    let r = h
        .client
        .get(h.url("/v1/actor_tokens"))
        .bearer_auth("sk_test_second_key")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_in_the_contract_shape() {
    let h = Harness::start().await;
    let big = format!("{{\"user_id\": \"{}\"}}", "x".repeat(70 * 1024));
    let r = h
        .post_raw(
            "/v1/actor_tokens",
            Some("application/json"),
            big.into_bytes(),
        )
        .await;
    expect_error(r, 413, "request_body_too_large", None).await;
    let r = h
        .post_raw(
            "/v1/users",
            Some("application/json"),
            vec![b' '; 1024 * 1024],
        )
        .await;
    expect_error(r, 413, "request_body_too_large", None).await;
}

#[tokio::test]
async fn a_non_json_content_type_is_415() {
    let h = Harness::start().await;
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let r = h
            .post_raw("/v1/actor_tokens", ct, b"user_id=u".to_vec())
            .await;
        expect_error(r, 415, "unsupported_content_type", None).await;
    }
}

#[tokio::test]
async fn revoking_a_revoked_token_is_400_naming_its_status() {
    let h = Harness::start().await;
    let user = h.create_user().await;
    let t = h.create_token(&user).await;
    let path = format!("/v1/actor_tokens/{}/revoke", t["id"].as_str().unwrap());
    assert_eq!(
        h.req(Method::POST, &path).send().await.unwrap().status(),
        200
    );
    let r = h.req(Method::POST, &path).send().await.unwrap();
    let b = expect_error(r, 400, "actor_token_cannot_be_revoked_code", None).await;
    assert_eq!(
        b["errors"][0]["long_message"],
        "Actor token cannot be revoked because its status is revoked. Only pending tokens can be revoked."
    );
}

#[tokio::test]
async fn api_versions_header_or_query_but_not_both_and_only_known_ones() {
    let h = Harness::start().await;
    for v in ["2025-11-10", "2026-05-12"] {
        let r = h
            .req(Method::GET, "/v1/actor_tokens")
            .header("Clerk-API-Version", v)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{v}");
        let r = h
            .get(&format!("/v1/actor_tokens?__clerk_api_version={v}"))
            .await;
        assert_eq!(r.status(), 200, "{v}");
    }
    let r = h
        .req(
            Method::GET,
            "/v1/actor_tokens?__clerk_api_version=2025-11-10",
        )
        .header("Clerk-API-Version", "2025-11-10")
        .send()
        .await
        .unwrap();
    expect_error(r, 400, "api_version_invalid", None).await;
    let r = h
        .req(Method::GET, "/v1/actor_tokens")
        .header("Clerk-API-Version", "1999-01-01")
        .send()
        .await
        .unwrap();
    expect_error(r, 400, "api_version_invalid", None).await;
    let r = h.get("/v1/actor_tokens?__clerk_api_version=latest").await;
    expect_error(r, 400, "api_version_invalid", None).await;
    // It applies to POST too, before anything else happens.
    let r = h
        .req(Method::POST, "/v1/actor_tokens")
        .header("Clerk-API-Version", "nope")
        .json(&json!({"user_id": "u", "actor": {"sub": "s"}}))
        .send()
        .await
        .unwrap();
    expect_error(r, 400, "api_version_invalid", None).await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_contract_shape() {
    let h = Harness::start().await;
    for p in [
        "/",
        "/v1",
        "/v1/nope",
        "/v1/actor_tokens/a/b/c",
        "/v2/actor_tokens",
    ] {
        let r = h.get(p).await;
        expect_error(r, 404, "resource_not_found", None).await;
    }
    let r = h.req(Method::PUT, "/v1/actor_tokens").send().await.unwrap();
    expect_error(r, 405, "method_not_allowed", None).await;
    let r = h
        .req(Method::GET, "/v1/actor_tokens/act_x/revoke")
        .send()
        .await
        .unwrap();
    expect_error(r, 405, "method_not_allowed", None).await;
}

#[tokio::test]
async fn revoking_an_accepted_token_is_400_naming_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let mut config = Config::for_tests(KEY);
    config.database_url = format!("sqlite://{}", path.display());
    let h = Harness::with_config(config).await;
    let user = h.create_user().await;
    let t = h.create_token(&user).await;
    let id = t["id"].as_str().unwrap();
    // Accepting arrives with the next issue; mark it accepted the way it will.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn.execute(
        "UPDATE actor_tokens SET status = 'accepted' WHERE id = ?1",
        [id],
    )
    .unwrap();
    let r = h
        .req(Method::POST, &format!("/v1/actor_tokens/{id}/revoke"))
        .send()
        .await
        .unwrap();
    let b = expect_error(r, 400, "actor_token_cannot_be_revoked_code", None).await;
    assert_eq!(
        b["errors"][0]["long_message"],
        "Actor token cannot be revoked because its status is accepted. Only pending tokens can be revoked."
    );
    let got: Value = h
        .get(&format!("/v1/actor_tokens/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["status"], "accepted");
}

#[tokio::test]
async fn a_request_past_the_timeout_is_408_in_the_contract_shape() {
    let mut config = Config::for_tests(KEY);
    config.request_timeout = std::time::Duration::from_nanos(1);
    let h = Harness::with_config(config).await;
    let r = h.post_json("/v1/users", &json!({})).await;
    let request_id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let b = expect_error(r, 408, "request_timeout", None).await;
    assert_eq!(b["clerk_trace_id"], json!(request_id));
}

#[tokio::test]
async fn two_authorization_headers_are_malformed_whichever_comes_first() {
    let h = Harness::start().await;
    let good = format!("Bearer {KEY}");
    for pair in [
        [good.as_str(), "Bearer sk_test_bad"],
        ["Bearer sk_test_bad", good.as_str()],
        [good.as_str(), good.as_str()],
    ] {
        let r = h
            .client
            .get(h.url("/v1/actor_tokens"))
            .header("authorization", pair[0])
            .header("authorization", pair[1])
            .send()
            .await
            .unwrap();
        expect_error(r, 401, "authorization_header_format_invalid", None).await;
    }
    // One header still works.
    let r = h
        .client
        .get(h.url("/v1/actor_tokens"))
        .header("authorization", good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
}
