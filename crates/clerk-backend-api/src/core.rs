//! `ClerkCore`: the configured client and the one request path every operation takes:
//! build the request, run the hooks, send with retries, classify the answer.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clerk_models::ClerkErrors;
use http::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, PROXY_AUTHORIZATION, RETRY_AFTER, USER_AGENT,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{ApiError, ClerkErrorsResponse, ConnectionError};
use crate::hooks::{HookContext, Hooks};
use crate::retry::{is_retryable_status, parse_retry_after};
use crate::{ClerkBuilder, Error, RequestOptions, Result, RetryConfig, SecretKey};

/// Clerk's API base URL, used unless a server URL is set.
pub const DEFAULT_SERVER_URL: &str = "https://api.clerk.com/v1";
/// The timeout of each attempt unless one is set: long, but never a hang.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The `User-Agent` every request carries.
pub const USER_AGENT_VALUE: &str = concat!("clerk-backend-api-rust/", env!("CARGO_PKG_VERSION"));
/// The header holding the server's trace id.
const TRACE_ID_HEADER: &str = "clerk-trace-id";
/// Answers longer than this are refused rather than held in memory.
const MAX_RESPONSE_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The configured client without the API handles: base URL, key, HTTP client, defaults and
/// hooks. Cheap to clone (an `Arc` inside) and shareable across tasks; the standalone
/// functions in [`crate::funcs`] take it.
///
/// ```
/// use clerk_backend_api::ClerkCore;
///
/// let core = ClerkCore::builder()
///     .bearer_auth("sk_test_123")
///     .server_url("http://127.0.0.1:3000/v1/")
///     .build()
///     .unwrap();
/// assert_eq!(core.server_url(), "http://127.0.0.1:3000/v1/");
/// assert!(!format!("{core:?}").contains("sk_test_123"));
/// ```
#[derive(Clone)]
pub struct ClerkCore {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: Url,
    key: SecretKey,
    authorization: HeaderValue,
    http: reqwest::Client,
    timeout: Option<Duration>,
    retry: RetryConfig,
    hooks: Hooks,
    api_version: HeaderValue,
}

/// What an operation sends and how its answers are read.
pub(crate) struct Operation {
    /// Such as `CreateActorToken`.
    pub(crate) id: &'static str,
    /// The type a 2XX body must parse as, for messages.
    pub(crate) expected: &'static str,
    pub(crate) method: Method,
    /// Relative to the base URL, segments already percent-encoded.
    pub(crate) path: String,
    /// JSON, when the operation has a body.
    pub(crate) body: Option<Vec<u8>>,
    /// The statuses answered with a `ClerkErrors` body.
    pub(crate) declared_error_statuses: &'static [u16],
}

impl ClerkCore {
    /// A builder whose `build()` gives a `ClerkCore`.
    pub fn builder() -> ClerkBuilder<ClerkCore> {
        ClerkBuilder::new()
    }

    /// A `ClerkCore` with the key from `CLERK_SECRET_KEY` and every default.
    pub fn from_env() -> Result<ClerkCore> {
        Self::builder().secret_key_from_env().build()
    }

