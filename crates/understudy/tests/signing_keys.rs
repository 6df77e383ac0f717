//! Signing keys: the JWKS verifies minted tokens, rotation, the master key.

mod common;
mod flow_support;

use std::time::Duration;

use common::{Harness, KEY};
use flow_support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use understudy::keys::MasterKey;
use understudy::{Clock, Config, SystemClock, admin};

#[tokio::test]
async fn the_jwks_verifies_a_minted_token_and_act_is_the_actor_payload_in_order() {
    let (h, _clock, browser) = start().await;
    let user = h.create_user().await;
    let actor =
        json!({"sub": "user_support", "zeta": 1, "reason": "ticket 9", "alpha": {"b": 2, "a": 1}});
    let r = h
        .post_json(
            "/v1/actor_tokens",
            &json!({"user_id": user, "actor": actor}),
        )
        .await;
    let token: Value = r.json().await.unwrap();
    let (_, jwt, _) = accept_json(&h, &browser, &token, None).await;
    let claims = verify(&h, &jwt, true).await;
    assert_eq!(serde_json::to_value(claims.act.unwrap()).unwrap(), actor);
    // The raw payload keeps the actor's keys in the order they were given.
    let payload = jwt.split('.').nth(1).unwrap();
    use base64::Engine;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let payload: Value = serde_json::from_slice(&payload).unwrap();
    let keys: Vec<&String> = payload["act"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["sub", "zeta", "reason", "alpha"]);
    assert_eq!(payload["iss"], json!(h.server.base_url()));
}

