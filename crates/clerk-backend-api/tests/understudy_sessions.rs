//! The SDK's `verify` against session tokens minted by a real Understudy after a real accept:
//! accepted with `act`, rejected when tampered with, expired, for another party, or signed
//! by a key the server does not publish.

use std::time::{Duration, SystemTime};

use clerk_backend_api::Clerk;
use clerk_backend_api::models::{Actor, CreateActorTokenRequestBody};
use clerk_backend_api::verify::{TokenVerifier, VerifyError, VerifyTokenOptions, verify_token};
use serde_json::{Value, json};
use understudy::{Config, RunningServer};

const KEY: &str = "sk_test_understudy_sessions_key_4242";
const APP: &str = "https://app.example";

async fn start() -> (RunningServer, Clerk) {
    let server = understudy::spawn(Config::for_tests(KEY)).await.unwrap();
    let clerk = Clerk::builder()
        .bearer_auth(KEY)
        .server_url(server.api_url())
        .build()
        .unwrap();
    (server, clerk)
}

/// Creates a user and an actor token through the SDK, opens the token's URL as a browser
/// on `APP` asking for JSON, and returns (user id, session id, first session token).
async fn impersonate(
    server: &RunningServer,
    clerk: &Clerk,
    actor: Actor,
) -> (String, String, String) {
    let http = reqwest::Client::new();
    let user: Value = http
        .post(format!("{}/users", server.api_url()))
        .bearer_auth(KEY)
        .json(&json!({"first_name": "Ada"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user_id = user["id"].as_str().unwrap().to_owned();
    let token = clerk
        .actor_tokens()
        .create(CreateActorTokenRequestBody::new(&user_id, actor))
        .await
        .unwrap();
    let accepted: Value = http
        .get(token.url.expect("the create response has the url"))
        .header("accept", "application/json")
        .header("origin", APP)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session_id = accepted["id"].as_str().unwrap().to_owned();
    let jwt = accepted["last_active_token"]["jwt"]
        .as_str()
        .unwrap()
        .to_owned();
    (user_id, session_id, jwt)
}

fn verifier(server: &RunningServer) -> TokenVerifier {
    TokenVerifier::new(
        VerifyTokenOptions::default()
            .api_url(server.api_url())
            .secret_key(KEY)
            .authorized_parties([APP]),
    )
    .unwrap()
}

#[tokio::test]
async fn a_token_minted_after_a_real_accept_verifies_and_exposes_act() {
    let (server, clerk) = start().await;
    let actor = Actor::new("user_support").with("reason", "ticket #4711");
    let (user_id, session_id, jwt) = impersonate(&server, &clerk, actor.clone()).await;
    let claims = verifier(&server).verify(&jwt).await.unwrap();
    assert_eq!(claims.sub, user_id);
    assert_eq!(claims.sid, session_id);
    assert_eq!(claims.azp.as_deref(), Some(APP));
    assert_eq!(claims.iss, server.base_url());
    assert_eq!(claims.act, Some(actor.clone()));
    // The free function agrees, and so does a token minted later for the same session.
    let options = VerifyTokenOptions::default().api_url(server.api_url());
    assert_eq!(verify_token(&jwt, &options).await.unwrap().act, Some(actor));
    let minted: Value = reqwest::Client::new()
        .post(format!("{}/sessions/{session_id}/tokens", server.api_url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let later = verify_token(minted["jwt"].as_str().unwrap(), &options)
        .await
        .unwrap();
    assert_eq!(later.sid, session_id);
    server.shutdown().await;
}

#[tokio::test]
async fn tampered_expired_and_foreign_party_tokens_are_rejected() {
    let (server, clerk) = start().await;
    let (_, _, jwt) = impersonate(&server, &clerk, Actor::new("user_support")).await;
    let verifier = verifier(&server);

    // Swap the payload for one naming another actor: the signature no longer matches.
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut payload: Value = serde_json::from_slice(&engine.decode(&parts[1]).unwrap()).unwrap();
    payload["act"]["sub"] = json!("user_attacker");
    parts[1] = engine.encode(serde_json::to_vec(&payload).unwrap());
    let tampered = parts.join(".");
    assert!(matches!(
        verifier.verify(&tampered).await,
        Err(VerifyError::InvalidSignature)
    ));

    let later = verifier
        .clone()
        .with_clock(|| SystemTime::now() + Duration::from_secs(120));
    assert!(matches!(
        later.verify(&jwt).await,
        Err(VerifyError::TokenExpired { .. })
    ));

    let other_party = TokenVerifier::new(
        VerifyTokenOptions::default()
            .api_url(server.api_url())
            .authorized_parties(["https://other.example"]),
    )
    .unwrap();
    assert!(matches!(
        other_party.verify(&jwt).await,
        Err(VerifyError::InvalidAuthorizedParty { .. })
    ));
    server.shutdown().await;
}

#[tokio::test]
async fn a_token_from_another_instance_is_rejected() {
    let (server, clerk) = start().await;
    let (other, other_clerk) = start().await;
    let (_, _, foreign) = impersonate(&other, &other_clerk, Actor::new("user_support")).await;
    let (_, _, own) = impersonate(&server, &clerk, Actor::new("user_support")).await;
    let verifier = verifier(&server);
    verifier.verify(&own).await.unwrap();
    assert!(matches!(
        verifier.verify(&foreign).await,
        Err(VerifyError::UnknownKid { .. })
    ));
    other.shutdown().await;
    server.shutdown().await;
}
