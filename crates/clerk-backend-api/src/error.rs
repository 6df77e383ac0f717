//! The one error type of the crate.

use std::fmt;
use std::time::{Duration, SystemTime};

use clerk_models::{ClerkError, ClerkErrors};
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

/// What a call can fail with. Every variant's `Display` is one line a person can act on, and
/// none of them ever holds the secret key.
///
/// ```
/// use clerk_backend_api::{Clerk, Error};
///
/// // A client without a key is refused before any I/O.
/// let err = Clerk::builder().build().unwrap_err();
/// assert!(matches!(err, Error::Config(_)));
/// assert!(err.to_string().contains("secret key"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Clerk answered one of the statuses the operation declares (create: 400, 402, 422;
    /// revoke: 400, 404) with its error body.
    #[error("{0}")]
    ClerkErrors(Box<ClerkErrorsResponse>),
    /// Any other 4XX/5XX (or other unexpected) answer.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// No complete answer within the timeout (per attempt).
    #[error(
        "{operation} timed out after {} ms waiting for {url} (attempts: {attempts}); raise the timeout or check the server",
        .timeout.map_or(0, |t| t.as_millis())
    )]
    Timeout {
        /// The operation, such as `CreateActorToken`.
        operation: &'static str,
        /// The URL that did not answer in time.
        url: String,
        /// The timeout in force, when one was set.
        timeout: Option<Duration>,
        /// How many attempts were made.
        attempts: u32,
        /// What the HTTP client reported.
        #[source]
        source: reqwest::Error,
    },
    /// The server could not be reached, or the connection broke.
    #[error("{0}")]
    Connection(Box<ConnectionError>),
    /// A 2XX answer whose body is not what the operation returns.
    #[error(
        "{operation}: the {status} response is not a valid {expected}: {source}; body starts: {}",
        snippet(.body)
    )]
    ResponseValidation {
        /// The operation, such as `CreateActorToken`.
        operation: &'static str,
        /// What was expected, such as `ActorToken`.
        expected: &'static str,
        /// The status of the answer.
        status: StatusCode,
        /// The body as received (lossy UTF-8).
        body: String,
        /// Why it did not parse.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The client or a call is set up wrongly (missing key, bad URL, bad header); nothing was sent.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// An argument cannot be sent as given (an empty id, say); nothing was sent.
    #[error("invalid {param}: {message}")]
    InvalidInput {
        /// The argument at fault.
        param: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A `before_request` hook aborted the call; nothing was sent.
    #[error("{operation} aborted by a before-request hook: {reason}")]
    Hook {
        /// The operation, such as `CreateActorToken`.
        operation: &'static str,
        /// What the hook said.
        reason: String,
    },
    /// A session token failed verification (see [`crate::verify`]).
    #[error(transparent)]
    Verify(#[from] crate::verify::VerifyError),
}

/// A crate-wide `Result`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The HTTP status, for the variants that got an answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::ClerkErrors(e) => Some(e.status),
            Error::Api(e) => Some(e.status),
            Error::ResponseValidation { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The Clerk errors of the answer, for [`Error::ClerkErrors`] and for an [`Error::Api`]
    /// whose body held them; empty otherwise.
    pub fn clerk_errors(&self) -> &[ClerkError] {
        match self {
            Error::ClerkErrors(e) => &e.errors,
            Error::Api(e) => e.errors.as_ref().map_or(&[], |b| &b.errors),
            _ => &[],
        }
    }

    /// Whether any Clerk error of the answer has this `code`.
    pub fn has_code(&self, code: &str) -> bool {
        self.clerk_errors().iter().any(|e| e.code == code)
    }
}

/// The error answer for a status the operation declares, as the official SDKs' `ClerkErrors`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClerkErrorsResponse {
    /// The operation, such as `RevokeActorToken`.
    pub operation: &'static str,
    /// The status (one of the operation's declared ones).
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The `Clerk-Trace-Id` header, or else the body's `clerk_trace_id`.
    pub trace_id: Option<String>,
    /// The errors, at least one.
    pub errors: Vec<ClerkError>,
    /// The body's response-wide `meta`.
    pub meta: Map<String, Value>,
    /// The body as received.
    pub raw_body: String,
}

impl ClerkErrorsResponse {
    /// Whether any error has this `code` (see [`crate::models::codes`]).
    pub fn has_code(&self, code: &str) -> bool {
        self.errors.iter().any(|e| e.code == code)
    }

    /// The codes, in order.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.errors.iter().map(|e| e.code.as_str())
    }
}

