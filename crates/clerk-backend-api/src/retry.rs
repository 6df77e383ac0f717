//! When and how long to wait before trying a request again.
//!
//! The policy is the official SDKs': exponential backoff from 500 ms by a factor of 1.5, each
//! wait capped at 60 s, no new attempt once an hour has passed, with jitter. 5XX answers, 429
//! answers and connection failures (refused, reset, timed out) are retried; a `Retry-After`
//! header, in seconds or as an HTTP date, replaces the computed wait, capped at the max interval.

use std::time::{Duration, SystemTime};

/// How a request is retried. [`RetryConfig::default`] is [`RetryConfig::backoff`].
///
/// ```
/// use std::time::Duration;
/// use clerk_backend_api::RetryConfig;
///
/// let quick = RetryConfig::backoff()
///     .initial_interval(Duration::from_millis(10))
///     .max_elapsed(Duration::from_secs(2));
/// assert!(quick.is_enabled());
/// assert!(!RetryConfig::none().is_enabled());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryConfig {
    backoff: Option<Backoff>,
}

/// The numbers of a backoff policy.
#[derive(Debug, Clone, PartialEq)]
struct Backoff {
    initial_interval: Duration,
    exponent: f64,
    max_interval: Duration,
    max_elapsed: Duration,
    jitter: bool,
    retry_connection_errors: bool,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self::backoff()
    }
}

impl RetryConfig {
    /// The official SDKs' backoff: initial 500 ms, exponent 1.5, max interval 60 s, max elapsed
    /// 1 h, jitter on, connection errors retried. Adjust with the setters.
    pub fn backoff() -> Self {
        Self {
            backoff: Some(Backoff {
                initial_interval: Duration::from_millis(500),
                exponent: 1.5,
                max_interval: Duration::from_secs(60),
                max_elapsed: Duration::from_secs(3600),
                jitter: true,
                retry_connection_errors: true,
            }),
        }
    }

    /// Never retry: each call makes exactly one attempt.
    pub fn none() -> Self {
        Self { backoff: None }
    }

    /// Whether any retry can happen.
    pub fn is_enabled(&self) -> bool {
        self.backoff.is_some()
    }

    fn set(mut self, change: impl FnOnce(&mut Backoff)) -> Self {
        if let Some(backoff) = self.backoff.as_mut() {
            change(backoff);
        }
        self
    }

    /// The wait before the first retry. No effect on [`RetryConfig::none`].
    pub fn initial_interval(self, interval: Duration) -> Self {
        self.set(|b| b.initial_interval = interval)
    }

    /// The factor each wait grows by (values below 1 are treated as 1).
    pub fn exponent(self, exponent: f64) -> Self {
        self.set(|b| {
            b.exponent = if exponent.is_finite() {
                exponent.max(1.0)
            } else {
                1.0
            }
        })
    }

    /// The longest single wait, also the cap on a server's `Retry-After`.
    pub fn max_interval(self, interval: Duration) -> Self {
        self.set(|b| b.max_interval = interval)
    }

    /// No retry starts once this much time has passed since the first attempt.
    pub fn max_elapsed(self, elapsed: Duration) -> Self {
        self.set(|b| b.max_elapsed = elapsed)
    }

    /// Whether waits are spread randomly (between 75 % and 125 % of the computed wait) so
    /// that many clients do not retry in step.
    pub fn jitter(self, jitter: bool) -> Self {
        self.set(|b| b.jitter = jitter)
    }

    /// Whether connection failures and timeouts are retried (5XX and 429 always are).
    pub fn retry_connection_errors(self, retry: bool) -> Self {
        self.set(|b| b.retry_connection_errors = retry)
    }

    /// Whether a transport failure may be retried under this policy.
    pub(crate) fn retries_connection_errors(&self) -> bool {
        self.backoff
            .as_ref()
            .is_some_and(|b| b.retry_connection_errors)
    }

