//! `Clerk`, the client applications hold, and the builder of it and of [`ClerkCore`].

use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;

use crate::api::ActorTokens;
use crate::core::{DEFAULT_SERVER_URL, DEFAULT_TIMEOUT, parse_server_url};
use crate::hooks::{HookContext, Hooks};
use crate::{ClerkCore, Error, Result, RetryConfig, SecretKey};

/// The environment variable [`Clerk::from_env`] reads the secret key from.
pub const SECRET_KEY_ENV: &str = "CLERK_SECRET_KEY";

/// The Clerk Backend API client: `clerk.actor_tokens().create(…)` and `.revoke(…)`.
///
/// `Clone + Send + Sync` and cheap to clone (an `Arc` inside); derefs to its [`ClerkCore`],
/// so it can be passed wherever the standalone functions want a `&ClerkCore`.
///
/// ```no_run
/// use clerk_backend_api::{Clerk, models::{Actor, CreateActorTokenRequestBody}};
///
/// # async fn run() -> Result<(), clerk_backend_api::Error> {
/// let clerk = Clerk::from_env()?;
/// let token = clerk
///     .actor_tokens()
///     .create(CreateActorTokenRequestBody::new("user_1a2b3c", Actor::new("user_2OEp")))
///     .await?;
/// println!("{} {}", token.id, token.url.as_deref().unwrap_or(""));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Clerk {
    core: ClerkCore,
}

impl Clerk {
    /// A builder: set at least [`ClerkBuilder::bearer_auth`].
    pub fn builder() -> ClerkBuilder<Clerk> {
        ClerkBuilder::new()
    }

    /// A client with the key from `CLERK_SECRET_KEY` and every default; [`Error::Config`]
    /// when the variable is unset or empty.
    pub fn from_env() -> Result<Clerk> {
        Self::builder().secret_key_from_env().build()
    }

    /// The actor-token operations.
    pub fn actor_tokens(&self) -> ActorTokens<'_> {
        ActorTokens::new(&self.core)
    }

    /// A session-token verifier for this client's server: unless `options` name a key source
    /// of their own, it fetches `{server_url}/jwks` with this client's secret key, once, and
    /// caches it. Keep the verifier (it is cheap to clone) so the cache is shared.
    ///
    /// Differs from SDK.md's sketch only in returning a `Result`: a bad PEM key or JWKS URL in
    /// `options` is reported here rather than on the first token.
    ///
    /// ```no_run
    /// use clerk_backend_api::{Clerk, verify::VerifyTokenOptions};
    ///
    /// # async fn run(session_token: &str) -> Result<(), clerk_backend_api::Error> {
    /// let clerk = Clerk::from_env()?;
    /// let verifier = clerk.token_verifier(
    ///     VerifyTokenOptions::default().authorized_parties(["https://app.example"]),
    /// )?;
    /// let claims = verifier.verify(session_token).await?;
    /// if let Some(act) = &claims.act {
    ///     println!("{} acts as {}", act.sub, claims.sub);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn token_verifier(
        &self,
        options: crate::verify::VerifyTokenOptions,
    ) -> Result<crate::verify::TokenVerifier> {
        let options =
            options.with_client_defaults(self.core.server_url(), Some(self.core.secret_key()));
        Ok(crate::verify::TokenVerifier::new(options)?)
    }

    /// The core, for the standalone functions in [`crate::funcs`].
    pub fn core(&self) -> &ClerkCore {
        &self.core
    }
}

impl Deref for Clerk {
    type Target = ClerkCore;

    fn deref(&self) -> &ClerkCore {
        &self.core
    }
}

impl From<ClerkCore> for Clerk {
    fn from(core: ClerkCore) -> Self {
        Self { core }
    }
}

/// Builds a [`Clerk`] (from [`Clerk::builder`]) or a [`ClerkCore`] (from
/// [`ClerkCore::builder`]). Nothing is checked or sent until [`ClerkBuilder::build`].
///
/// ```
/// use std::time::Duration;
/// use clerk_backend_api::{Clerk, RetryConfig};
///
/// let clerk = Clerk::builder()
///     .bearer_auth("sk_test_123")
///     .server_url("http://127.0.0.1:3000/v1")
///     .timeout(Duration::from_secs(10))
///     .retry_config(RetryConfig::none())
///     .before_request(|_ctx, request| {
///         request.headers_mut().insert("x-app", "support-console".parse().unwrap());
///         Ok(())
///     })
///     .build()
///     .unwrap();
/// assert_eq!(clerk.timeout(), Some(Duration::from_secs(10)));
/// ```
#[must_use]
pub struct ClerkBuilder<T = Clerk> {
    key: Option<SecretKey>,
    server_url: Option<String>,
    http: Option<reqwest::Client>,
    timeout: Option<Duration>,
    retry: RetryConfig,
    hooks: Hooks,
    api_version: String,
    output: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for ClerkBuilder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClerkBuilder")
            .field("secret_key", &self.key)
            .field("server_url", &self.server_url)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("hooks", &self.hooks)
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}

