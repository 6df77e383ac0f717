//! What a verifier checks and where it gets its keys.

use std::fmt;
use std::time::Duration;

/// Default clock skew, as in Clerk's SDKs (5 s).
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(5);
/// Default time a fetched JWKS is trusted before it is fetched again (5 min, as `@clerk/backend`).
pub const DEFAULT_JWKS_CACHE_TTL: Duration = Duration::from_secs(5 * 60);
/// Default minimum time between two JWKS fetches, successful or not: an unknown `kid` or an
/// outage cannot make the verifier hammer the server.
pub const DEFAULT_MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(5);
/// Default timeout of one JWKS fetch.
pub const DEFAULT_JWKS_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the public keys come from.
#[derive(Clone)]
pub(crate) enum KeySource {
    None,
    Jwks {
        url: String,
        secret_key: Option<String>,
    },
    Pem(String),
}

/// Options of session-token verification, built in steps:
///
/// ```
/// use std::time::Duration;
/// use clerk_backend_api::verify::VerifyTokenOptions;
///
/// // Against the server's JWKS ({api_url}/jwks), fetched once and cached:
/// let online = VerifyTokenOptions::default()
///     .api_url("http://127.0.0.1:3000/v1")
///     .secret_key("sk_test_…")
///     .authorized_parties(["https://app.example"]);
/// // Or offline, against the instance's PEM public key:
/// let offline = VerifyTokenOptions::default()
///     .jwt_key("-----BEGIN PUBLIC KEY-----\n…")
///     .clock_skew(Duration::from_secs(10));
/// ```
#[derive(Clone)]
pub struct VerifyTokenOptions {
    pub(crate) key_source: KeySource,
    pub(crate) authorized_parties: Vec<String>,
    pub(crate) clock_skew: Duration,
    pub(crate) jwks_cache_ttl: Duration,
    pub(crate) min_refresh_interval: Duration,
    pub(crate) jwks_timeout: Duration,
    pub(crate) http_client: Option<reqwest::Client>,
}

impl Default for VerifyTokenOptions {
    fn default() -> Self {
        Self {
            key_source: KeySource::None,
            authorized_parties: Vec::new(),
            clock_skew: DEFAULT_CLOCK_SKEW,
            jwks_cache_ttl: DEFAULT_JWKS_CACHE_TTL,
            min_refresh_interval: DEFAULT_MIN_REFRESH_INTERVAL,
            jwks_timeout: DEFAULT_JWKS_TIMEOUT,
            http_client: None,
        }
    }
}

impl VerifyTokenOptions {
    /// Fetch keys from this JWKS URL. Replaces any earlier key source except a secret key.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        let secret_key = self.take_secret_key();
        self.key_source = KeySource::Jwks {
            url: url.into(),
            secret_key,
        };
        self
    }

    /// Fetch keys from `{api_url}/jwks`, where `api_url` is the Backend API base with its
    /// version, such as `https://api.clerk.com/v1` or `http://127.0.0.1:3000/v1`.
    pub fn api_url(self, api_url: impl AsRef<str>) -> Self {
        let url = format!("{}/jwks", api_url.as_ref().trim_end_matches('/'));
        self.jwks_url(url)
    }

    /// The secret key sent as bearer when fetching the JWKS (Clerk requires it; Understudy
    /// serves its JWKS without). `Bearer ` is added when missing.
    pub fn secret_key(mut self, key: impl Into<String>) -> Self {
        let key = key.into();
        match &mut self.key_source {
            KeySource::Jwks { secret_key, .. } => *secret_key = Some(key),
            _ => {
                self.key_source = KeySource::Jwks {
                    url: String::new(),
                    secret_key: Some(key),
                }
            }
        }
        self
    }

    /// Verify offline against this PEM public key (`-----BEGIN PUBLIC KEY-----`), as the
    /// official SDKs' `jwtKey` / `jwt_key`: no network at all.
    pub fn jwt_key(mut self, pem: impl Into<String>) -> Self {
        self.key_source = KeySource::Pem(pem.into());
        self
    }

    /// Accept only tokens whose `azp` is one of these origins. A token without `azp` is
    /// then rejected too, as Clerk's SDKs do. Empty (the default): `azp` is not checked.
    pub fn authorized_parties<I, S>(mut self, parties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.authorized_parties = parties.into_iter().map(Into::into).collect();
        self
    }

    /// How far `exp`, `nbf` and `iat` may be off (default 5 s).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// How long a fetched JWKS is trusted (default 5 min).
    pub fn jwks_cache_ttl(mut self, ttl: Duration) -> Self {
        self.jwks_cache_ttl = ttl;
        self
    }

    /// The least time between two JWKS fetches (default 5 s). An unknown `kid` refreshes the
    /// JWKS at most this often; after a failed fetch, tokens are rejected for this long
    /// without asking the server again.
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh_interval = interval;
        self
    }

    /// Timeout of one JWKS fetch (default 10 s).
    pub fn jwks_timeout(mut self, timeout: Duration) -> Self {
        self.jwks_timeout = timeout;
        self
    }

    /// The HTTP client for JWKS fetches (default: a new rustls client).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Fills in the JWKS of a client's server and its secret key where these options name
    /// no key source (for `Clerk::token_verifier`): explicit choices are kept.
    pub(crate) fn with_client_defaults(mut self, api_url: &str, secret_key: Option<&str>) -> Self {
        let needs_url = match &self.key_source {
            KeySource::None => true,
            KeySource::Jwks { url, .. } => url.is_empty(),
            KeySource::Pem(_) => false,
        };
        if needs_url {
            self = self.api_url(api_url);
        }
        if let KeySource::Jwks {
            secret_key: slot @ None,
            ..
        } = &mut self.key_source
        {
            *slot = secret_key.map(str::to_owned);
        }
        self
    }

    fn take_secret_key(&mut self) -> Option<String> {
        match &mut self.key_source {
            KeySource::Jwks { secret_key, .. } => secret_key.take(),
            _ => None,
        }
    }
}

