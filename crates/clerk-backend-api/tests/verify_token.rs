//! Session-token verification against tokens minted by Understudy's own keys, with the JWKS
//! served by wiremock so fetches can be counted and faults injected.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_backend_api::models::{Actor, SessionClaims};
use clerk_backend_api::verify::{TokenVerifier, VerifyError, VerifyTokenOptions, verify_token};
use understudy::keys::{Jwks, SigningKey};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// 2026-01-01T00:00:00Z, the tests' "now".
const NOW: i64 = 1_767_225_600;
const APP: &str = "https://app.example";

fn key() -> &'static SigningKey {
    static KEY: std::sync::OnceLock<SigningKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate().unwrap())
}

fn other_key() -> &'static SigningKey {
    static KEY: std::sync::OnceLock<SigningKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate().unwrap())
}

fn claims_at(iat: i64) -> SessionClaims {
    let mut claims = SessionClaims::new("http://127.0.0.1:3000", "user_1", "sess_1", iat, iat + 60);
    claims.azp = Some(APP.into());
    claims.act = Some(
        Actor::new("user_support")
            .with("reason", "ticket #4711")
            .with("tool", "admin"),
    );
    claims
}

fn token() -> String {
    key().mint(&claims_at(NOW)).unwrap()
}

fn jwks_body(keys: &[&SigningKey]) -> serde_json::Value {
    serde_json::to_value(Jwks::new(keys.iter().map(|k| k.public_jwk().clone()))).unwrap()
}

async fn jwks_server(keys: &[&SigningKey], expected_fetches: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks_body(keys)))
        .expect(expected_fetches)
        .mount(&server)
        .await;
    server
}

/// A clock the test moves by hand; starts at [`NOW`].
#[derive(Clone)]
struct TestClock(Arc<AtomicI64>);

impl TestClock {
    fn new() -> Self {
        Self(Arc::new(AtomicI64::new(NOW * 1000)))
    }
    fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
    fn set_secs(&self, secs: i64) {
        self.0.store(secs * 1000, Ordering::SeqCst);
    }
    fn read(&self) -> impl Fn() -> SystemTime + Send + Sync + 'static {
        let ms = self.0.clone();
        move || UNIX_EPOCH + Duration::from_millis(ms.load(Ordering::SeqCst) as u64)
    }
}

fn online(server: &MockServer) -> VerifyTokenOptions {
    VerifyTokenOptions::default().api_url(format!("{}/v1", server.uri()))
}

fn verifier(options: VerifyTokenOptions, clock: &TestClock) -> TokenVerifier {
    TokenVerifier::new(options)
        .unwrap()
        .with_clock(clock.read())
}

fn tamper_payload(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = "user_admin".into();
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    format!("{}.{}.{}", parts[0], payload, parts[2])
}

