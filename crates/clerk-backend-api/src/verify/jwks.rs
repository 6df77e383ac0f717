//! Fetching the JWKS and caching it: one fetch at a time, at most one per interval.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use http::HeaderValue;
use jsonwebtoken::DecodingKey;
use serde::Deserialize;

use super::VerifyError;

/// A JWKS larger than this is refused: a handful of RSA keys is ~2 KiB.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// The keys of one JWKS URL, shared by every clone of a verifier.
pub(crate) struct JwksCache {
    url: String,
    /// `Bearer <secret key>`, marked sensitive so HTTP-level logging leaves it out.
    authorization: Option<HeaderValue>,
    client: reqwest::Client,
    timeout: Duration,
    ttl_ms: i64,
    min_refresh_ms: i64,
    /// Held only briefly, never across a fetch: known kids never wait for the network.
    state: Mutex<CacheState>,
    /// Held across a fetch, so concurrent misses wait for one fetch instead of each starting one.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct CacheState {
    keys: HashMap<String, DecodingKey>,
    /// When `keys` was last fetched successfully (Unix ms).
    fetched_at: Option<i64>,
    /// When a fetch was last tried, successful or not (Unix ms).
    attempted_at: Option<i64>,
    /// Why the last fetch failed, when it did.
    last_failure: Option<String>,
}

/// The subset of a JWK this verifier uses; other members are ignored.
#[derive(Deserialize)]
struct RawJwk {
    kty: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    key_use: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<serde_json::Value>,
}

