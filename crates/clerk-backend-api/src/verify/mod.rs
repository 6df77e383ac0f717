//! Networkless verification of Clerk session tokens: RS256 JWTs checked against a cached
//! JWKS or a PEM public key, with `exp`, `nbf`, `iat` (allowing clock skew) and `azp`.
//!
//! ```no_run
//! use clerk_backend_api::verify::{TokenVerifier, VerifyTokenOptions};
//!
//! # async fn demo(session_token: &str) -> Result<(), clerk_backend_api::verify::VerifyError> {
//! let verifier = TokenVerifier::new(
//!     VerifyTokenOptions::default()
//!         .api_url("http://127.0.0.1:3000/v1")
//!         .authorized_parties(["https://app.example"]),
//! )?;
//! let claims = verifier.verify(session_token).await?; // JWKS fetched once, then cached
//! if let Some(act) = &claims.act {
//!     println!("{} is impersonating {}", act.sub, claims.sub);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The checks follow `@clerk/backend`'s `verifyToken`: `alg` must be RS256, `typ` when present
//! must be `JWT`, the signature must match, `exp` must be later than now minus the skew,
//! `nbf` and `iat` no later than now plus the skew, and when authorized parties are set the
//! token's `azp` must be one of them (a token without `azp` is then rejected).

mod error;
mod jwks;
mod options;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_models::SessionClaims;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

pub use error::VerifyError;
pub use options::{
    DEFAULT_CLOCK_SKEW, DEFAULT_JWKS_CACHE_TTL, DEFAULT_JWKS_TIMEOUT, DEFAULT_MIN_REFRESH_INTERVAL,
    VerifyTokenOptions,
};

use jwks::{JwksCache, millis};
use options::KeySource;

/// Tokens longer than this are refused before any parsing (Clerk's are ~1 KiB).
const MAX_TOKEN_BYTES: usize = 16 * 1024;

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Verifies session tokens. Cheap to clone: clones share the JWKS cache.
#[derive(Clone)]
pub struct TokenVerifier {
    options: Arc<VerifyTokenOptions>,
    keys: Keys,
    clock: Clock,
}

#[derive(Clone)]
enum Keys {
    Pem(DecodingKey),
    Jwks(Arc<JwksCache>),
}

impl TokenVerifier {
    /// A verifier with its own JWKS cache. Fails when the options name no key source, the
    /// JWKS URL is not an http(s) URL, or the PEM key is not an RSA public key.
    pub fn new(options: VerifyTokenOptions) -> Result<Self, VerifyError> {
        let keys = match &options.key_source {
            KeySource::Pem(pem) => Keys::Pem(parse_pem(pem)?),
            KeySource::Jwks { url, secret_key } => {
                check_jwks_url(url)?;
                let client = match &options.http_client {
                    Some(client) => client.clone(),
                    None => reqwest::Client::builder().build().map_err(|e| {
                        VerifyError::InvalidOptions {
                            reason: format!("cannot build the HTTP client: {e}"),
                        }
                    })?,
                };
                Keys::Jwks(Arc::new(JwksCache::new(
                    url.clone(),
                    secret_key.as_deref(),
                    client,
                    options.jwks_timeout,
                    options.jwks_cache_ttl,
                    options.min_refresh_interval,
                )?))
            }
            KeySource::None => {
                return Err(VerifyError::InvalidOptions {
                    reason: "no key source: set jwks_url / api_url (online) or jwt_key (offline)"
                        .into(),
                });
            }
        };
        Ok(Self {
            options: Arc::new(options),
            keys,
            clock: Arc::new(SystemTime::now),
        })
    }

    /// Replaces the clock (for tests: expiry and cache intervals without sleeping).
    pub fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Verifies `token` and returns its claims, `act` included.
    pub async fn verify(&self, token: &str) -> Result<SessionClaims, VerifyError> {
        let token = token.trim();
        let header = parse_header(token)?;
        let now_ms = unix_millis((self.clock)());
        let key = match &self.keys {
            Keys::Pem(key) => key.clone(),
            Keys::Jwks(cache) => {
                let kid = header
                    .kid
                    .ok_or_else(|| VerifyError::malformed("the header has no kid"))?;
                cache.key(&kid, now_ms).await?
            }
        };
        let claims = check_signature(token, &key)?;
        check_times(&claims, now_ms, millis(self.options.clock_skew))?;
        check_authorized_party(&claims, &self.options.authorized_parties)?;
        Ok(claims)
    }
}

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Verifies a session token with `options`. JWKS caches are kept per JWKS URL and secret
/// key for the life of the process, so repeated calls fetch the JWKS once, like the official
/// SDKs' `verifyToken` / `verify_token`. The cache's TTL, refresh interval and timeout are
/// those of the first call for that URL and key. Prefer a [`TokenVerifier`] to own the cache.
pub async fn verify_token(
    token: &str,
    options: &VerifyTokenOptions,
) -> Result<SessionClaims, VerifyError> {
    shared_verifier(options)?.verify(token).await
}