fn tamper_signature(token: &str) -> String {
    let (message, signature) = token.rsplit_once('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
    bytes[17] ^= 0x40;
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

#[tokio::test]
async fn valid_token_gives_claims_with_the_actor() {
    let server = jwks_server(&[key()], 1).await;
    let clock = TestClock::new();
    let verifier = verifier(online(&server).authorized_parties([APP]), &clock);
    let claims = verifier.verify(&token()).await.unwrap();
    assert_eq!(claims.sub, "user_1");
    assert_eq!(claims.sid, "sess_1");
    assert_eq!(claims.azp.as_deref(), Some(APP));
    assert_eq!(claims.v, Some(2));
    let act = claims.act.expect("act");
    assert_eq!(act.sub, "user_support");
    assert_eq!(act.get("reason").unwrap(), "ticket #4711");
    assert_eq!(act.get("tool").unwrap(), "admin");
    // Cached: a second verification does not fetch (the mock expects exactly one fetch).
    verifier.verify(&token()).await.unwrap();
    verifier.clone().verify(&token()).await.unwrap();
}

#[tokio::test]
async fn tampered_payload_or_signature_is_rejected() {
    let server = jwks_server(&[key()], 1).await;
    let verifier = verifier(online(&server), &TestClock::new());
    for bad in [tamper_payload(&token()), tamper_signature(&token())] {
        assert_eq!(
            verifier.verify(&bad).await.unwrap_err(),
            VerifyError::InvalidSignature
        );
    }
}

#[tokio::test]
async fn token_signed_by_another_key_under_a_published_kid_is_rejected() {
    let server = jwks_server(&[key()], 1).await;
    let verifier = verifier(online(&server), &TestClock::new());
    // Take the other key's signature and graft it onto our header and payload.
    let forged_sig = other_key().mint(&claims_at(NOW)).unwrap();
    let ours = token();
    let (message, _) = ours.rsplit_once('.').unwrap();
    let (_, signature) = forged_sig.rsplit_once('.').unwrap();
    assert_eq!(
        verifier
            .verify(&format!("{message}.{signature}"))
            .await
            .unwrap_err(),
        VerifyError::InvalidSignature
    );
}

#[tokio::test]
async fn time_claims_are_checked_with_clock_skew() {
    let server = jwks_server(&[key()], 1).await;
    let clock = TestClock::new();
    let verifier = verifier(online(&server), &clock);
    let token = token(); // iat = nbf = NOW, exp = NOW + 60

    // Expired: exp + skew (5 s) is the last accepted instant, exclusive.
    clock.set_secs(NOW + 60 + 4);
    verifier.verify(&token).await.unwrap();
    clock.set_secs(NOW + 60 + 5);
    assert_eq!(
        verifier.verify(&token).await.unwrap_err(),
        VerifyError::TokenExpired { exp: NOW + 60 }
    );

    // Issued (iat = nbf) in the future: accepted within the skew, rejected beyond it.
    clock.set_secs(NOW - 5);
    verifier.verify(&token).await.unwrap();
    clock.set_secs(NOW - 6);
    assert_eq!(
        verifier.verify(&token).await.unwrap_err(),
        VerifyError::TokenNotActiveYet { nbf: NOW }
    );
}

#[tokio::test]
async fn iat_and_nbf_are_checked_separately() {
    let server = jwks_server(&[key()], 1).await;
    let clock = TestClock::new();
    let verifier = verifier(online(&server), &clock);

    let mut future_iat = claims_at(NOW);
    future_iat.iat = NOW + 6;
    assert_eq!(
        verifier
            .verify(&key().mint(&future_iat).unwrap())
            .await
            .unwrap_err(),
        VerifyError::TokenIatInFuture { iat: NOW + 6 }
    );
    future_iat.iat = NOW + 5;
    verifier
        .verify(&key().mint(&future_iat).unwrap())
        .await
        .unwrap();

    let mut future_nbf = claims_at(NOW);
    future_nbf.nbf = NOW + 30;
    assert_eq!(
        verifier
            .verify(&key().mint(&future_nbf).unwrap())
            .await
            .unwrap_err(),
        VerifyError::TokenNotActiveYet { nbf: NOW + 30 }
    );
}

#[tokio::test]
async fn a_larger_clock_skew_accepts_what_the_default_rejects() {
    let server = jwks_server(&[key()], 1).await;
    let clock = TestClock::new();
    clock.set_secs(NOW + 60 + 20);
    let verifier = verifier(online(&server).clock_skew(Duration::from_secs(30)), &clock);
    verifier.verify(&token()).await.unwrap();
}

#[tokio::test]
async fn azp_must_be_an_authorized_party() {
    let server = jwks_server(&[key()], 1).await;
    let clock = TestClock::new();
    let verifier = verifier(
        online(&server).authorized_parties(["https://other.example"]),
        &clock,
    );
    assert_eq!(
        verifier.verify(&token()).await.unwrap_err(),
        VerifyError::InvalidAuthorizedParty {
            azp: Some(APP.into())
        }
    );
    // No azp at all, with parties configured: rejected, as @clerk/backend does.
    let mut no_azp = claims_at(NOW);
    no_azp.azp = None;
    assert_eq!(
        verifier
            .verify(&key().mint(&no_azp).unwrap())
            .await
            .unwrap_err(),
        VerifyError::InvalidAuthorizedParty { azp: None }
    );
}

#[tokio::test]
async fn unknown_kid_refetches_once_per_interval_then_finds_a_rotated_key() {
    // One fetch at first use, one refetch for the unknown kid.
    let server = jwks_server(&[key()], 2).await;
    let clock = TestClock::new();
    let verifier = verifier(online(&server), &clock);
    verifier.verify(&token()).await.unwrap();

    // Right after a fetch, an unknown kid does not refetch: the interval counts every fetch.
    let rotated = other_key().mint(&claims_at(NOW)).unwrap();
    assert_eq!(
        verifier.verify(&rotated).await.unwrap_err(),
        VerifyError::UnknownKid {
            kid: other_key().kid().into()
        }
    );
    // Once the interval has passed, misses refetch exactly once.
    clock.advance(Duration::from_secs(5));
    for _ in 0..3 {
        assert_eq!(
            verifier.verify(&rotated).await.unwrap_err(),
            VerifyError::UnknownKid {
                kid: other_key().kid().into()
            }
        );
    }
    // Known keys still verify from the cache meanwhile.
    verifier.verify(&token()).await.unwrap();
    server.verify().await;

    // The server now publishes the new key; after the interval, the next miss refetches.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/v1/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks_body(&[other_key(), key()])))
        .expect(1)
        .mount(&server)
        .await;
    clock.advance(Duration::from_secs(5));
    let claims = verifier.verify(&rotated).await.unwrap();
    assert_eq!(claims.act.unwrap().sub, "user_support");
    verifier.verify(&token()).await.unwrap();
}

#[tokio::test]
async fn jwks_server_error_rejects_and_does_not_hammer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/jwks"))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&server)
        .await;
    let clock = TestClock::new();
    let verifier = verifier(online(&server), &clock);
    for _ in 0..5 {
        let err = verifier.verify(&token()).await.unwrap_err();
        assert!(
            matches!(&err, VerifyError::JwksUnavailable { reason, .. } if reason.contains("500")),
            "{err:?}"
        );
    }
    server.verify().await;

    // After the interval it asks again, and recovers.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/v1/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks_body(&[key()])))
        .expect(1)
        .mount(&server)
        .await;
    clock.advance(Duration::from_secs(5));
    verifier.verify(&token()).await.unwrap();
}

#[tokio::test]
async fn unreachable_jwks_is_an_error_not_a_hang() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let verifier = verifier(
        VerifyTokenOptions::default()
            .api_url(format!("http://127.0.0.1:{port}/v1"))
            .jwks_timeout(Duration::from_secs(2)),
        &TestClock::new(),
    );
    let err = verifier.verify(&token()).await.unwrap_err();
    assert!(
        matches!(&err, VerifyError::JwksUnavailable { url, .. } if url.ends_with("/v1/jwks")),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_outage_after_the_cache_expires_rejects_even_known_kids() {
    let server = jwks_server(&[key()], 1).await;
    let clock = TestClock::new();
    let verifier = verifier(
        online(&server)
            .jwks_cache_ttl(Duration::from_secs(60))
            .clock_skew(Duration::from_secs(3600)),
        &clock,
    );
    verifier.verify(&token()).await.unwrap();
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/v1/jwks"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    clock.advance(Duration::from_secs(61));
    assert!(matches!(
        verifier.verify(&token()).await.unwrap_err(),
        VerifyError::JwksUnavailable { .. }
    ));
}

#[tokio::test]
async fn unusable_jwks_bodies_are_errors() {
    for body in [
        ResponseTemplate::new(200).set_body_string("<html>"),
        ResponseTemplate::new(200).set_body_json(serde_json::json!({"keys": []})),
        ResponseTemplate::new(200).set_body_string("x".repeat(300 * 1024)),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(body)
            .expect(1)
            .mount(&server)
            .await;
        let verifier = verifier(online(&server), &TestClock::new());
        assert!(matches!(
            verifier.verify(&token()).await.unwrap_err(),
            VerifyError::JwksUnavailable { .. }
        ));
    }
}

#[tokio::test]
async fn the_secret_key_is_sent_as_bearer_and_never_shown() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/jwks"))
        .and(header("authorization", "Bearer sk_test_secret123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks_body(&[key()])))
        .expect(1)
        .mount(&server)
        .await;
    let options = online(&server).secret_key("sk_test_secret123");
    let verifier = verifier(options.clone(), &TestClock::new());
    verifier.verify(&token()).await.unwrap();
    assert!(!format!("{verifier:?} {options:?}").contains("secret123"));
}

#[tokio::test]
async fn refused_secret_key_is_reported_without_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let verifier = verifier(
        online(&server).secret_key("sk_test_wrong_secret"),
        &TestClock::new(),
    );
    let err = verifier.verify(&token()).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("secret key was refused"), "{text}");
    assert!(!text.contains("wrong_secret"));
}

#[tokio::test]
async fn verify_token_fetches_the_jwks_once_across_calls() {
    let server = jwks_server(&[key()], 1).await;
    let options = online(&server).clock_skew(Duration::from_secs(100 * 365 * 86_400));
    for _ in 0..3 {
        let claims = verify_token(&token(), &options).await.unwrap();
        assert_eq!(claims.act.unwrap().sub, "user_support");
    }
}

#[tokio::test]
async fn pem_key_verifies_offline() {
    let clock = TestClock::new();
    let verifier = verifier(
        VerifyTokenOptions::default().jwt_key(key().public_key_pem().unwrap()),
        &clock,
    );
    let claims = verifier.verify(&token()).await.unwrap();
    assert_eq!(claims.act.unwrap().get("reason").unwrap(), "ticket #4711");
    assert_eq!(
        verifier
            .verify(&other_key().mint(&claims_at(NOW)).unwrap())
            .await
            .unwrap_err(),
        VerifyError::InvalidSignature
    );
    clock.advance(Duration::from_secs(3600));
    assert!(matches!(
        verifier.verify(&token()).await.unwrap_err(),
        VerifyError::TokenExpired { .. }
    ));
}

#[tokio::test]
async fn pem_pasted_without_newlines_still_works() {
    let pem = key().public_key_pem().unwrap().replace('\n', "");
    let verifier = verifier(
        VerifyTokenOptions::default().jwt_key(pem),
        &TestClock::new(),
    );
    verifier.verify(&token()).await.unwrap();
}

/// `alg: none` and HS256 keyed with the public key (the classic confusion) never verify,
/// and are refused before any key is fetched.
#[tokio::test]
async fn none_and_hs256_tokens_are_rejected() {
    let claims = serde_json::to_vec(&claims_at(NOW)).unwrap();
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(&claims)
    );
    let pem = key().public_key_pem().unwrap();
    let mut hs_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs_header.kid = Some(key().kid().into());
    let hs256 = jsonwebtoken::encode(
        &hs_header,
        &claims_at(NOW),
        &jsonwebtoken::EncodingKey::from_secret(pem.as_bytes()),
    )
    .unwrap();

    let server = jwks_server(&[key()], 0).await;
    let online = verifier(online(&server), &TestClock::new());
    let offline = verifier(
        VerifyTokenOptions::default().jwt_key(pem),
        &TestClock::new(),
    );
    for (token, alg) in [(&none, "none"), (&hs256, "HS256")] {
        for verifier in [&online, &offline] {
            assert_eq!(
                verifier.verify(token).await.unwrap_err(),
                VerifyError::UnsupportedAlgorithm { alg: alg.into() }
            );
        }
    }
}

