//! `GET /v1/tickets/accept`: every transition of an actor token through its ticket, the
//! cookie, replacing the browser's sessions, and the race of 50 concurrent accepts.

mod common;
mod flow_support;

use common::{Harness, KEY, expect_error};
use flow_support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use understudy::Config;

async fn token_status(h: &Harness, id: &str) -> String {
    let v: Value = h
        .get(&format!("/v1/actor_tokens/{id}"))
        .await
        .json()
        .await
        .unwrap();
    v["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn pending_to_accepted_redirects_sets_the_cookie_and_creates_a_session() {
    let (h, _clock, browser) = start().await;
    let user = h.create_user().await;
    let token = h.create_token(&user).await;
    // The URL the create response hands out points at this server.
    let url = token["url"].as_str().unwrap();
    assert!(url.starts_with(&format!(
        "{}/v1/tickets/accept?ticket=",
        h.server.base_url()
    )));
    let r = browser.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("{}/impersonation", h.server.base_url()).as_str()
    );
    let cookie = set_cookie(&r);
    assert!(cookie.starts_with("__client="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "http frontend: {cookie}");
    assert_eq!(cookie_value(&cookie).len(), 43);

    assert_eq!(
        token_status(&h, token["id"].as_str().unwrap()).await,
        "accepted"
    );
    let sessions: Value = h
        .get(&format!("/v1/sessions?user_id={user}"))
        .await
        .json()
        .await
        .unwrap();
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(s["object"], "session");
    assert!(s["id"].as_str().unwrap().starts_with("sess_"));
    assert!(s["client_id"].as_str().unwrap().starts_with("client_"));
    assert_eq!(s["status"], "active");
    assert_eq!(
        s["actor"],
        json!({"sub": "user_support", "reason": "ticket 1"})
    );
    assert_eq!(s["last_active_organization_id"], Value::Null);
    // Default session_max_duration_in_seconds is 1800; inactivity ends it after 10 min.
    let created = s["created_at"].as_i64().unwrap();
    assert_eq!(s["expire_at"].as_i64().unwrap(), created + 1_800_000);
    assert_eq!(s["abandon_at"].as_i64().unwrap(), created + 600_000);
}

#[tokio::test]
async fn json_accept_answers_the_session_and_a_first_token() {
    let (h, _clock, browser) = start().await;
    let (user, token, session, jwt, _) = signed_in(&h, &browser).await;
    assert_eq!(session["object"], "session");
    assert_eq!(session["user_id"], json!(user));
    assert_eq!(session["status"], "active");
    assert_eq!(session["last_active_token"]["object"], "token");
    let claims = verify(&h, &jwt, true).await;
    assert_eq!(claims.sub, user);
    assert_eq!(claims.sid, session["id"].as_str().unwrap());
    assert_eq!(claims.act.unwrap().sub, "user_support");
    assert_eq!(
        token_status(&h, token["id"].as_str().unwrap()).await,
        "accepted"
    );
}

#[tokio::test]
async fn a_reused_ticket_is_already_used_and_creates_nothing() {
    let (h, _clock, browser) = start().await;
    let user = h.create_user().await;
    let token = h.create_token(&user).await;
    assert_eq!(
        accept(&h, &browser, &token, None, false).await.status(),
        StatusCode::SEE_OTHER
    );
    for json in [false, true] {
        let r = accept(&h, &browser, &token, None, json).await;
        assert!(r.headers().get("set-cookie").is_none());
        expect_error(r, 400, "actor_token_already_used_code", None).await;
    }
    let sessions: Value = h.get("/v1/sessions").await.json().await.unwrap();
    assert_eq!(sessions.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_revoked_token_cannot_be_accepted() {
    let (h, _clock, browser) = start().await;
    let user = h.create_user().await;
    let token = h.create_token(&user).await;
    let id = token["id"].as_str().unwrap();
    let r = h
        .req(Method::POST, &format!("/v1/actor_tokens/{id}/revoke"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = accept(&h, &browser, &token, None, false).await;
    expect_error(r, 400, "actor_token_revoked_code", None).await;
    assert_eq!(token_status(&h, id).await, "revoked");
}

#[tokio::test]
async fn an_expired_token_cannot_be_used_and_stays_pending() {
    let (h, clock, browser) = start().await;
    let user = h.create_user().await;
    let token = token_with(&h, &user, json!({"expires_in_seconds": 60})).await;
    clock.advance(59_999);
    let early = token_with(&h, &user, json!({"expires_in_seconds": 60})).await;
    clock.advance(1);
    let r = accept(&h, &browser, &token, None, false).await;
    expect_error(r, 400, "actor_token_cannot_be_used_code", None).await;
    assert_eq!(
        token_status(&h, token["id"].as_str().unwrap()).await,
        "pending"
    );
    // One created later is still within its minute.
    assert_eq!(
        accept(&h, &browser, &early, None, false).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn unknown_missing_and_malformed_tickets_cannot_be_used() {
    let (h, _clock, browser) = start().await;
    let r = accept_ticket(&h, &browser, "nope", None, false).await;
    expect_error(r, 400, "actor_token_cannot_be_used_code", None).await;
    for path in [
        "/v1/tickets/accept",
        "/v1/tickets/accept?ticket=",
        "/v1/tickets/accept?ticket=%00%01",
    ] {
        let r = browser.get(h.url(path)).send().await.unwrap();
        expect_error(r, 400, "actor_token_cannot_be_used_code", None).await;
    }
    let long = "a".repeat(5000);
    let r = accept_ticket(&h, &browser, &long, None, false).await;
    expect_error(r, 400, "actor_token_cannot_be_used_code", None).await;
}

#[tokio::test]
async fn an_accepted_token_cannot_be_revoked() {
    let (h, _clock, browser) = start().await;
    let (_, token, _, _, _) = signed_in(&h, &browser).await;
    let id = token["id"].as_str().unwrap();
    let r = h
        .req(Method::POST, &format!("/v1/actor_tokens/{id}/revoke"))
        .send()
        .await
        .unwrap();
    expect_error(r, 400, "actor_token_cannot_be_revoked_code", None).await;
}

#[tokio::test]
async fn a_deleted_subject_is_not_found_and_its_sessions_are_removed() {
    let (h, _clock, browser) = start().await;
    let (user, _, session, _, _) = signed_in(&h, &browser).await;
    let pending = h.create_token(&user).await;
    let r = h.delete(&format!("/v1/users/{user}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = accept(&h, &browser, &pending, None, false).await;
    expect_error(r, 404, "actor_token_subject_not_found", None).await;
    let sid = session["id"].as_str().unwrap();
    let s: Value = h
        .get(&format!("/v1/sessions/{sid}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["status"], "removed");
    expect_error(mint(&h, sid).await, 400, "session_not_active", None).await;
    let ended = audit(&h, &format!("user_id={user}")).await;
    assert!(
        ended
            .iter()
            .any(|e| e["action"] == "session.ended" && e["session_id"] == json!(sid)),
        "{ended:?}"
    );
}

#[tokio::test]
async fn accepting_in_the_same_browser_replaces_its_other_sessions_only() {
    let (h, _clock, browser) = start().await;
    let (user, _, first, _, cookie) = signed_in(&h, &browser).await;
    // Another browser's session is untouched.
    let (_, _, other, _, _) = signed_in(&h, &browser).await;
    let token = h.create_token(&user).await;
    let (second, _, cookie_again) = accept_json(&h, &browser, &token, Some(&cookie)).await;
    assert_eq!(cookie_again, cookie, "the browser keeps its identity");
    assert_eq!(second["client_id"], first["client_id"]);
    let status = |id: Value| {
        let h = &h;
        async move {
            let v: Value = h
                .get(&format!("/v1/sessions/{}", id.as_str().unwrap()))
                .await
                .json()
                .await
                .unwrap();
            v["status"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(status(first["id"].clone()).await, "replaced");
    assert_eq!(status(second["id"].clone()).await, "active");
    assert_eq!(status(other["id"].clone()).await, "active");
    // An unknown cookie is not adopted: the browser gets a fresh identity.
    let token = h.create_token(&user).await;
    let (_, _, fresh) = accept_json(&h, &browser, &token, Some("forged-value")).await;
    assert_ne!(fresh, "forged-value");
}

#[tokio::test]
async fn the_cookie_is_secure_when_the_frontend_is_https() {
    let mut config = Config::for_tests(KEY);
    config.frontend_url = "https://app.example".into();
    let (h, _clock, browser) = start_with(config).await;
    let user = h.create_user().await;
    let token = h.create_token(&user).await;
    assert!(
        token["url"]
            .as_str()
            .unwrap()
            .starts_with("https://app.example/v1/tickets/accept")
    );
    let r = accept(&h, &browser, &token, None, false).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "https://app.example/impersonation");
    let cookie = set_cookie(&r);
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn the_after_accept_url_is_configurable() {
    let mut config = Config::for_tests(KEY);
    config.after_accept_url = Some("http://app.example/dashboard".into());
    let (h, _clock, browser) = start_with(config).await;
    let user = h.create_user().await;
    let token = h.create_token(&user).await;
    let r = accept(&h, &browser, &token, None, false).await;
    assert_eq!(r.headers()["location"], "http://app.example/dashboard");
}

#[tokio::test]
async fn fifty_concurrent_accepts_of_one_ticket_make_exactly_one_session() {
    let (h, _clock, browser) = start().await;
    let user = h.create_user().await;
    let token = h.create_token(&user).await;
    let attempts = (0..50).map(|i| {
        let (h, browser, token) = (&h, &browser, &token);
        async move { accept(h, browser, token, None, i % 2 == 0).await }
    });
    let responses = futures::future::join_all(attempts).await;
    let mut successes = 0;
    let mut refusals = 0;
    for r in responses {
        match r.status().as_u16() {
            200 | 303 => successes += 1,
            400 => {
                let body: Value = r.json().await.unwrap();
                assert_eq!(body["errors"][0]["code"], "actor_token_already_used_code");
                refusals += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((successes, refusals), (1, 49));
    let sessions: Value = h
        .get("/v1/sessions?paginated=true&limit=100")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions["total_count"], 1);
    let accepted = audit(&h, "").await;
    assert_eq!(
        accepted
            .iter()
            .filter(|e| e["action"] == "actor_token.accepted")
            .count(),
        1
    );
}

#[tokio::test]
async fn the_flow_is_documented_in_openapi_and_counted_in_metrics() {
    let (h, _clock, browser) = start().await;
    let (_, token, _, _, _) = signed_in(&h, &browser).await;
    let r = accept(&h, &browser, &token, None, false).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let metrics = h.metrics_text().await;
    for line in [
        "understudy_events_total{event=\"tickets_accepted\"} 1",
        "understudy_events_total{event=\"tickets_refused\"} 1",
        "understudy_events_total{event=\"session_tokens_minted\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    let doc = h.openapi().await;
    for path in [
        "/v1/tickets/accept",
        "/v1/jwks",
        "/v1/sessions",
        "/v1/sessions/{session_id}",
        "/v1/sessions/{session_id}/revoke",
        "/v1/sessions/{session_id}/tokens",
        "/impersonation",
        "/impersonation/end",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    let jwk = &doc["components"]["schemas"]["Jwk"]["properties"];
    assert!(jwk["use"].is_object(), "{jwk}");
    let audit = &doc["paths"]["/v1/audit_events"]["get"]["parameters"];
    let names: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"user_id") && names.contains(&"actor_sub"),
        "{names:?}"
    );
}

#[tokio::test]
async fn accept_answers_are_never_cached() {
    let (h, _clock, browser) = start().await;
    let user = h.create_user().await;
    for json in [false, true] {
        let token = h.create_token(&user).await;
        let r = accept(&h, &browser, &token, None, json).await;
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
}

#[tokio::test]
async fn head_on_accept_is_refused_and_leaves_the_ticket_pending() {
    let (h, _clock, browser) = start().await;
    let user = h.create_user().await;
    let token = h.create_token(&user).await;
    let url = token["url"].as_str().unwrap();
    for _ in 0..2 {
        let r = browser.head(url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.headers()["allow"], "GET");
        assert!(r.headers().get("clerk-trace-id").is_some());
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        assert!(r.headers().get("set-cookie").is_none());
    }
    assert_eq!(
        token_status(&h, token["id"].as_str().unwrap()).await,
        "pending"
    );
    let sessions: Value = h.get("/v1/sessions").await.json().await.unwrap();
    assert_eq!(sessions, json!([]));
    // The real GET still works afterwards.
    assert_eq!(
        browser.get(url).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
}
