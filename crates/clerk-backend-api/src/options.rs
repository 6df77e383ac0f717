//! Per-call options: they override the client's defaults for one call only.

use std::time::Duration;

use crate::RetryConfig;

/// Options for one call: timeout, retries, extra headers, server URL. Unset fields keep the
/// client's values.
///
/// ```
/// use std::time::Duration;
/// use clerk_backend_api::{RequestOptions, RetryConfig};
///
/// let opts = RequestOptions::default()
///     .timeout(Duration::from_secs(5))
///     .retries(RetryConfig::none())
///     .header("X-Request-Reason", "support")
///     .server_url("http://127.0.0.1:3000/v1");
/// assert_eq!(opts.headers().len(), 1);
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RequestOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) retries: Option<RetryConfig>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) server_url: Option<String>,
}

impl RequestOptions {
    /// The default: everything from the client.
    pub fn new() -> Self {
        Self::default()
    }

    /// The timeout of each attempt (connect, send and read the whole answer).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The retry policy of this call.
    pub fn retries(mut self, retries: RetryConfig) -> Self {
        self.retries = Some(retries);
        self
    }

    /// An extra header; it replaces a header of the same name the client would send.
    /// A name or value a header cannot carry fails the call with [`crate::Error::Config`].
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The API base URL of this call, such as `http://127.0.0.1:3000/v1`.
    pub fn server_url(mut self, url: impl Into<String>) -> Self {
        self.server_url = Some(url.into());
        self
    }

    /// The extra headers, in the order given.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }
}
