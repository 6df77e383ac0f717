//! Per-call options: they override the client's defaults for one call only.

use std::fmt;
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
#[derive(Clone, Default)]
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

/// Header values may hold credentials (a per-call `Authorization`, say): only names are shown.
impl fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("RequestOptions")
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("headers", &names)
            .field("server_url", &self.server_url)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_header_names_but_not_values() {
        let opts = RequestOptions::new().header("Authorization", "Bearer sk_live_other_secret");
        let shown = format!("{opts:?}");
        assert!(
            shown.contains("Authorization") && !shown.contains("sk_live_other_secret"),
            "{shown}"
        );
    }
}