    pub(crate) fn new(
        base_url: Url,
        key: SecretKey,
        http: reqwest::Client,
        timeout: Option<Duration>,
        retry: RetryConfig,
        hooks: Hooks,
        api_version: HeaderValue,
    ) -> Result<Self> {
        let authorization = key.authorization_header().ok_or_else(|| {
            Error::Config("the secret key holds characters an HTTP header cannot carry".into())
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                base_url,
                key,
                authorization,
                http,
                timeout,
                retry,
                hooks,
                api_version,
            }),
        })
    }

    /// The API base URL, always ending in `/`.
    pub fn server_url(&self) -> &str {
        self.inner.base_url.as_str()
    }

    /// The secret key, for handing on to the JWKS fetch of a verifier; never for messages.
    pub(crate) fn secret_key(&self) -> &str {
        self.inner.key.expose()
    }

    /// The timeout of each attempt, unless a call sets its own.
    pub fn timeout(&self) -> Option<Duration> {
        self.inner.timeout
    }

    /// The retry policy, unless a call sets its own.
    pub fn retry_config(&self) -> &RetryConfig {
        &self.inner.retry
    }

    /// Sends one operation and reads its answer as `T`.
    pub(crate) async fn execute<T: DeserializeOwned>(
        &self,
        op: Operation,
        options: RequestOptions,
    ) -> Result<T> {
        let first = HookContext {
            operation: op.id,
            attempt: 1,
        };
        let prepared = match self.prepare(&op, &options) {
            Ok(prepared) => prepared,
            Err(error) => return Err(self.fail(&first, error)),
        };
        let retry = options.retries.as_ref().unwrap_or(&self.inner.retry);
        let timeout = options.timeout.or(self.inner.timeout);
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let ctx = HookContext {
                operation: op.id,
                attempt,
            };
            let mut request = prepared.request(&op, timeout);
            if let Err(error) = self.inner.hooks.before_request(&ctx, &mut request) {
                return Err(self.fail(&ctx, error));
            }
            tracing::debug!(operation = op.id, method = %op.method, url = %prepared.url, attempt, "sending request");
            let outcome = self.inner.http.execute(request).await;
            let retry_wish = match &outcome {
                Ok(response) if is_retryable_status(response.status()) => {
                    Some(response_retry_after(response.headers()))
                }
                Err(_) if retry.retries_connection_errors() => Some(None),
                _ => None,
            };
            if let Some(retry_after) = retry_wish {
                let wait = retry.delay(attempt - 1, started.elapsed(), retry_after, rand::random());
                if let Some(wait) = wait {
                    match &outcome {
                        Ok(r) => tracing::debug!(
                            operation = op.id,
                            status = r.status().as_u16(),
                            attempt,
                            wait_ms = wait.as_millis() as u64,
                            "retrying after answer"
                        ),
                        Err(e) => {
                            tracing::debug!(operation = op.id, attempt, wait_ms = wait.as_millis() as u64, error = %e, "retrying after transport failure")
                        }
                    }
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            let result = match outcome {
                Ok(response) => {
                    tracing::debug!(operation = op.id, url = %prepared.url, status = response.status().as_u16(), attempt, "answer");
                    self.classify(&op, &ctx, &prepared.url, response, timeout)
                        .await
                }
                Err(e) => Err(transport_error(&op, &prepared.url, attempt, timeout, e)),
            };
            return result.map_err(|error| self.fail(&ctx, error));
        }
    }

    /// Runs the after-error hooks and logs, then hands the error back.
    fn fail(&self, ctx: &HookContext, error: Error) -> Error {
        tracing::debug!(operation = ctx.operation, attempt = ctx.attempt, error = %error, "call failed");
        self.inner.hooks.after_error(ctx, &error);
        error
    }

    /// Everything about the request that does not change between attempts.
    fn prepare(&self, op: &Operation, options: &RequestOptions) -> Result<Prepared> {
        let base = match &options.server_url {
            Some(url) => parse_server_url(url)?,
            None => self.inner.base_url.clone(),
        };
        let url = base
            .join(&op.path)
            .map_err(|e| Error::Config(format!("cannot form the request URL: {e}")))?;
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, self.inner.authorization.clone());
        headers.insert(
            HeaderName::from_static("clerk-api-version"),
            self.inner.api_version.clone(),
        );
        headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if op.body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        for (name, value) in &options.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::Config(format!("{name:?} is not a valid header name")))?;
            let mut value = HeaderValue::from_str(value).map_err(|_| {
                Error::Config(format!(
                    "the value of header {name} holds characters a header cannot carry"
                ))
            })?;
            // A per-call key must be as hidden as the client's.
            value.set_sensitive(name == AUTHORIZATION || name == PROXY_AUTHORIZATION);
            headers.insert(name, value);
        }
        Ok(Prepared { url, headers })
    }

    /// Turns an answer that will not be retried into the result.
    async fn classify<T: DeserializeOwned>(
        &self,
        op: &Operation,
        ctx: &HookContext,
        url: &Url,
        mut response: reqwest::Response,
        timeout: Option<Duration>,
    ) -> Result<T> {
        let status = response.status();
        if status.is_success() {
            self.inner.hooks.after_success(ctx, &response);
        }
        let headers = response.headers().clone();
        let body = read_body(op, url, ctx.attempt, timeout, status, &mut response).await?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| Error::ResponseValidation {
                operation: op.id,
                expected: op.expected,
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
                source: Box::new(e),
            });
        }
        Err(error_answer(op, status, headers, &body))
    }
}