impl<T: From<ClerkCore>> Default for ClerkBuilder<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: From<ClerkCore>> ClerkBuilder<T> {
    /// Every default, no key.
    pub fn new() -> Self {
        Self {
            key: None,
            server_url: None,
            http: None,
            timeout: Some(DEFAULT_TIMEOUT),
            retry: RetryConfig::default(),
            hooks: Hooks::default(),
            api_version: clerk_models::api_version::CURRENT.to_owned(),
            output: PhantomData,
        }
    }

    /// The secret key; `Bearer ` is added when missing.
    pub fn bearer_auth(mut self, key: impl Into<String>) -> Self {
        self.key = Some(SecretKey::new(key));
        self
    }

    /// The secret key from `CLERK_SECRET_KEY`, when set (an unset variable leaves the key
    /// unset, so `build()` reports it).
    pub fn secret_key_from_env(mut self) -> Self {
        if let Ok(key) = std::env::var(SECRET_KEY_ENV) {
            self.key = Some(SecretKey::new(key));
        }
        self
    }

    /// The API base URL (default `https://api.clerk.com/v1`), with or without a trailing `/`.
    pub fn server_url(mut self, url: impl Into<String>) -> Self {
        self.server_url = Some(url.into());
        self
    }

    /// The HTTP client to send with (its own settings, such as proxies, apply; the
    /// per-attempt timeout is still set on each request).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The timeout of each attempt (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// No timeout at all: an attempt may wait for ever.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// The retry policy of every call (default [`RetryConfig::backoff`]).
    pub fn retry_config(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// The `Clerk-API-Version` to send (default [`clerk_models::api_version::CURRENT`]).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// Adds a hook run before each attempt; it may change the request, or abort the call by
    /// returning `Err(reason)` ([`Error::Hook`]).
    pub fn before_request<F>(mut self, hook: F) -> Self
    where
        F: Fn(&HookContext, &mut reqwest::Request) -> std::result::Result<(), String>
            + Send
            + Sync
            + 'static,
    {
        self.hooks.before_request.push(Arc::new(hook));
        self
    }

    /// Adds a hook run on each 2XX answer, before its body is read.
    pub fn after_success<F>(mut self, hook: F) -> Self
    where
        F: Fn(&HookContext, &reqwest::Response) + Send + Sync + 'static,
    {
        self.hooks.after_success.push(Arc::new(hook));
        self
    }

    /// Adds a hook run once when a call fails, with the error it returns.
    pub fn after_error<F>(mut self, hook: F) -> Self
    where
        F: Fn(&HookContext, &Error) + Send + Sync + 'static,
    {
        self.hooks.after_error.push(Arc::new(hook));
        self
    }

    /// Checks the settings and builds, without any I/O. [`Error::Config`] when there is no
    /// key, the server URL is unusable, or the API version cannot be a header.
    pub fn build(self) -> Result<T> {
        let key = self.key.filter(|k| !k.is_empty()).ok_or_else(|| {
            Error::Config(format!(
                "no secret key: call bearer_auth(…) or set {SECRET_KEY_ENV}"
            ))
        })?;
        let base_url = parse_server_url(self.server_url.as_deref().unwrap_or(DEFAULT_SERVER_URL))?;
        let api_version = HeaderValue::from_str(&self.api_version).map_err(|_| {
            Error::Config(format!(
                "API version {:?} cannot be sent as a header",
                self.api_version
            ))
        })?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                // Clerk never redirects; following one could carry the key elsewhere.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| Error::Config(format!("cannot set up the HTTP client: {e}")))?,
        };
        let core = ClerkCore::new(
            base_url,
            key,
            http,
            self.timeout,
            self.retry,
            self.hooks,
            api_version,
        )?;
        Ok(T::from(core))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clerk_is_cheap_to_share_across_tasks() {
        fn assert_shareable<T: Clone + Send + Sync + 'static>() {}
        assert_shareable::<Clerk>();
        assert_shareable::<ClerkCore>();
    }

    #[test]
    fn building_without_a_usable_key_is_a_config_error() {
        for builder in [
            Clerk::builder(),
            Clerk::builder().bearer_auth(""),
            Clerk::builder().bearer_auth("Bearer "),
        ] {
            let err = builder.build().unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{err}");
            assert!(err.to_string().contains("CLERK_SECRET_KEY"), "{err}");
        }
        let err = Clerk::builder()
            .bearer_auth("sk_test_a\nb")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)));
        assert!(!err.to_string().contains("sk_test_a"), "{err}");
    }

    #[test]
    fn defaults_are_clerks_url_the_official_retries_and_a_timeout() {
        let clerk = Clerk::builder().bearer_auth("sk_test_x").build().unwrap();
        assert_eq!(clerk.server_url(), "https://api.clerk.com/v1/");
        assert_eq!(clerk.retry_config(), &RetryConfig::backoff());
        assert_eq!(clerk.timeout(), Some(DEFAULT_TIMEOUT));
        let debug = format!("{clerk:?} {:?}", Clerk::builder().bearer_auth("sk_test_x"));
        assert!(!debug.contains("sk_test_x"), "{debug}");
    }

    #[test]
    fn a_bad_server_url_or_api_version_is_a_config_error() {
        let err = Clerk::builder()
            .bearer_auth("k")
            .server_url("not a url")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)));
        let err = Clerk::builder()
            .bearer_auth("k")
            .api_version("2025\n")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)));
    }
}
