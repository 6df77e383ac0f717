//! /v1/users over HTTP.

mod common;

use common::{Harness, expect_error};
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

    let r = h.delete(&format!("/v1/users/{id}")).await;
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
    let r = h.delete(&format!("/v1/users/{id}")).await;
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

#[tokio::test]
async fn a_taken_username_or_email_address_is_form_identifier_exists() {
    let h = Harness::start().await;
    let create = |body: Value| {
        let h = &h;
        async move { h.post_json("/v1/users", &body).await }
    };
    let first = create(
        json!({"username": "bob", "email_address": ["bob@example.com"], "external_id": "e1"}),
    )
    .await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    for (body, param) in [
        (json!({"username": "BOB"}), "username"),
        (
            json!({"email_address": ["x@example.com", "Bob@Example.com"]}),
            "email_address",
        ),
        // The same address twice in one user.
        (
            json!({"email_address": ["d@example.com", "d@example.com"]}),
            "email_address",
        ),
    ] {
        let body_text = body.to_string();
        let err = expect_error(
            create(body).await,
            422,
            "form_identifier_exists",
            Some(param),
        )
        .await;
        let message = err["errors"][0]["long_message"].as_str().unwrap();
        assert!(message.contains("is taken"), "{body_text}: {message}");
    }
    // Nothing of a refused user was kept: its other address is still free.
    assert_eq!(
        create(json!({"email_address": ["x@example.com"]}))
            .await
            .status(),
        200
    );
    // external_id may repeat, as on Clerk.
    assert_eq!(create(json!({"external_id": "e1"})).await.status(), 200);
    // Deleting the user frees its identifiers.
    let id = first["id"].as_str().unwrap();
    let r = h.delete(&format!("/v1/users/{id}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        create(json!({"username": "bob", "email_address": ["bob@example.com"]}))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn an_import_with_a_taken_identifier_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("import.db").display());
    understudy::admin::import_users(&db, r#"[{"username":"ann"}]"#)
        .await
        .unwrap();
    for text in [
        // Taken by an existing user.
        r#"[{"username":"carl"},{"username":"Ann"}]"#,
        // Taken within the same import.
        r#"[{"email_address":["c@example.com"]},{"username":"carl","email_address":["C@example.com"]}]"#,
    ] {
        let err = understudy::admin::import_users(&db, text)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("already has"), "{err}");
    }
    let (users, total) =
        understudy::admin::list_users(&db, understudy::domain::pagination::PageRequest::default())
            .await
            .unwrap();
    assert_eq!(total, 1, "{users:?}");
    // All of it was rolled back: carl and c@example.com are still free.
    let imported = understudy::admin::import_users(
        &db,
        r#"[{"username":"carl","email_address":["c@example.com"]}]"#,
    )
    .await
    .unwrap();
    assert_eq!(imported.len(), 1);
}