impl fmt::Debug for ClerkCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkCore")
            .field("server_url", &self.inner.base_url.as_str())
            .field("secret_key", &self.inner.key)
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .field("hooks", &self.inner.hooks)
            .finish_non_exhaustive()
    }
}

struct Prepared {
    url: Url,
    headers: HeaderMap,
}

impl Prepared {
    fn request(&self, op: &Operation, timeout: Option<Duration>) -> reqwest::Request {
        let mut request = reqwest::Request::new(op.method.clone(), self.url.clone());
        *request.headers_mut() = self.headers.clone();
        *request.timeout_mut() = timeout;
        if let Some(body) = &op.body {
            *request.body_mut() = Some(body.clone().into());
        }
        request
    }
}

/// Checks a server URL and makes it end in `/`, so joining keeps its last segment.
pub(crate) fn parse_server_url(raw: &str) -> Result<Url> {
    let mut url = Url::parse(raw.trim())
        .map_err(|e| Error::Config(format!("server URL {raw:?} is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(Error::Config(format!(
            "server URL {raw:?} must be an http or https URL with a host"
        )));
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(Error::Config(format!(
            "server URL {} must not carry credentials, a query or a fragment",
            url.origin().ascii_serialization()
        )));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn response_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, std::time::SystemTime::now())
}

fn transport_error(
    op: &Operation,
    url: &Url,
    attempts: u32,
    timeout: Option<Duration>,
    source: reqwest::Error,
) -> Error {
    if source.is_timeout() {
        Error::Timeout {
            operation: op.id,
            url: url.to_string(),
            timeout,
            attempts,
            source,
        }
    } else {
        Error::Connection(Box::new(ConnectionError {
            operation: op.id,
            url: url.to_string(),
            attempts,
            source,
        }))
    }
}

/// Reads the whole body, refusing one over [`MAX_RESPONSE_BODY_BYTES`].
async fn read_body(
    op: &Operation,
    url: &Url,
    attempts: u32,
    timeout: Option<Duration>,
    status: StatusCode,
    response: &mut reqwest::Response,
) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_RESPONSE_BODY_BYTES {
                    return Err(Error::ResponseValidation {
                        operation: op.id,
                        expected: op.expected,
                        status,
                        body: String::from_utf8_lossy(&body).into_owned(),
                        source: format!("the body is over {MAX_RESPONSE_BODY_BYTES} bytes").into(),
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(transport_error(op, url, attempts, timeout, e)),
        }
    }
}

/// A non-2XX answer: `ClerkErrors` for a declared status whose body has that shape,
/// the generic API error otherwise.
fn error_answer(op: &Operation, status: StatusCode, headers: HeaderMap, body: &[u8]) -> Error {
    let parsed: Option<ClerkErrors> = serde_json::from_slice(body).ok();
    let trace_id = headers
        .get(TRACE_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parsed.as_ref().and_then(|p| p.clerk_trace_id.clone()));
    let raw_body = String::from_utf8_lossy(body).into_owned();
    match parsed {
        Some(parsed) if op.declared_error_statuses.contains(&status.as_u16()) => {
            Error::ClerkErrors(Box::new(ClerkErrorsResponse {
                operation: op.id,
                status,
                headers,
                trace_id,
                errors: parsed.errors,
                meta: parsed.meta,
                raw_body,
            }))
        }
        parsed => Error::Api(Box::new(ApiError {
            operation: op.id,
            status,
            headers,
            body: raw_body,
            errors: parsed,
            trace_id,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_end_in_a_slash_with_or_without_one_given() {
        for raw in ["http://127.0.0.1:3000/v1", "http://127.0.0.1:3000/v1/"] {
            let url = parse_server_url(raw).unwrap();
            assert_eq!(
                url.join("actor_tokens").unwrap().as_str(),
                "http://127.0.0.1:3000/v1/actor_tokens"
            );
        }
    }

    #[test]
    fn unusable_server_urls_are_config_errors() {
        for raw in [
            "",
            "127.0.0.1:3000",
            "ftp://h/v1",
            "http://h/v1?x=1",
            "http://u:p@h/v1",
            "mailto:x@y",
        ] {
            let err = parse_server_url(raw).unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{raw}: {err}");
            assert!(!err.to_string().contains(":p@"), "{err}");
        }
    }
}
