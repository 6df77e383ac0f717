//! Shared helpers for the HTTP-level tests: a real server on a loopback port, spoken to
//! with plain reqwest.
#![allow(dead_code)]

use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use understudy::{Config, RunningServer};

pub const KEY: &str = "sk_test_integration_key_0123456789";

pub struct Harness {
    pub server: RunningServer,
    pub client: Client,
    pub key: String,
}

impl Harness {
    pub async fn start() -> Self {
        Self::with_config(Config::for_tests(KEY)).await
    }

    pub async fn with_config(config: Config) -> Self {
        let server = understudy::spawn(config).await.expect("server starts");
        Self {
            server,
            client: Client::new(),
            key: KEY.to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    /// A request with the bearer key.
    pub fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.key)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.req(Method::POST, path)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Response {
        let mut r = self.req(Method::POST, path).body(body);
        if let Some(ct) = content_type {
            r = r.header("content-type", ct);
        }
        r.send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path).send().await.unwrap()
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.req(Method::DELETE, path).send().await.unwrap()
    }

    /// The Prometheus text of `GET /metrics` (no auth).
    pub async fn metrics_text(&self) -> String {
        let r = self.client.get(self.url("/metrics")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.text().await.unwrap()
    }

    /// The document of `GET /openapi.json` (no auth).
    pub async fn openapi(&self) -> Value {
        let r = self
            .client
            .get(self.url("/openapi.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    pub async fn create_user(&self) -> String {
        let r = self
            .post_json("/v1/users", &json!({"first_name": "Test"}))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        v["id"].as_str().unwrap().to_owned()
    }

    pub async fn create_token(&self, user_id: &str) -> Value {
        let r = self
            .post_json(
                "/v1/actor_tokens",
                &json!({"user_id": user_id, "actor": {"sub": "user_support", "reason": "ticket 1"}}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    pub async fn token_count(&self) -> u64 {
        let v: Value = self
            .get("/v1/actor_tokens?limit=1")
            .await
            .json()
            .await
            .unwrap();
        v["total_count"].as_u64().unwrap()
    }

    pub async fn audit_count(&self) -> u64 {
        let v: Value = self
            .get("/v1/audit_events?limit=1")
            .await
            .json()
            .await
            .unwrap();
        v["total_count"].as_u64().unwrap()
    }
}

/// Asserts an error response in the contract's shape: status, code, optional param_name,
/// message/long_message present, and `clerk_trace_id` equal to the header. Returns the body.
pub async fn expect_error(
    response: Response,
    status: u16,
    code: &str,
    param: Option<&str>,
) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let trace = response
        .headers()
        .get("clerk-trace-id")
        .expect("Clerk-Trace-Id header")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        response
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["clerk_trace_id"], json!(trace), "{body}");
    assert!(body["meta"].is_object(), "{body}");
    let errors = body["errors"].as_array().expect("errors array");
    assert!(!errors.is_empty());
    let e = errors
        .iter()
        .find(|e| e["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {body}"));
    assert!(
        e["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(
        e["long_message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    if let Some(p) = param {
        assert_eq!(e["meta"]["param_name"], json!(p), "{body}");
    }
    body
}