#[tokio::test]
async fn the_jwks_is_public_and_ignores_a_bearer_key() {
    let (h, _clock, _) = start().await;
    let public: Value = h
        .client
        .get(h.url("/v1/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = public["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kty"], "RSA");
    assert_eq!(keys[0]["alg"], "RS256");
    assert_eq!(keys[0]["use"], "sig");
    let with_key = h.get("/v1/jwks").await;
    assert_eq!(with_key.status(), StatusCode::OK);
    assert_eq!(with_key.json::<Value>().await.unwrap(), public);
    let wrong = h
        .client
        .get(h.url("/v1/jwks"))
        .bearer_auth("sk_test_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_restart_keeps_the_signing_key() {
    let config = Config::for_tests(KEY);
    let h = Harness::with_config(config.clone()).await;
    let before = jwks(&h).await;
    h.server.shutdown().await;
    let h = Harness::with_config(config).await;
    let after = jwks(&h).await;
    assert_eq!(before.keys.len(), 1);
    assert_eq!(
        before.keys[0].common.key_id, after.keys[0].common.key_id,
        "the key was stored, not regenerated"
    );
}

#[tokio::test]
async fn rotation_signs_with_the_new_key_and_keeps_the_old_one_published_for_a_while() {
    let config = Config::for_tests(KEY);
    let (h, clock, browser) = start_with(config.clone()).await;
    let (_, _, s, old_jwt, _) = signed_in(&h, &browser).await;
    let old_kid = jsonwebtoken::decode_header(&old_jwt).unwrap().kid.unwrap();

    let master = config.master_key().unwrap();
    let new_kid = admin::rotate_signing_key(&config.database_url, &master, Duration::ZERO)
        .await
        .unwrap();
    assert_ne!(new_kid, old_kid);
    // The command used the wall clock; bring the server's clock up to it.
    clock.set(SystemClock.now_ms());

    let r = mint(&h, s["id"].as_str().unwrap()).await;
    let jwt = r.json::<Value>().await.unwrap()["jwt"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        jsonwebtoken::decode_header(&jwt).unwrap().kid.unwrap(),
        new_kid
    );
    let set = jwks(&h).await;
    let kids: Vec<_> = set
        .keys
        .iter()
        .map(|k| k.common.key_id.clone().unwrap())
        .collect();
    assert_eq!(kids, [new_kid.clone(), old_kid.clone()]);
    // Both tokens verify now.
    verify(&h, &old_jwt, true).await;
    verify(&h, &jwt, true).await;
    // Once every token of the old key has expired (60 s + skew), it leaves the JWKS.
    clock.advance(119_000);
    assert_eq!(jwks(&h).await.keys.len(), 2);
    clock.advance(11_000);
    let kids: Vec<_> = jwks(&h)
        .await
        .keys
        .iter()
        .map(|k| k.common.key_id.clone().unwrap())
        .collect();
    assert_eq!(kids, [new_kid]);
}

#[tokio::test]
async fn rotation_refuses_a_master_key_that_cannot_open_the_current_key() {
    let config = Config::for_tests(KEY);
    let h = Harness::with_config(config.clone()).await;
    let kid = jwks(&h).await.keys[0].common.key_id.clone();
    let wrong = MasterKey::from_bytes([9; 32]);
    let err = admin::rotate_signing_key(&config.database_url, &wrong, Duration::ZERO)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("master key"), "{err}");
    assert_eq!(jwks(&h).await.keys[0].common.key_id, kid);
}

#[tokio::test]
async fn a_wrong_master_key_stops_the_server_from_starting() {
    let config = Config::for_tests(KEY);
    let h = Harness::with_config(config.clone()).await;
    h.server.shutdown().await;
    let mut wrong = config.clone();
    wrong.master_key = Some(MasterKey::from_bytes([3; 32]));
    let err = understudy::spawn(wrong).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("cannot open signing key"), "{text}");
    assert!(text.contains("master key"), "{text}");
    // The right key (from the file next to the database) still works.
    let h = Harness::with_config(config).await;
    assert_eq!(jwks(&h).await.keys.len(), 1);
}

#[tokio::test]
async fn the_default_master_key_file_sits_next_to_the_database_with_mode_0600() {
    let config = Config::for_tests(KEY);
    let _h = Harness::with_config(config.clone()).await;
    let path = config.master_key_path().unwrap();
    let db = config.sqlite_path().unwrap();
    assert_eq!(path.parent(), db.parent());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn a_rotation_that_publishes_first_keeps_the_old_signer_until_its_time() {
    let config = Config::for_tests(KEY);
    let (h, clock, browser) = start_with(config.clone()).await;
    let (_, _, s, old_jwt, _) = signed_in(&h, &browser).await;
    let old_kid = jsonwebtoken::decode_header(&old_jwt).unwrap().kid.unwrap();
    let lead = understudy::keys::ROTATION_PUBLISH_LEAD;
    let new_kid =
        admin::rotate_signing_key(&config.database_url, &config.master_key().unwrap(), lead)
            .await
            .unwrap();
    clock.set(SystemClock.now_ms());
    let kids = |set: jsonwebtoken::jwk::JwkSet| -> Vec<String> {
        set.keys
            .iter()
            .map(|k| k.common.key_id.clone().unwrap())
            .collect()
    };
    assert_eq!(kids(jwks(&h).await), [old_kid.clone(), new_kid.clone()]);
    let sid = s["id"].as_str().unwrap();
    let kid_of = |v: Value| {
        jsonwebtoken::decode_header(v["jwt"].as_str().unwrap())
            .unwrap()
            .kid
            .unwrap()
    };
    assert_eq!(kid_of(mint(&h, sid).await.json().await.unwrap()), old_kid);
    clock.advance(i64::try_from(lead.as_millis()).unwrap());
    assert_eq!(kid_of(mint(&h, sid).await.json().await.unwrap()), new_kid);
    assert_eq!(kids(jwks(&h).await), [new_kid, old_kid]);
}

#[tokio::test]
async fn a_master_key_file_without_a_key_stops_the_server_from_starting() {
    let config = Config::for_tests(KEY);
    std::fs::write(config.master_key_path().unwrap(), "not a key\n").unwrap();
    let err = understudy::spawn(config).await.unwrap_err();
    assert!(
        err.to_string().contains("does not hold a valid key"),
        "{err}"
    );
}

#[tokio::test]
async fn an_invalid_after_accept_url_is_a_configuration_error() {
    let mut config = Config::for_tests(KEY);
    config.after_accept_url = Some("not a url".into());
    let err = understudy::spawn(config).await.unwrap_err();
    assert!(err.to_string().contains("after-accept URL"), "{err}");
}