    /// The wait before retry number `retries_done + 1`, or `None` when no retry should happen.
    ///
    /// Pure, so it is tested without sleeping: `elapsed` is the time since the first attempt,
    /// `retry_after` the server's wish, `jitter_unit` a number in `[0, 1)`.
    pub(crate) fn delay(
        &self,
        retries_done: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
        jitter_unit: f64,
    ) -> Option<Duration> {
        let b = self.backoff.as_ref()?;
        let delay = match retry_after {
            Some(wish) => wish.min(b.max_interval),
            None => {
                let growth = b.exponent.powi(retries_done.min(1000) as i32);
                let computed = b.initial_interval.as_secs_f64() * growth;
                let jittered = if b.jitter {
                    computed * (0.75 + 0.5 * jitter_unit.clamp(0.0, 1.0))
                } else {
                    computed
                };
                let capped = jittered.min(b.max_interval.as_secs_f64());
                Duration::try_from_secs_f64(capped).unwrap_or(b.max_interval)
            }
        };
        (elapsed.saturating_add(delay) <= b.max_elapsed).then_some(delay)
    }
}

/// Whether an answer with this status is worth another attempt.
pub(crate) fn is_retryable_status(status: http::StatusCode) -> bool {
    status.is_server_error() || status == http::StatusCode::TOO_MANY_REQUESTS
}

/// Reads a `Retry-After` value: whole seconds, or an HTTP date (a date already past is zero).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain() -> RetryConfig {
        RetryConfig::backoff().jitter(false)
    }

    #[test]
    fn waits_grow_by_the_exponent_from_500ms_and_stop_at_the_max_interval() {
        let c = plain();
        let waits: Vec<_> = (0..3)
            .map(|n| c.delay(n, Duration::ZERO, None, 0.0).unwrap())
            .collect();
        assert_eq!(
            waits,
            [
                Duration::from_millis(500),
                Duration::from_millis(750),
                Duration::from_millis(1125)
            ]
        );
        assert_eq!(
            c.delay(40, Duration::ZERO, None, 0.0),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            c.delay(u32::MAX, Duration::ZERO, None, 0.0),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn no_retry_once_the_wait_would_pass_max_elapsed() {
        let c = plain();
        let hour = Duration::from_secs(3600);
        assert_eq!(
            c.delay(0, hour - Duration::from_millis(500), None, 0.0),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            c.delay(0, hour - Duration::from_millis(499), None, 0.0),
            None
        );
        assert_eq!(
            RetryConfig::none().delay(0, Duration::ZERO, None, 0.0),
            None
        );
    }

    #[test]
    fn retry_after_replaces_the_computed_wait_and_is_capped() {
        let c = plain();
        let wish = Some(Duration::from_secs(7));
        assert_eq!(
            c.delay(5, Duration::ZERO, wish, 0.9),
            Some(Duration::from_secs(7))
        );
        let capped = c.clone().max_interval(Duration::from_secs(2));
        assert_eq!(
            capped.delay(0, Duration::ZERO, Some(Duration::from_secs(3600)), 0.0),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn jitter_stays_within_a_quarter_of_the_wait() {
        let c = RetryConfig::backoff();
        let low = c.delay(0, Duration::ZERO, None, 0.0).unwrap();
        let high = c.delay(0, Duration::ZERO, None, 0.999_999).unwrap();
        assert_eq!(low, Duration::from_millis(375));
        assert!(
            high > Duration::from_millis(624) && high <= Duration::from_millis(625),
            "{high:?}"
        );
    }

    #[test]
    fn setters_do_not_turn_none_into_a_policy() {
        let c = RetryConfig::none().initial_interval(Duration::from_millis(1));
        assert!(!c.is_enabled());
        assert!(!c.retries_connection_errors());
        assert!(
            !plain()
                .retry_connection_errors(false)
                .retries_connection_errors()
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            parse_retry_after(" 12 ", now),
            Some(Duration::from_secs(12))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn retryable_statuses_are_5xx_and_429() {
        use http::StatusCode;
        assert!(is_retryable_status(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(is_retryable_status(StatusCode::SERVICE_UNAVAILABLE));
        assert!(is_retryable_status(StatusCode::TOO_MANY_REQUESTS));
        assert!(!is_retryable_status(StatusCode::NOT_FOUND));
        assert!(!is_retryable_status(StatusCode::OK));
    }
}
