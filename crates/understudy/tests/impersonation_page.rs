//! The built-in after-accept page, ending an impersonation from the browser, and the audit
//! log of the whole flow.

mod common;
mod flow_support;

use common::expect_error;
use flow_support::*;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

async fn page(h: &common::Harness, browser: &Client, cookie: Option<&str>, path: &str) -> String {
    let mut r = browser.get(h.url(path));
    if let Some(c) = cookie {
        r = r.header("cookie", format!("__client={c}"));
    }
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert_eq!(r.headers()["cache-control"], "no-store");
    // `no-referrer` would make browsers send `Origin: null` with the end button's POST.
    assert_eq!(r.headers()["referrer-policy"], "same-origin");
    r.text().await.unwrap()
}

async fn end(
    h: &common::Harness,
    browser: &Client,
    cookie: &str,
    origin: Option<&str>,
) -> reqwest::Response {
    let mut r = browser
        .post(h.url("/impersonation/end"))
        .header("cookie", format!("__client={cookie}"));
    if let Some(o) = origin {
        r = r.header("origin", o);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn the_page_shows_the_user_the_actor_and_the_session() {
    let (h, _clock, browser) = start().await;
    let (user, _, s, _, cookie) = signed_in(&h, &browser).await;
    let html = page(&h, &browser, Some(&cookie), "/impersonation").await;
    assert!(
        html.contains(&format!("<span id=\"signed-in-user\">{user}</span>")),
        "{html}"
    );
    assert!(
        html.contains("<span id=\"actor-sub\">user_support</span>"),
        "{html}"
    );
    assert!(html.contains(&format!(
        "<span id=\"session-id\">{}</span>",
        s["id"].as_str().unwrap()
    )));
    assert!(html.contains("ticket 1"));
    assert!(html.contains("<button id=\"end-impersonation\" type=\"submit\">"));
    assert!(!html.contains("no-session"));
}

#[tokio::test]
async fn without_a_session_the_page_says_so() {
    let (h, _clock, browser) = start().await;
    for cookie in [None, Some("unknown")] {
        let html = page(&h, &browser, cookie, "/impersonation").await;
        assert!(
            html.contains("<p id=\"no-session\">No active session</p>"),
            "{html}"
        );
        assert!(!html.contains("end-impersonation"));
        assert!(!html.contains("impersonation-ended"));
    }
}

#[tokio::test]
async fn user_controlled_strings_are_escaped() {
    let (h, _clock, browser) = start().await;
    let r = h
        .post_json(
            "/v1/users",
            &json!({"first_name": "<script>alert('name')</script>"}),
        )
        .await;
    let user: Value = r.json().await.unwrap();
    let actor =
        json!({"sub": "<script>alert(1)</script>", "reason": "<img src=x onerror=alert(2)>"});
    let r = h
        .post_json(
            "/v1/actor_tokens",
            &json!({"user_id": user["id"], "actor": actor}),
        )
        .await;
    let token: Value = r.json().await.unwrap();
    let (_, _, cookie) = accept_json(&h, &browser, &token, None).await;
    let html = page(&h, &browser, Some(&cookie), "/impersonation").await;
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;"),
        "{html}"
    );
}

#[tokio::test]
async fn the_button_revokes_the_session_and_the_page_says_it_ended() {
    let (h, _clock, browser) = start().await;
    let (user, _, s, _, cookie) = signed_in(&h, &browser).await;
    let r = end(&h, &browser, &cookie, Some(&h.server.base_url())).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/impersonation?ended=1");
    let html = page(&h, &browser, Some(&cookie), &location).await;
    assert!(html.contains("id=\"impersonation-ended\""), "{html}");
    assert!(html.contains("id=\"no-session\""), "{html}");
    let sid = s["id"].as_str().unwrap();
    let session: Value = h
        .get(&format!("/v1/sessions/{sid}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(session["status"], "revoked");
    expect_error(mint(&h, sid).await, 400, "session_not_active", None).await;
    let events = audit(&h, &format!("user_id={user}")).await;
    let ended = events
        .iter()
        .find(|e| e["action"] == "session.ended")
        .unwrap();
    assert_eq!(ended["session_id"], json!(sid));
    assert_eq!(
        ended["secret_key_id"],
        Value::Null,
        "the browser used no secret key"
    );
    // Pressing it again ends nothing more.
    let r = end(&h, &browser, &cookie, None).await;
    assert_eq!(r.headers()["location"], "/impersonation");
}

#[tokio::test]
async fn a_cross_site_post_is_forbidden_and_ends_nothing() {
    let (h, _clock, browser) = start().await;
    let (_, _, s, _, cookie) = signed_in(&h, &browser).await;
    for origin in ["https://evil.example", "null"] {
        let r = end(&h, &browser, &cookie, Some(origin)).await;
        expect_error(r, 403, "origin_invalid", None).await;
    }
    let sid = s["id"].as_str().unwrap();
    let session: Value = h
        .get(&format!("/v1/sessions/{sid}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(session["status"], "active");
}

#[tokio::test]
async fn the_audit_log_records_create_accept_and_end_with_keys_traces_and_reasons() {
    let (h, _clock, browser) = start().await;
    let (user, token, s, _, _) = signed_in(&h, &browser).await;
    let other_user = h.create_user().await;
    let other = token_with(&h, &other_user, json!({"actor": {"sub": "user_other"}})).await;
    let sid = s["id"].as_str().unwrap();
    h.req(reqwest::Method::POST, &format!("/v1/sessions/{sid}/revoke"))
        .send()
        .await
        .unwrap();

    let events = audit(&h, &format!("user_id={user}")).await;
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "session.ended",
            "actor_token.accepted",
            "actor_token.created"
        ]
    );
    for e in &events {
        assert_eq!(e["object"], "audit_event");
        assert!(e["id"].as_str().unwrap().starts_with("aud_"));
        assert_eq!(e["user_id"], json!(user));
        assert_eq!(e["actor_sub"], "user_support");
        assert_eq!(e["reason"], "ticket 1");
        assert_eq!(e["actor_token_id"], token["id"]);
        assert!(e["trace_id"].as_str().is_some_and(|t| t.len() == 32), "{e}");
        assert!(
            e["secret_key_id"].as_str().unwrap().starts_with("ak_"),
            "{e}"
        );
        assert!(e["occurred_at"].as_i64().unwrap() > 0);
    }
    assert_eq!(events[0]["session_id"], json!(sid));
    assert_eq!(events[1]["session_id"], json!(sid));

    let by_actor = audit(&h, "actor_sub=user_other").await;
    assert_eq!(by_actor.len(), 1);
    assert_eq!(by_actor[0]["actor_token_id"], other["id"]);
    assert_eq!(by_actor[0]["reason"], Value::Null);
    let page: Value = h
        .get("/v1/audit_events?limit=2&offset=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total_count"], 4);
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
}
