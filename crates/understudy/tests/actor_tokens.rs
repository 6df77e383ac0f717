//! POST /v1/actor_tokens and /revoke, and the GET extensions, over HTTP.

mod common;

use common::{Harness, expect_error};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn create_answers_200_with_a_pending_token_its_ticket_and_url() {
    let h = Harness::start().await;
    let user = h.create_user().await;
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let r = h
        .post_json(
            "/v1/actor_tokens",
            &json!({"user_id": user, "actor": {"sub": "user_support", "reason": "ticket #4711", "n": [1]},
                    "expires_in_seconds": 600, "session_max_duration_in_seconds": 300}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("clerk-trace-id"));
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["object"], "actor_token");
    assert!(t["id"].as_str().unwrap().starts_with("act_"));
    assert_eq!(t["status"], "pending");
    assert_eq!(t["user_id"], json!(user));
    assert_eq!(
        t["actor"],
        json!({"sub": "user_support", "reason": "ticket #4711", "n": [1]})
    );
    let token = t["token"].as_str().unwrap();
    assert_eq!(token.len(), 43, "256 bits of base62");
    assert_eq!(
        t["url"],
        json!(format!(
            "{}/v1/tickets/accept?ticket={token}",
            h.server.base_url()
        ))
    );
    let created = t["created_at"].as_i64().unwrap();
    assert!(
        created >= before && created < before + 60_000,
        "milliseconds"
    );
    assert_eq!(t["updated_at"], t["created_at"]);
    // The ticket is shown once: never again.
    let again: Value = h
        .get(&format!("/v1/actor_tokens/{}", t["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert!(again.get("token").is_none() && again.get("url").is_none());
    assert_eq!(again["status"], "pending");
}

#[tokio::test]
async fn the_actor_comes_back_in_the_order_it_was_sent_on_create_get_and_revoke() {
    let h = Harness::start().await;
    let user = h.create_user().await;
    let body = format!(
        r#"{{"user_id":"{user}","actor":{{"sub":"user_s","zeta":1,"reason":"r","alpha":{{"b":1,"a":2}}}}}}"#
    );
    let r = h
        .post_raw(
            "/v1/actor_tokens",
            Some("application/json"),
            body.into_bytes(),
        )
        .await;
    let text = r.text().await.unwrap();
    let expected = r#""actor":{"sub":"user_s","zeta":1,"reason":"r","alpha":{"b":1,"a":2}}"#;
    assert!(text.contains(expected), "{text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = h
        .get(&format!("/v1/actor_tokens/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(got.contains(expected), "{got}");
    let revoked = h
        .req(Method::POST, &format!("/v1/actor_tokens/{id}/revoke"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(revoked.contains(expected), "{revoked}");
}

#[tokio::test]
async fn tokens_and_tickets_are_distinct() {
    let h = Harness::start().await;
    let user = h.create_user().await;
    let a = h.create_token(&user).await;
    let b = h.create_token(&user).await;
    assert_ne!(a["id"], b["id"]);
    assert_ne!(a["token"], b["token"]);
}

#[tokio::test]
async fn revoke_answers_200_then_400_naming_the_status() {
    let h = Harness::start().await;
    let user = h.create_user().await;
    let t = h.create_token(&user).await;
    let id = t["id"].as_str().unwrap();
    let r = h
        .req(Method::POST, &format!("/v1/actor_tokens/{id}/revoke"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let revoked: Value = r.json().await.unwrap();
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["id"], t["id"]);
    assert!(revoked.get("token").is_none());
    assert!(revoked["updated_at"].as_i64() >= t["updated_at"].as_i64());

    let r = h
        .req(Method::POST, &format!("/v1/actor_tokens/{id}/revoke"))
        .send()
        .await
        .unwrap();
    let body = expect_error(r, 400, "actor_token_cannot_be_revoked_code", None).await;
    let long = body["errors"][0]["long_message"].as_str().unwrap();
    assert!(
        long.contains("revoked") && long.contains("Only pending tokens can be revoked."),
        "{long}"
    );
}

#[tokio::test]
async fn revoke_accepts_a_json_content_type_with_an_empty_body() {
    let h = Harness::start().await;
    let user = h.create_user().await;
    let t = h.create_token(&user).await;
    let r = h
        .post_raw(
            &format!("/v1/actor_tokens/{}/revoke", t["id"].as_str().unwrap()),
            Some("application/json"),
            Vec::new(),
        )
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn revoke_of_unknown_or_odd_ids_is_404() {
    let h = Harness::start().await;
    for id in [
        "act_unknown",
        "act%2Fslash",
        "act%3Fquery",
        "act%25percent",
        "%C3%A9t%C3%A9",
        "%F0%9F%98%80",
        "%FF%FE",
        "act_%00nul",
        "..",
        "a%20b",
    ] {
        let r = h
            .req(Method::POST, &format!("/v1/actor_tokens/{id}/revoke"))
            .send()
            .await
            .unwrap();
        expect_error(r, 404, "resource_not_found", None).await;
        let r = h.get(&format!("/v1/actor_tokens/{id}")).await;
        expect_error(r, 404, "resource_not_found", None).await;
    }
}

#[tokio::test]
async fn create_for_a_missing_user_is_404_and_stores_nothing() {
    let h = Harness::start().await;
    let r = h
        .post_json(
            "/v1/actor_tokens",
            &json!({"user_id": "user_nobody", "actor": {"sub": "user_support"}}),
        )
        .await;
    let body = expect_error(r, 404, "resource_not_found", None).await;
    assert!(
        body["errors"][0]["long_message"]
            .as_str()
            .unwrap()
            .contains("user_nobody")
    );
    assert_eq!(h.token_count().await, 0);
}

#[tokio::test]
async fn get_and_list_filter_and_paginate() {
    let h = Harness::start().await;
    let u1 = h.create_user().await;
    let u2 = h.create_user().await;
    let a = h.create_token(&u1).await;
    let _b = h.create_token(&u1).await;
    let c = h.create_token(&u2).await;
    h.req(
        Method::POST,
        &format!("/v1/actor_tokens/{}/revoke", a["id"].as_str().unwrap()),
    )
    .send()
    .await
    .unwrap();

    let all: Value = h.get("/v1/actor_tokens").await.json().await.unwrap();
    assert_eq!(all["total_count"], 3);
    assert_eq!(all["data"][0]["id"], c["id"], "newest first");
    let by_user: Value = h
        .get(&format!("/v1/actor_tokens?user_id={u1}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_user["total_count"], 2);
    let revoked: Value = h
        .get("/v1/actor_tokens?status=revoked")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(revoked["total_count"], 1);
    assert_eq!(revoked["data"][0]["id"], a["id"]);
    let by_actor: Value = h
        .get("/v1/actor_tokens?actor_sub=user_support&limit=2&offset=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_actor["total_count"], 3);
    assert_eq!(by_actor["data"].as_array().unwrap().len(), 1);
    let none: Value = h
        .get("/v1/actor_tokens?actor_sub=nobody")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none, json!({"data": [], "total_count": 0}));
}

#[tokio::test]
async fn list_rejects_bad_limits_offsets_and_statuses() {
    let h = Harness::start().await;
    for (q, param) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
        ("status=expired", "status"),
    ] {
        let r = h.get(&format!("/v1/actor_tokens?{q}")).await;
        expect_error(r, 422, "form_param_value_invalid", Some(param)).await;
    }
    for q in [
        "limit=1",
        "limit=500",
        "offset=0",
        "status=pending",
        "unknown=1",
    ] {
        assert_eq!(
            h.get(&format!("/v1/actor_tokens?{q}")).await.status(),
            200,
            "{q}"
        );
    }
}

#[tokio::test]
async fn create_and_revoke_write_audit_rows_naming_the_key_id_never_the_key() {
    let h = Harness::start().await;
    let user = h.create_user().await;
    let t = h.create_token(&user).await;
    let r = h
        .req(
            Method::POST,
            &format!("/v1/actor_tokens/{}/revoke", t["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    let trace = r.headers()["clerk-trace-id"].to_str().unwrap().to_owned();
    assert_eq!(r.status(), 200);
    let events: Value = h.get("/v1/audit_events").await.json().await.unwrap();
    assert_eq!(events["total_count"], 2);
    let revoke = &events["data"][0];
    let create = &events["data"][1];
    assert_eq!(revoke["action"], "actor_token.revoked");
    assert_eq!(create["action"], "actor_token.created");
    for e in [revoke, create] {
        assert_eq!(e["actor_token_id"], t["id"]);
        assert_eq!(e["user_id"], json!(user));
        assert_eq!(e["actor_sub"], "user_support");
        assert_eq!(e["reason"], "ticket 1");
        assert!(e["secret_key_id"].as_str().unwrap().starts_with("ak_"));
    }
    assert_eq!(revoke["trace_id"], json!(trace));
    let text = events.to_string();
    assert!(
        !text.contains(common::KEY),
        "the key itself is never stored"
    );
    assert!(
        !text.contains(t["token"].as_str().unwrap()),
        "nor the ticket"
    );
}

#[tokio::test]
async fn the_actor_is_capped_at_4096_bytes_of_json() {
    let h = Harness::start().await;
    let user = h.create_user().await;
    // `{"sub":"s","pad":""}` is 20 bytes.
    let body = |pad: usize| json!({"user_id": user, "actor": {"sub": "s", "pad": "x".repeat(pad)}});
    let r = h.post_json("/v1/actor_tokens", &body(4096 - 20)).await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let before = h.token_count().await;
    let r = h.post_json("/v1/actor_tokens", &body(4096 - 19)).await;
    let err = expect_error(r, 422, "form_param_value_invalid", Some("actor")).await;
    let message = err["errors"][0]["long_message"].as_str().unwrap();
    assert!(message.contains("at most 4096 bytes"), "{message}");
    assert_eq!(h.token_count().await, before);
}