impl JwksCache {
    pub(crate) fn new(
        url: String,
        secret_key: Option<&str>,
        client: reqwest::Client,
        timeout: Duration,
        ttl: Duration,
        min_refresh_interval: Duration,
    ) -> Result<Self, VerifyError> {
        let authorization = secret_key
            .map(|key| {
                let value = if key.starts_with("Bearer ") {
                    key.to_owned()
                } else {
                    format!("Bearer {key}")
                };
                let mut value =
                    HeaderValue::from_str(&value).map_err(|_| VerifyError::InvalidOptions {
                        reason: "the secret key holds characters not allowed in a header".into(),
                    })?;
                value.set_sensitive(true);
                Ok(value)
            })
            .transpose()?;
        Ok(Self {
            url,
            authorization,
            client,
            timeout,
            ttl_ms: millis(ttl),
            min_refresh_ms: millis(min_refresh_interval),
            state: Mutex::new(CacheState::default()),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The key for `kid` at `now` (Unix ms): from the cache while it is fresh, otherwise
    /// fetched again, but never more than once per minimum interval.
    pub(crate) async fn key(&self, kid: &str, now: i64) -> Result<DecodingKey, VerifyError> {
        if let Some(key) = self.fresh_key(&self.state(), kid, now) {
            return Ok(key);
        }
        let _fetching = self.fetching.lock().await;
        {
            // Another task may have fetched while this one waited.
            let mut state = self.state();
            if let Some(key) = self.fresh_key(&state, kid, now) {
                return Ok(key);
            }
            let may_fetch = state
                .attempted_at
                .is_none_or(|at| now.saturating_sub(at) >= self.min_refresh_ms);
            if !may_fetch {
                return Err(self.too_soon(&state, kid, now));
            }
            state.attempted_at = Some(now);
        }
        let fetched = self.fetch().await;
        let mut state = self.state();
        match fetched {
            Ok(keys) => {
                state.keys = keys;
                state.fetched_at = Some(now);
                state.last_failure = None;
                state
                    .keys
                    .get(kid)
                    .cloned()
                    .ok_or_else(|| VerifyError::UnknownKid {
                        kid: kid.to_owned(),
                    })
            }
            Err(reason) => {
                // A failed refresh does not revoke a fresh cache, but this kid is not in it.
                state.last_failure = Some(reason.clone());
                Err(self.unavailable(reason))
            }
        }
    }

    fn state(&self) -> MutexGuard<'_, CacheState> {
        // The state is consistent after every statement, so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn is_fresh(&self, state: &CacheState, now: i64) -> bool {
        state
            .fetched_at
            .is_some_and(|at| now.saturating_sub(at) < self.ttl_ms)
    }

    fn fresh_key(&self, state: &CacheState, kid: &str, now: i64) -> Option<DecodingKey> {
        if self.is_fresh(state, now) {
            state.keys.get(kid).cloned()
        } else {
            None
        }
    }

    /// The answer when the last fetch was too recent to fetch again.
    fn too_soon(&self, state: &CacheState, kid: &str, now: i64) -> VerifyError {
        match (&state.last_failure, self.is_fresh(state, now)) {
            (Some(reason), _) => self.unavailable(format!(
                "{reason}; not retried for {} ms",
                self.min_refresh_ms
            )),
            (None, true) => VerifyError::UnknownKid {
                kid: kid.to_owned(),
            },
            // Stale although the last fetch succeeded (a TTL shorter than the refresh
            // interval): stale keys are not trusted.
            (None, false) => self.unavailable("the cached JWKS is stale".into()),
        }
    }

    fn unavailable(&self, reason: String) -> VerifyError {
        VerifyError::JwksUnavailable {
            url: self.url.clone(),
            reason,
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, String> {
        let mut request = self
            .client
            .get(&self.url)
            .timeout(self.timeout)
            .header(http::header::ACCEPT, "application/json");
        if let Some(authorization) = &self.authorization {
            request = request.header(http::header::AUTHORIZATION, authorization.clone());
        }
        let mut response = request.send().await.map_err(describe_transport_error)?;
        let status = response.status();
        if !status.is_success() {
            return Err(match status.as_u16() {
                401 | 403 => format!("HTTP {status}: the secret key was refused"),
                _ => format!("HTTP {status}"),
            });
        }
        if response
            .content_length()
            .is_some_and(|len| len > MAX_JWKS_BYTES as u64)
        {
            return Err(format!("the body is over {MAX_JWKS_BYTES} bytes"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe_transport_error)? {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(format!("the body is over {MAX_JWKS_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        parse_jwks(&body)
    }
}

/// The RS256 signing keys of a JWKS body, by kid. Keys of other types or uses are skipped;
/// a JWKS with none is an error, as in `@clerk/backend`.
pub(crate) fn parse_jwks(body: &[u8]) -> Result<HashMap<String, DecodingKey>, String> {
    let jwks: RawJwks =
        serde_json::from_slice(body).map_err(|_| "the body is not a JWKS".to_owned())?;
    let mut keys = HashMap::new();
    for value in jwks.keys {
        let Ok(jwk) = serde_json::from_value::<RawJwk>(value) else {
            continue;
        };
        let usable = jwk.kty.as_deref() == Some("RSA")
            && jwk.alg.as_deref().is_none_or(|alg| alg == "RS256")
            && jwk.key_use.as_deref().is_none_or(|u| u == "sig");
        if let (true, Some(kid), Some(n), Some(e)) = (usable, jwk.kid, jwk.n, jwk.e)
            && let Ok(key) = DecodingKey::from_rsa_components(&n, &e)
        {
            keys.insert(kid, key);
        }
    }
    if keys.is_empty() {
        return Err("the JWKS holds no RS256 signing key".into());
    }
    Ok(keys)
}

fn describe_transport_error(error: reqwest::Error) -> String {
    // The URL is already in the error message; the secret key is in a header, never here.
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "transport error"
    };
    format!("{kind}: {}", error.without_url())
}

pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_rsa_signing_keys_and_skips_the_rest() {
        let body = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "a", "alg": "RS256", "use": "sig", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "kid": "no-alg", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "sXch", "e": "AQAB"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "x", "y": "y"},
            {"kty": "RSA", "kid": "hs", "alg": "HS256", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "n": "sXch", "e": "AQAB"},
            "not an object"
        ]});
        let keys = parse_jwks(body.to_string().as_bytes()).unwrap();
        let mut kids: Vec<_> = keys.keys().cloned().collect();
        kids.sort();
        assert_eq!(kids, ["a", "no-alg"]);
    }

    #[test]
    fn parse_rejects_bodies_without_keys() {
        for body in [
            &b"not json"[..],
            br#"{"keys": []}"#,
            br#"{"no": "keys"}"#,
            br#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#,
        ] {
            assert!(parse_jwks(body).is_err());
        }
    }
}
