//! /healthz, /metrics, /openapi.json and the trace id on every response.

mod common;

use common::Harness;
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn every_response_carries_a_fresh_trace_id() {
    let h = Harness::start().await;
    let user = h.create_user().await;
    let mut seen = std::collections::HashSet::new();
    let responses = vec![
        h.client.get(h.url("/healthz")).send().await.unwrap(),
        h.client.get(h.url("/metrics")).send().await.unwrap(),
        h.client.get(h.url("/openapi.json")).send().await.unwrap(),
        h.client.get(h.url("/nope")).send().await.unwrap(),
        h.get(&format!("/v1/users/{user}")).await,
        h.req(Method::PATCH, "/v1/users").send().await.unwrap(),
        h.client
            .post(h.url("/v1/actor_tokens"))
            .send()
            .await
            .unwrap(),
    ];
    for r in responses {
        let id = r
            .headers()
            .get("clerk-trace-id")
            .expect("trace id")
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(id.len(), 32);
        assert_eq!(r.headers()["x-request-id"].to_str().unwrap(), id);
        assert!(seen.insert(id), "trace ids are unique");
    }
}

#[tokio::test]
async fn a_client_request_id_never_becomes_the_trace_id() {
    let h = Harness::start().await;
    let r = h
        .client
        .get(h.url("/healthz"))
        .header("x-request-id", "client-chosen")
        .send()
        .await
        .unwrap();
    let trace = r.headers()["clerk-trace-id"].to_str().unwrap();
    assert_ne!(trace, "client-chosen");
    assert_eq!(r.headers()["x-request-id"].to_str().unwrap(), trace);
}

#[tokio::test]
async fn healthz_needs_no_key() {
    let h = Harness::start().await;
    let r = h.client.get(h.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "ok");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_show_batches() {
    let h = Harness::start().await;
    let user = h.create_user().await;
    h.create_token(&user).await;
    h.get("/v1/actor_tokens/act_missing").await;
    let text = h.metrics_text().await;
    assert!(text.contains(
        "understudy_http_requests_total{route=\"/v1/actor_tokens\",method=\"POST\",status=\"200\"} 1"
    ), "{text}");
    assert!(text.contains(
        "understudy_http_requests_total{route=\"/v1/actor_tokens/{actor_token_id}\",method=\"GET\",status=\"404\"} 1"
    ), "{text}");
    assert!(text.contains(
        "understudy_http_request_duration_seconds_bucket{route=\"/v1/actor_tokens\",le=\"+Inf\"} 1"
    ));
    assert!(text.contains("# TYPE understudy_store_batch_size histogram"));
    assert!(!text.contains(common::KEY));
}

#[tokio::test]
async fn openapi_describes_every_route_from_the_handlers() {
    let h = Harness::start().await;
    let doc = h.openapi().await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/v1/actor_tokens",
        "/v1/actor_tokens/{actor_token_id}",
        "/v1/actor_tokens/{actor_token_id}/revoke",
        "/v1/users",
        "/v1/users/{user_id}",
        "/v1/audit_events",
        "/healthz",
        "/metrics",
        "/openapi.json",
    ] {
        assert!(paths.contains_key(p), "{p} missing");
    }
    assert_eq!(
        doc["paths"]["/v1/actor_tokens"]["post"]["operationId"],
        "CreateActorToken"
    );
    assert_eq!(
        doc["paths"]["/v1/actor_tokens/{actor_token_id}/revoke"]["post"]["operationId"],
        "RevokeActorToken"
    );
    assert!(doc["components"]["schemas"]["ActorToken"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearerAuth"].is_object());
}

#[tokio::test]
async fn odd_method_names_share_one_metrics_series() {
    let h = Harness::start().await;
    let metrics = || async { h.metrics_text().await };
    let series = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("understudy_http_requests_total{"))
            .count()
    };
    // Warm up: one odd method and the /metrics request itself have their series.
    let odd = |i: usize| reqwest::Method::from_bytes(format!("ZZMETH{i}").as_bytes()).unwrap();
    for (path, status) in [("/healthz", 405), ("/nowhere", 404)] {
        let r = h.client.request(odd(0), h.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), status);
    }
    metrics().await;
    let before = metrics().await;
    for i in 1..=30 {
        for path in ["/healthz", "/nowhere"] {
            h.client.request(odd(i), h.url(path)).send().await.unwrap();
        }
    }
    let after = metrics().await;
    assert_eq!(series(&after), series(&before), "{after}");
    assert!(!after.contains("ZZMETH"), "{after}");
    assert!(
        after.contains(
            "understudy_http_requests_total{route=\"/healthz\",method=\"other\",status=\"405\"} 31"
        ),
        "{after}"
    );
}

#[tokio::test]
async fn openapi_agrees_with_what_the_server_accepts_and_answers() {
    let h = Harness::start().await;
    let doc = h.openapi().await;
    let resolve = |v: &Value| -> Value {
        match v["$ref"].as_str() {
            Some(r) => doc["components"]["schemas"][r.rsplit('/').next().unwrap()].clone(),
            None => v.clone(),
        }
    };
    let param = |path: &str, name: &str| -> Value {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} {name}"))
            .clone()
    };
    // limit: 1 to 500 everywhere.
    for path in ["/v1/actor_tokens", "/v1/sessions", "/v1/audit_events"] {
        let limit = resolve(&param(path, "limit")["schema"]);
        assert_eq!(
            (limit["minimum"].as_f64(), limit["maximum"].as_f64()),
            (Some(1.0), Some(500.0)),
            "{path}: {limit}"
        );
    }
    // status filters are enums of what the server accepts.
    let statuses = |path: &str| -> Vec<String> {
        let schema = resolve(&param(path, "status")["schema"]);
        let schema = schema["oneOf"]
            .as_array()
            .and_then(|alts| alts.iter().find(|a| a["type"] != "null"))
            .map_or(schema.clone(), resolve);
        serde_json::from_value(schema["enum"].clone())
            .unwrap_or_else(|_| panic!("{path}: {schema}"))
    };
    assert_eq!(
        statuses("/v1/actor_tokens"),
        ["pending", "accepted", "revoked"]
    );
    assert!(statuses("/v1/sessions").contains(&"abandoned".to_owned()));
    // GET /v1/sessions answers an array, or a page with paginated=true.
    let ok = resolve(
        &doc["paths"]["/v1/sessions"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
    );
    let alternatives = ok["oneOf"].as_array().expect("oneOf");
    assert!(alternatives.iter().any(|a| a["type"] == "array"), "{ok}");
    assert!(
        alternatives
            .iter()
            .any(|a| resolve(a)["properties"]["total_count"].is_object()),
        "{ok}"
    );
    // The create body: non-empty user_id, actor with a required sub.
    let body = resolve(
        &doc["paths"]["/v1/actor_tokens"]["post"]["requestBody"]["content"]["application/json"]["schema"],
    );
    assert_eq!(body["properties"]["user_id"]["minLength"], 1, "{body}");
    let actor = resolve(&body["properties"]["actor"]);
    assert!(
        actor["required"]
            .as_array()
            .unwrap()
            .contains(&Value::from("sub")),
        "{actor}"
    );
    // POST /v1/users accepts an empty body.
    assert_ne!(
        doc["paths"]["/v1/users"]["post"]["requestBody"]["required"],
        true
    );
    // Every reference resolves.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "dangling {r}"
        );
    }
    // HEAD is not documented anywhere.
    for (path, item) in doc["paths"].as_object().unwrap() {
        assert!(item.get("head").is_none(), "{path}");
    }
}
