//! A per-secret-key token bucket, in memory: `per_minute` requests in a burst, refilled
//! continuously at `per_minute` a minute. Unlike a fixed window, a burst can never straddle
//! a window boundary and double the allowance.

use std::collections::HashMap;
use std::sync::Mutex;

const MINUTE_MS: f64 = 60_000.0;

/// Counts requests per key.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: Option<u32>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests per key (`None`: unlimited).
    pub fn new(per_minute: Option<u32>) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request for `key_id` at `now_ms`. `Err(seconds)` when over the limit:
    /// the whole seconds until a request is allowed again (at least 1).
    pub fn check(&self, key_id: &str, now_ms: i64) -> Result<(), u64> {
        let Some(limit) = self.per_minute else {
            return Ok(());
        };
        if limit == 0 {
            return Err(60);
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let limit = f64::from(limit);
        let bucket = buckets.entry(key_id.to_owned()).or_insert(Bucket {
            tokens: limit,
            at_ms: now_ms,
        });
        let elapsed = (now_ms - bucket.at_ms).max(0) as f64;
        bucket.tokens = (bucket.tokens + elapsed * limit / MINUTE_MS).min(limit);
        bucket.at_ms = bucket.at_ms.max(now_ms);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait_ms = (1.0 - bucket.tokens) * MINUTE_MS / limit;
        Err(((wait_ms / 1000.0).ceil() as u64).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_the_limit_passes_then_the_bucket_refills_gradually() {
        let l = RateLimiter::new(Some(2));
        assert!(l.check("a", 59_999).is_ok());
        assert!(l.check("a", 60_000).is_ok());
        // A minute boundary does not reset anything.
        assert_eq!(l.check("a", 60_001), Err(30));
        assert!(l.check("b", 60_001).is_ok(), "other keys are unaffected");
        // One request comes back every 30 s at 2/min.
        assert_eq!(l.check("a", 75_000), Err(15));
        assert!(l.check("a", 90_001).is_ok());
        assert!(l.check("a", 90_002).is_err());
        assert!(RateLimiter::new(None).check("a", 0).is_ok());
        assert_eq!(RateLimiter::new(Some(0)).check("a", 0), Err(60));
    }

    #[test]
    fn a_clock_going_backwards_grants_nothing() {
        let l = RateLimiter::new(Some(1));
        assert!(l.check("a", 100_000).is_ok());
        assert!(l.check("a", 10_000).is_err());
    }
}
