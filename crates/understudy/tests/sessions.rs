//! Sessions: every transition (inactive, capped, revoked), minting, listing and errors.
//! Time moves by the test clock, never by sleeping.

mod common;
mod flow_support;

use common::expect_error;
use flow_support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const MIN: i64 = 60_000;

async fn session(h: &common::Harness, id: &str) -> Value {
    let r = h.get(&format!("/v1/sessions/{id}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn revoke(h: &common::Harness, id: &str) -> reqwest::Response {
    h.req(Method::POST, &format!("/v1/sessions/{id}/revoke"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn minting_touches_the_session_and_answers_a_verifiable_token() {
    let (h, clock, browser) = start().await;
    let (user, _, s, _, _) = signed_in(&h, &browser).await;
    let sid = s["id"].as_str().unwrap();
    clock.advance(5 * MIN);
    let r = h
        .req(Method::POST, &format!("/v1/sessions/{sid}/tokens"))
        .header("origin", "http://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["object"], "token");
    let claims = verify(&h, body["jwt"].as_str().unwrap(), false).await;
    assert_eq!(
        (claims.sub.as_str(), claims.sid.as_str()),
        (user.as_str(), sid)
    );
    assert_eq!(claims.exp - claims.iat, 60);
    assert_eq!(claims.nbf, claims.iat);
    assert_eq!(claims.v, Some(2));
    assert_eq!(claims.azp.as_deref(), Some("http://app.example"));
    let now = s["created_at"].as_i64().unwrap() + 5 * MIN;
    assert_eq!(claims.iat, now / 1000);
    let after = session(&h, sid).await;
    assert_eq!(after["last_active_at"].as_i64().unwrap(), now);
    assert_eq!(after["abandon_at"].as_i64().unwrap(), now + 10 * MIN);
    assert_eq!(
        after["expire_at"], s["expire_at"],
        "touching never moves the cap"
    );
}

#[tokio::test]
async fn ten_minutes_without_activity_abandon_the_session() {
    let (h, clock, browser) = start().await;
    let (user, _, s, _, _) = signed_in(&h, &browser).await;
    let sid = s["id"].as_str().unwrap();
    clock.advance(10 * MIN - 1);
    assert_eq!(session(&h, sid).await["status"], "active");
    clock.advance(1);
    assert_eq!(session(&h, sid).await["status"], "abandoned");
    let active: Value = h
        .get(&format!("/v1/sessions?user_id={user}&status=active"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(active, json!([]));
    let abandoned: Value = h
        .get(&format!("/v1/sessions?user_id={user}&status=abandoned"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(abandoned.as_array().unwrap().len(), 1);
    let body = expect_error(mint(&h, sid).await, 400, "session_not_active", None).await;
    assert!(body.to_string().contains("abandoned"), "{body}");
    // Persisted, with its audit row; still abandoned later.
    clock.advance(MIN);
    assert_eq!(session(&h, sid).await["status"], "abandoned");
    let ended = audit(&h, &format!("user_id={user}")).await;
    assert!(ended.iter().any(|e| e["action"] == "session.ended"));
}

#[tokio::test]
async fn the_cap_expires_a_session_even_while_it_is_active() {
    let (h, clock, browser) = start().await;
    let user = h.create_user().await;
    let token = token_with(&h, &user, json!({"session_max_duration_in_seconds": 900})).await;
    let (s, _, _) = accept_json(&h, &browser, &token, None).await;
    let sid = s["id"].as_str().unwrap();
    let created = s["created_at"].as_i64().unwrap();
    assert_eq!(s["expire_at"].as_i64().unwrap(), created + 15 * MIN);
    // Activity every 5 minutes keeps it alive, but never past the cap.
    for _ in 0..2 {
        clock.advance(5 * MIN);
        assert_eq!(mint(&h, sid).await.status(), StatusCode::OK);
    }
    let s = session(&h, sid).await;
    assert_eq!(s["abandon_at"].as_i64().unwrap(), created + 15 * MIN);
    clock.advance(5 * MIN - 1);
    assert_eq!(mint(&h, sid).await.status(), StatusCode::OK);
    clock.advance(1);
    expect_error(mint(&h, sid).await, 400, "session_not_active", None).await;
    let s = session(&h, sid).await;
    assert_eq!(s["status"], "expired");
    assert_eq!(s["updated_at"].as_i64().unwrap(), created + 15 * MIN);
}

#[tokio::test]
async fn a_revoked_session_mints_nothing_and_cannot_be_revoked_again() {
    let (h, _clock, browser) = start().await;
    let (user, _, s, _, _) = signed_in(&h, &browser).await;
    let sid = s["id"].as_str().unwrap();
    let r = revoke(&h, sid).await;
    assert_eq!(r.status(), StatusCode::OK);
    let revoked: Value = r.json().await.unwrap();
    assert_eq!(revoked["status"], "revoked");
    expect_error(mint(&h, sid).await, 400, "session_not_active", None).await;
    expect_error(revoke(&h, sid).await, 400, "session_not_active", None).await;
    let events = audit(&h, &format!("user_id={user}")).await;
    let ended: Vec<&Value> = events
        .iter()
        .filter(|e| e["action"] == "session.ended")
        .collect();
    assert_eq!(ended.len(), 1, "{events:?}");
    assert_eq!(ended[0]["session_id"], json!(sid));
    assert!(
        ended[0]["secret_key_id"]
            .as_str()
            .unwrap()
            .starts_with("ak_")
    );
    assert_eq!(ended[0]["reason"], "ticket 1");
    assert_eq!(ended[0]["actor_sub"], "user_support");
    assert!(ended[0]["trace_id"].as_str().is_some_and(|t| t.len() == 32));
}

#[tokio::test]
async fn revoking_an_abandoned_session_is_not_active() {
    let (h, clock, browser) = start().await;
    let (_, _, s, _, _) = signed_in(&h, &browser).await;
    clock.advance(11 * MIN);
    let sid = s["id"].as_str().unwrap();
    expect_error(revoke(&h, sid).await, 400, "session_not_active", None).await;
    assert_eq!(session(&h, sid).await["status"], "abandoned");
}

#[tokio::test]
async fn unknown_sessions_are_not_found() {
    let (h, _clock, _) = start().await;
    for r in [
        h.get("/v1/sessions/sess_missing").await,
        mint(&h, "sess_missing").await,
        revoke(&h, "sess_missing").await,
        h.get("/v1/sessions/%FF").await,
    ] {
        expect_error(r, 404, "resource_not_found", None).await;
    }
}

#[tokio::test]
async fn session_routes_need_the_secret_key() {
    let (h, _clock, browser) = start().await;
    let (_, _, s, _, _) = signed_in(&h, &browser).await;
    let sid = s["id"].as_str().unwrap();
    for (method, path) in [
        (Method::GET, "/v1/sessions".to_owned()),
        (Method::GET, format!("/v1/sessions/{sid}")),
        (Method::POST, format!("/v1/sessions/{sid}/revoke")),
        (Method::POST, format!("/v1/sessions/{sid}/tokens")),
        (Method::GET, "/v1/audit_events".to_owned()),
    ] {
        let r = h.client.request(method, h.url(&path)).send().await.unwrap();
        expect_error(r, 401, "authorization_header_format_invalid", None).await;
    }
    assert_eq!(session(&h, sid).await["status"], "active");
}

#[tokio::test]
async fn lists_filter_by_user_and_status_and_paginate_on_request() {
    let (h, _clock, browser) = start().await;
    let (user_a, _, a, _, _) = signed_in(&h, &browser).await;
    let (_, _, _b, _, _) = signed_in(&h, &browser).await;
    let array: Value = h.get("/v1/sessions").await.json().await.unwrap();
    assert_eq!(array.as_array().unwrap().len(), 2);
    let page: Value = h
        .get("/v1/sessions?paginated=true&limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total_count"], 2);
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    let mine: Value = h
        .get(&format!("/v1/sessions?user_id={user_a}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine[0]["id"], a["id"]);
    revoke(&h, a["id"].as_str().unwrap()).await;
    let revoked: Value = h
        .get("/v1/sessions?status=revoked")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(revoked.as_array().unwrap().len(), 1);
    let r = h.get("/v1/sessions?status=sleeping").await;
    expect_error(r, 422, "form_param_value_invalid", Some("status")).await;
    let r = h.get("/v1/sessions?limit=0").await;
    expect_error(r, 422, "form_param_value_invalid", Some("limit")).await;
}

#[tokio::test]
async fn session_tokens_never_outlive_a_short_cap() {
    let (h, clock, browser) = start().await;
    let user = h.create_user().await;
    let token = token_with(&h, &user, json!({"session_max_duration_in_seconds": 5})).await;
    let (s, jwt, _) = accept_json(&h, &browser, &token, None).await;
    let sid = s["id"].as_str().unwrap();
    let cap = s["expire_at"].as_i64().unwrap().div_euclid(1000);
    let first = verify(&h, &jwt, false).await;
    assert_eq!(first.exp, cap, "iat {}", first.iat);
    assert!(first.exp < first.iat + 60);
    // Minting later never extends it either.
    clock.advance(3_000);
    let r = mint(&h, sid).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let later = verify(&h, body["jwt"].as_str().unwrap(), false).await;
    assert_eq!(later.exp, cap);
    assert!(later.iat > first.iat);
}