/// A verifier for `options` whose JWKS cache is shared with earlier calls for the same
/// URL and secret key.
fn shared_verifier(options: &VerifyTokenOptions) -> Result<TokenVerifier, VerifyError> {
    /// JWKS caches by (JWKS URL, secret key): scoped by key so that one instance's keys are
    /// never used for another's tokens.
    type SharedCaches = Mutex<HashMap<(String, Option<String>), Arc<JwksCache>>>;
    static CACHES: OnceLock<SharedCaches> = OnceLock::new();
    let KeySource::Jwks { url, secret_key } = &options.key_source else {
        return TokenVerifier::new(options.clone());
    };
    let mut caches = CACHES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let scope = (url.clone(), secret_key.clone());
    if let Some(cache) = caches.get(&scope) {
        // Reuse the cache and its HTTP client: building a client loads the TLS roots.
        return Ok(TokenVerifier {
            options: Arc::new(options.clone()),
            keys: Keys::Jwks(Arc::clone(cache)),
            clock: Arc::new(SystemTime::now),
        });
    }
    let verifier = TokenVerifier::new(options.clone())?;
    if let Keys::Jwks(cache) = &verifier.keys {
        caches.insert(scope, Arc::clone(cache));
    }
    Ok(verifier)
}

/// What the header must say, read before any key is chosen.
struct TokenHeader {
    kid: Option<String>,
}

fn parse_header(token: &str) -> Result<TokenHeader, VerifyError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(VerifyError::malformed(format!(
            "it is over {MAX_TOKEN_BYTES} bytes"
        )));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::malformed(
            "a JWT has three dot-separated parts",
        ));
    };
    let header: serde_json::Value = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| VerifyError::malformed("the header is not base64url JSON"))?;
    let alg = header.get("alg").and_then(|v| v.as_str());
    if alg != Some("RS256") {
        return Err(VerifyError::UnsupportedAlgorithm {
            alg: alg.unwrap_or("(missing)").to_owned(),
        });
    }
    match header.get("typ") {
        None => {}
        Some(typ) if typ == "JWT" => {}
        Some(typ) => {
            return Err(VerifyError::malformed(format!(
                "the header's typ is {typ}, not \"JWT\""
            )));
        }
    }
    let kid = match header.get("kid") {
        None => None,
        Some(serde_json::Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(VerifyError::malformed("the header's kid is not a string")),
    };
    Ok(TokenHeader { kid })
}

/// Checks the RS256 signature and decodes the claims; time and `azp` are checked apart,
/// with this module's clock and Clerk's rules.
fn check_signature(token: &str, key: &DecodingKey) -> Result<SessionClaims, VerifyError> {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<SessionClaims>(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature | ErrorKind::InvalidRsaKey(_) => {
                VerifyError::InvalidSignature
            }
            ErrorKind::InvalidAlgorithm => VerifyError::UnsupportedAlgorithm {
                alg: "not RS256".into(),
            },
            ErrorKind::Json(_) => VerifyError::malformed(
                "the claims are not session claims (iss, sub, sid, iat, nbf, exp)",
            ),
            _ => VerifyError::malformed("the token cannot be decoded"),
        })
}

fn check_times(claims: &SessionClaims, now_ms: i64, skew_ms: i64) -> Result<(), VerifyError> {
    let at_ms = |seconds: i64| seconds.saturating_mul(1000);
    if at_ms(claims.exp) <= now_ms.saturating_sub(skew_ms) {
        return Err(VerifyError::TokenExpired { exp: claims.exp });
    }
    if at_ms(claims.nbf) > now_ms.saturating_add(skew_ms) {
        return Err(VerifyError::TokenNotActiveYet { nbf: claims.nbf });
    }
    if at_ms(claims.iat) > now_ms.saturating_add(skew_ms) {
        return Err(VerifyError::TokenIatInFuture { iat: claims.iat });
    }
    Ok(())
}

fn check_authorized_party(
    claims: &SessionClaims,
    authorized_parties: &[String],
) -> Result<(), VerifyError> {
    if authorized_parties.is_empty() {
        return Ok(());
    }
    match &claims.azp {
        Some(azp) if authorized_parties.iter().any(|p| p == azp) => Ok(()),
        azp => Err(VerifyError::InvalidAuthorizedParty { azp: azp.clone() }),
    }
}

fn parse_pem(pem: &str) -> Result<DecodingKey, VerifyError> {
    // Accept the PEM with its line breaks removed, as the official SDKs do.
    let pem = normalize_pem(pem);
    DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| VerifyError::InvalidKey)
}

/// Puts a PEM whose newlines were lost (pasted into an env var) back in shape.
fn normalize_pem(pem: &str) -> String {
    const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
    const END: &str = "-----END PUBLIC KEY-----";
    let compact: String = pem.chars().filter(|c| !c.is_whitespace()).collect();
    match compact
        .strip_prefix(&BEGIN.replace(' ', ""))
        .and_then(|rest| rest.strip_suffix(&END.replace(' ', "")))
    {
        Some(body) => format!("{BEGIN}\n{body}\n{END}\n"),
        None => pem.to_owned(),
    }
}