#[tokio::test]
async fn garbage_is_malformed_and_never_fetches() {
    let server = jwks_server(&[key()], 0).await;
    let verifier = verifier(online(&server), &TestClock::new());
    let no_kid = {
        let t = token();
        let (_, rest) = t.split_once('.').unwrap();
        format!(
            "{}.{rest}",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#)
        )
    };
    for bad in ["", "abc", "a.b.c", "....", &no_kid] {
        assert!(
            matches!(
                verifier.verify(bad).await.unwrap_err(),
                VerifyError::Malformed { .. }
            ),
            "{bad:.30}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_verifications_share_one_fetch() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/jwks"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(jwks_body(&[key()]))
                .set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let verifier = verifier(online(&server), &TestClock::new());
    let token = token();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let verifier = verifier.clone();
            let token = token.clone();
            tokio::spawn(async move { verifier.verify(&token).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn a_slow_jwks_times_out_with_a_typed_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(jwks_body(&[key()]))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    // A caller-supplied client without its own timeout still gets the JWKS timeout.
    let verifier = verifier(
        online(&server)
            .http_client(reqwest::Client::new())
            .jwks_timeout(Duration::from_millis(200)),
        &TestClock::new(),
    );
    let err = verifier.verify(&token()).await.unwrap_err();
    assert!(
        matches!(&err, VerifyError::JwksUnavailable { reason, .. } if reason.contains("timed out")),
        "{err:?}"
    );
}