impl fmt::Debug for VerifyTokenOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("VerifyTokenOptions");
        match &self.key_source {
            KeySource::None => s.field("key_source", &"none"),
            KeySource::Jwks { url, secret_key } => s
                .field("jwks_url", url)
                .field("secret_key", &secret_key.as_ref().map(|_| "[redacted]")),
            KeySource::Pem(_) => s.field("jwt_key", &"PEM"),
        };
        s.field("authorized_parties", &self.authorized_parties)
            .field("clock_skew", &self.clock_skew)
            .field("jwks_cache_ttl", &self.jwks_cache_ttl)
            .field("min_refresh_interval", &self.min_refresh_interval)
            .field("jwks_timeout", &self.jwks_timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_url_points_at_its_jwks() {
        for base in ["http://127.0.0.1:3000/v1", "http://127.0.0.1:3000/v1/"] {
            match VerifyTokenOptions::default().api_url(base).key_source {
                KeySource::Jwks { url, secret_key } => {
                    assert_eq!(url, "http://127.0.0.1:3000/v1/jwks");
                    assert_eq!(secret_key, None);
                }
                _ => panic!("expected a JWKS source"),
            }
        }
    }

    #[test]
    fn secret_key_survives_in_either_order() {
        let a = VerifyTokenOptions::default()
            .secret_key("sk_test_1")
            .api_url("http://h/v1");
        let b = VerifyTokenOptions::default()
            .api_url("http://h/v1")
            .secret_key("sk_test_1");
        for options in [a, b] {
            match options.key_source {
                KeySource::Jwks { url, secret_key } => {
                    assert_eq!(url, "http://h/v1/jwks");
                    assert_eq!(secret_key.as_deref(), Some("sk_test_1"));
                }
                _ => panic!("expected a JWKS source"),
            }
        }
    }

    #[test]
    fn client_defaults_fill_only_what_is_missing() {
        let jwks = |o: VerifyTokenOptions| match o.key_source {
            KeySource::Jwks { url, secret_key } => (url, secret_key),
            _ => panic!("expected a JWKS source"),
        };
        let filled =
            VerifyTokenOptions::default().with_client_defaults("http://a/v1", Some("sk_a"));
        assert_eq!(
            jwks(filled),
            ("http://a/v1/jwks".into(), Some("sk_a".into()))
        );
        let kept = VerifyTokenOptions::default()
            .jwks_url("http://b/keys")
            .secret_key("sk_b")
            .with_client_defaults("http://a/v1", Some("sk_a"));
        assert_eq!(jwks(kept), ("http://b/keys".into(), Some("sk_b".into())));
        let pem = VerifyTokenOptions::default()
            .jwt_key("PEM")
            .with_client_defaults("http://a/v1", Some("sk_a"));
        assert!(matches!(pem.key_source, KeySource::Pem(_)));
    }

    #[test]
    fn debug_hides_the_secret_key() {
        let options = VerifyTokenOptions::default()
            .api_url("http://h/v1")
            .secret_key("sk_test_very_secret");
        let printed = format!("{options:?}");
        assert!(!printed.contains("very_secret"), "{printed}");
        assert!(printed.contains("[redacted]"));
    }

    #[test]
    fn defaults_match_clerks_sdks() {
        let options = VerifyTokenOptions::default();
        assert_eq!(options.clock_skew, Duration::from_secs(5));
        assert_eq!(options.jwks_cache_ttl, Duration::from_secs(300));
        assert!(options.authorized_parties.is_empty());
    }
}
