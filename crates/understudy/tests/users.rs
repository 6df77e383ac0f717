//! /v1/users over HTTP.

mod common;

use common::{Harness, expect_error};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn create_get_delete_a_user() {
    let h = Harness::start().await;
    let r = h
        .post_json(
            "/v1/users",
            &json!({"external_id": "ext-1", "first_name": "Ada", "last_name": "Lovelace",
                    "username": "ada", "email_address": ["ada@example.com"],
                    "public_metadata": {"plan": "pro"}, "private_metadata": {"n": 1}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let u: Value = r.json().await.unwrap();
    let id = u["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("user_"));
    assert_eq!(u["object"], "user");
    assert_eq!(u["external_id"], "ext-1");
    assert_eq!(u["email_addresses"][0]["email_address"], "ada@example.com");
    assert_eq!(u["primary_email_address_id"], u["email_addresses"][0]["id"]);
    assert_eq!(u["public_metadata"], json!({"plan": "pro"}));
    assert!(u["created_at"].as_i64().unwrap() > 1_700_000_000_000);

    let got: Value = h
        .get(&format!("/v1/users/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got, u);

    let r = h
        .req(Method::DELETE, &format!("/v1/users/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let deleted: Value = r.json().await.unwrap();
    assert_eq!(
        deleted,
        json!({"object": "user", "id": id, "deleted": true})
    );
    expect_error(
        h.get(&format!("/v1/users/{id}")).await,
        404,
        "resource_not_found",
        None,
    )
    .await;
    let r = h
        .req(Method::DELETE, &format!("/v1/users/{id}"))
        .send()
        .await
        .unwrap();
    expect_error(r, 404, "resource_not_found", None).await;
    // A deleted user cannot be impersonated.
    let r = h
        .post_json(
            "/v1/actor_tokens",
            &json!({"user_id": id, "actor": {"sub": "s"}}),
        )
        .await;
    expect_error(r, 404, "resource_not_found", None).await;
}

#[tokio::test]
async fn an_empty_body_without_content_type_creates_a_bare_user() {
    let h = Harness::start().await;
    let r = h.post_raw("/v1/users", None, Vec::new()).await;
    assert_eq!(r.status(), 200);
    let u: Value = r.json().await.unwrap();
    assert_eq!(u["first_name"], Value::Null);
}
