//! `Clerk::token_verifier`: a verifier that fetches the JWKS of the client's own server with
//! the client's own secret key, and whose failures convert into the crate's one `Error`.

use std::time::{SystemTime, UNIX_EPOCH};

use clerk_backend_api::models::{Actor, SessionClaims};
use clerk_backend_api::verify::{VerifyError, VerifyTokenOptions};
use clerk_backend_api::{Clerk, Error};
use understudy::keys::{Jwks, SigningKey};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk_test_client_token_verifier_0001";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A JWKS server that expects exactly `fetches` authorised fetches.
async fn setup(fetches: u64) -> (MockServer, Clerk, SigningKey) {
    let server = MockServer::start().await;
    let key = SigningKey::generate().unwrap();
    Mock::given(method("GET"))
        .and(path("/v1/jwks"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(Jwks::new([key.public_jwk().clone()])),
        )
        .expect(fetches)
        .mount(&server)
        .await;
    let clerk = Clerk::builder()
        .bearer_auth(KEY)
        .server_url(format!("{}/v1", server.uri()))
        .build()
        .unwrap();
    (server, clerk, key)
}

fn claims(actor: &Actor) -> SessionClaims {
    let mut claims = SessionClaims::new("http://issuer", "user_1", "sess_1", now(), now() + 60);
    claims.act = Some(actor.clone());
    claims
}

#[tokio::test]
async fn the_client_verifier_fetches_its_servers_jwks_with_its_key_and_exposes_act() {
    let (_server, clerk, key) = setup(1).await;
    let actor = Actor::new("user_support").with("reason", "ticket #4711");
    let jwt = key.mint(&claims(&actor)).unwrap();
    let verifier = clerk.token_verifier(VerifyTokenOptions::default()).unwrap();
    let verified = verifier.verify(&jwt).await.unwrap();
    assert_eq!(verified.act, Some(actor));
    assert_eq!(verified.sub, "user_1");
    // A clone shares the cache: the mock's `expect(1)` fails the test on a second fetch.
    verifier.clone().verify(&jwt).await.unwrap();
}

#[tokio::test]
async fn a_failed_verification_converts_into_error_verify() {
    let (_server, clerk, key) = setup(1).await;
    let jwt = key.mint(&claims(&Actor::new("user_support"))).unwrap();
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    // Another payload under the original signature.
    let other = key.mint(&claims(&Actor::new("user_intruder"))).unwrap();
    parts[1] = other.split('.').nth(1).unwrap().to_owned();
    let tampered = parts.join(".");

    async fn check(clerk: &Clerk, token: &str) -> Result<SessionClaims, Error> {
        let verifier = clerk.token_verifier(VerifyTokenOptions::default())?;
        Ok(verifier.verify(token).await?)
    }
    let err = check(&clerk, &tampered).await.unwrap_err();
    assert!(
        matches!(err, Error::Verify(VerifyError::InvalidSignature)),
        "{err:?}"
    );
    assert!(!err.to_string().contains(KEY));
}

#[tokio::test]
async fn explicit_options_win_over_the_client_defaults() {
    let (_server, clerk, _key) = setup(0).await;
    // A PEM that is not a key: reported when the verifier is built, as Error::Verify.
    let err = clerk
        .token_verifier(VerifyTokenOptions::default().jwt_key("not a pem"))
        .unwrap_err();
    assert!(
        matches!(err, Error::Verify(VerifyError::InvalidKey)),
        "{err:?}"
    );
}
