//! Helpers for the impersonation-flow tests: a server on a clock the test controls, a client
//! that does not follow redirects, accepting tickets and verifying session tokens.
#![allow(dead_code)]

use std::sync::Arc;

use clerk_models::SessionClaims;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use understudy::{Clock, Config, SystemClock, TestClock};

use crate::common::{Harness, KEY};

/// A server whose clock starts at the real now (so minted tokens verify in real time).
pub async fn start() -> (Harness, TestClock, Client) {
    start_with(Config::for_tests(KEY)).await
}

/// As [`start`], over `config` (its clock is replaced).
pub async fn start_with(mut config: Config) -> (Harness, TestClock, Client) {
    let clock = TestClock::at(SystemClock.now_ms());
    config.clock = Arc::new(clock.clone());
    let harness = Harness::with_config(config).await;
    (harness, clock, browser())
}

/// A client that shows redirects instead of following them.
pub fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Creates a token for `user_id` with `body`'s extra fields; returns the create response.
pub async fn token_with(h: &Harness, user_id: &str, extra: Value) -> Value {
    let mut body =
        json!({"user_id": user_id, "actor": {"sub": "user_support", "reason": "ticket 1"}});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let r = h.post_json("/v1/actor_tokens", &body).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// `GET` the token's `url` path on this server, optionally with a `__client` cookie and
/// `Accept: application/json`.
pub async fn accept(
    h: &Harness,
    browser: &Client,
    token: &Value,
    cookie: Option<&str>,
    json: bool,
) -> Response {
    let ticket = token["token"].as_str().unwrap();
    accept_ticket(h, browser, ticket, cookie, json).await
}

/// As [`accept`], with a raw ticket.
pub async fn accept_ticket(
    h: &Harness,
    browser: &Client,
    ticket: &str,
    cookie: Option<&str>,
    json: bool,
) -> Response {
    let mut r = browser
        .get(h.url("/v1/tickets/accept"))
        .query(&[("ticket", ticket)]);
    if let Some(c) = cookie {
        r = r.header("cookie", format!("__client={c}"));
    }
    if json {
        r = r.header("accept", "application/json");
    }
    r.send().await.unwrap()
}

/// The `Set-Cookie` header of a response.
pub fn set_cookie(r: &Response) -> String {
    r.headers()
        .get("set-cookie")
        .expect("Set-Cookie")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The `__client` value in a `Set-Cookie` header.
pub fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|p| p.strip_prefix("__client="))
        .expect("a __client cookie")
        .to_owned()
}

/// Accepts `token` as JSON; returns (session, jwt, cookie value).
pub async fn accept_json(
    h: &Harness,
    browser: &Client,
    token: &Value,
    cookie: Option<&str>,
) -> (Value, String, String) {
    let r = accept(h, browser, token, cookie, true).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = cookie_value(&set_cookie(&r));
    let body: Value = r.json().await.unwrap();
    let jwt = body["last_active_token"]["jwt"]
        .as_str()
        .unwrap()
        .to_owned();
    (body, jwt, cookie)
}

/// A user, a token and an accepted session: (user id, token, session, jwt, cookie).
pub async fn signed_in(h: &Harness, browser: &Client) -> (String, Value, Value, String, String) {
    let user = h.create_user().await;
    let token = h.create_token(&user).await;
    let (session, jwt, cookie) = accept_json(h, browser, &token, None).await;
    (user, token, session, jwt, cookie)
}

/// `POST /v1/sessions/{id}/tokens`.
pub async fn mint(h: &Harness, session_id: &str) -> Response {
    h.req(Method::POST, &format!("/v1/sessions/{session_id}/tokens"))
        .send()
        .await
        .unwrap()
}

/// The JWKS.
pub async fn jwks(h: &Harness) -> jsonwebtoken::jwk::JwkSet {
    let r = h.client.get(h.url("/v1/jwks")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// Verifies `jwt` against the server's JWKS (signature, `iss`; `exp` only when `check_exp`).
pub async fn verify(h: &Harness, jwt: &str, check_exp: bool) -> SessionClaims {
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    let kid = header.kid.expect("a kid");
    let set = jwks(h).await;
    let jwk = set.find(&kid).expect("the kid is published");
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = check_exp;
    validation.validate_nbf = check_exp;
    validation.set_required_spec_claims(&["exp", "nbf", "sub", "iss"]);
    validation.set_issuer(&[h.server.base_url()]);
    jsonwebtoken::decode::<SessionClaims>(jwt, &key, &validation)
        .unwrap()
        .claims
}

/// The audit events (newest first) matching `query`.
pub async fn audit(h: &Harness, query: &str) -> Vec<Value> {
    let v: Value = h
        .get(&format!("/v1/audit_events?limit=100&{query}"))
        .await
        .json()
        .await
        .unwrap();
    v["data"].as_array().unwrap().clone()
}