impl fmt::Display for ClerkErrorsResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed with {}: ", self.operation, self.status)?;
        write_errors(f, &self.errors)?;
        write_trace(f, self.trace_id.as_deref())
    }
}

/// Any other error answer: the official SDKs' `APIError` / `SDKError`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation, such as `CreateActorToken`.
    pub operation: &'static str,
    /// The status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as received (lossy UTF-8).
    pub body: String,
    /// The Clerk errors, when the body holds them.
    pub errors: Option<ClerkErrors>,
    /// The `Clerk-Trace-Id` header, or else the body's `clerk_trace_id`.
    pub trace_id: Option<String>,
}

impl ApiError {
    /// Whether the body held a Clerk error with this `code`.
    pub fn has_code(&self, code: &str) -> bool {
        self.errors.as_ref().is_some_and(|e| e.has_code(code))
    }

    /// The wait the server asked for in `Retry-After` (seconds or HTTP date), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        let value = self.headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
        crate::retry::parse_retry_after(value, SystemTime::now())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed with {}", self.operation, self.status)?;
        match &self.errors {
            Some(errors) if !errors.errors.is_empty() => {
                f.write_str(": ")?;
                write_errors(f, &errors.errors)?;
            }
            _ if self.body.trim().is_empty() => f.write_str(" (empty body)")?,
            _ => write!(f, "; body starts: {}", snippet(&self.body))?,
        }
        match self.status {
            StatusCode::UNAUTHORIZED => f.write_str(" — check the secret key")?,
            StatusCode::TOO_MANY_REQUESTS => match self.retry_after() {
                Some(wait) => write!(f, " — retry after {} s", wait.as_secs())?,
                None => f.write_str(" — slow down and retry later")?,
            },
            _ => {}
        }
        write_trace(f, self.trace_id.as_deref())
    }
}

/// The server could not be reached, or the connection broke mid-answer.
#[derive(Debug, thiserror::Error)]
#[error("{operation} could not reach {url} (attempts: {attempts}): {}", chain(.source))]
#[non_exhaustive]
pub struct ConnectionError {
    /// The operation, such as `CreateActorToken`.
    pub operation: &'static str,
    /// The URL it tried.
    pub url: String,
    /// How many attempts were made.
    pub attempts: u32,
    /// What the HTTP client reported.
    #[source]
    pub source: reqwest::Error,
}

fn write_errors(f: &mut fmt::Formatter<'_>, errors: &[ClerkError]) -> fmt::Result {
    if errors.is_empty() {
        return f.write_str("(no error details)");
    }
    for (i, e) in errors.iter().enumerate() {
        if i > 0 {
            f.write_str("; ")?;
        }
        write!(f, "{e}")?;
    }
    Ok(())
}

fn write_trace(f: &mut fmt::Formatter<'_>, trace_id: Option<&str>) -> fmt::Result {
    match trace_id {
        Some(id) => write!(f, " [trace {id}]"),
        None => Ok(()),
    }
}

/// The causes of an error, joined, so one line says why. reqwest's top message only repeats
/// the URL the caller already names, so the chain starts below it when there is a cause.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let top = error.source().unwrap_or(error);
    let mut text = top.to_string();
    let mut cause = top.source();
    while let Some(c) = cause {
        let next = c.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    text
}

/// The start of a body, on one line, for messages.
fn snippet(body: &str) -> String {
    const MAX: usize = 120;
    let one_line: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX + 1)
        .collect();
    if one_line.chars().count() > MAX {
        let cut: String = one_line.chars().take(MAX).collect();
        format!("{cut}…")
    } else if one_line.is_empty() {
        "(empty)".to_owned()
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_is_one_bounded_line() {
        assert_eq!(snippet("a\nb"), "a b");
        assert_eq!(snippet(""), "(empty)");
        let long = "x".repeat(500);
        assert_eq!(snippet(&long).chars().count(), 121);
    }

    #[test]
    fn api_error_display_names_status_codes_and_a_hint() {
        let errors: ClerkErrors = serde_json::from_str(
            r#"{"errors":[{"message":"m","long_message":"The secret key is invalid.","code":"clerk_key_invalid"}]}"#,
        )
        .unwrap();
        let e = ApiError {
            operation: "CreateActorToken",
            status: StatusCode::UNAUTHORIZED,
            headers: HeaderMap::new(),
            body: String::new(),
            errors: Some(errors),
            trace_id: Some("t-1".into()),
        };
        assert_eq!(
            e.to_string(),
            "CreateActorToken failed with 401 Unauthorized: clerk_key_invalid: The secret key is invalid. — check the secret key [trace t-1]"
        );
    }
}