fn check_jwks_url(url: &str) -> Result<(), VerifyError> {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(()),
        _ if url.is_empty() => Err(VerifyError::InvalidOptions {
            reason: "a secret key was given but no JWKS URL: set api_url or jwks_url".into(),
        }),
        _ => Err(VerifyError::InvalidOptions {
            reason: format!("the JWKS URL {url:?} is not an http(s) URL"),
        }),
    }
}

fn unix_millis(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(since) => millis(since),
        Err(before) => -millis(before.duration()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(iat: i64, nbf: i64, exp: i64) -> SessionClaims {
        let mut claims = SessionClaims::new("iss", "user_1", "sess_1", iat, exp);
        claims.nbf = nbf;
        claims
    }

    #[test]
    fn time_boundaries_match_clerk() {
        let now = 1_000_000;
        let skew = 5_000;
        // exp: expired when exp <= now - skew.
        assert!(check_times(&claims(900, 900, 995), now, skew).is_err());
        assert!(check_times(&claims(900, 900, 996), now, skew).is_ok());
        // nbf and iat: too early when > now + skew.
        assert!(check_times(&claims(900, 1005, 1060), now, skew).is_ok());
        assert_eq!(
            check_times(&claims(900, 1006, 1060), now, skew),
            Err(VerifyError::TokenNotActiveYet { nbf: 1006 })
        );
        assert_eq!(
            check_times(&claims(1006, 900, 1060), now, skew),
            Err(VerifyError::TokenIatInFuture { iat: 1006 })
        );
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        assert!(check_times(&claims(i64::MIN, i64::MIN, i64::MAX), 0, i64::MAX).is_ok());
        assert!(check_times(&claims(0, 0, i64::MIN), i64::MAX, 0).is_err());
    }

    #[test]
    fn authorized_parties_missing_azp_is_rejected_when_parties_are_set() {
        let mut c = claims(0, 0, 1);
        assert!(check_authorized_party(&c, &[]).is_ok());
        let parties = ["https://app.example".to_owned()];
        assert_eq!(
            check_authorized_party(&c, &parties),
            Err(VerifyError::InvalidAuthorizedParty { azp: None })
        );
        c.azp = Some("https://app.example".into());
        assert!(check_authorized_party(&c, &parties).is_ok());
        c.azp = Some("https://evil.example".into());
        assert!(check_authorized_party(&c, &parties).is_err());
    }

    #[test]
    fn header_must_be_rs256_jwt() {
        let token = |header: &str| format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(header));
        assert!(parse_header(&token(r#"{"alg":"RS256","typ":"JWT","kid":"k"}"#)).is_ok());
        assert!(parse_header(&token(r#"{"alg":"RS256"}"#)).is_ok());
        for alg in ["none", "HS256", "RS512", "PS256"] {
            assert_eq!(
                parse_header(&token(&format!(r#"{{"alg":"{alg}"}}"#))).err(),
                Some(VerifyError::UnsupportedAlgorithm { alg: alg.into() })
            );
        }
        assert!(matches!(
            parse_header(&token(r#"{"alg":"RS256","typ":"at+jwt"}"#)),
            Err(VerifyError::Malformed { .. })
        ));
        assert!(matches!(
            parse_header(&token(r#"{"alg":"RS256","kid":7}"#)),
            Err(VerifyError::Malformed { .. })
        ));
        for bad in ["", "a.b", "a.b.c.d", "!!!.e30.c2ln", &"a".repeat(20_000)] {
            assert!(
                matches!(parse_header(bad), Err(VerifyError::Malformed { .. })),
                "{bad:.20}"
            );
        }
    }

    #[test]
    fn options_without_a_usable_key_source_are_refused() {
        for options in [
            VerifyTokenOptions::default(),
            VerifyTokenOptions::default().secret_key("sk_test_1"),
            VerifyTokenOptions::default().jwks_url("ftp://h/jwks"),
            VerifyTokenOptions::default().jwks_url("not a url"),
            VerifyTokenOptions::default()
                .jwks_url("http://h/jwks")
                .secret_key("sk_test_1\nInjected: header"),
        ] {
            assert!(matches!(
                TokenVerifier::new(options),
                Err(VerifyError::InvalidOptions { .. })
            ));
        }
        assert_eq!(
            TokenVerifier::new(VerifyTokenOptions::default().jwt_key("not a pem")).err(),
            Some(VerifyError::InvalidKey)
        );
    }

    #[test]
    fn pem_without_newlines_is_restored() {
        let pem = "-----BEGIN PUBLIC KEY-----MIIBIj\nANBg-----END PUBLIC KEY-----";
        assert_eq!(
            normalize_pem(pem),
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBg\n-----END PUBLIC KEY-----\n"
        );
    }
}
