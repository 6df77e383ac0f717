//! A per-secret-key fixed-window rate limit, in memory.

use std::collections::HashMap;
use std::sync::Mutex;

const WINDOW_MS: i64 = 60_000;

/// Counts requests per key per minute.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: Option<u32>,
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests per key (`None`: unlimited).
    pub fn new(per_minute: Option<u32>) -> Self {
        Self {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request for `key_id` at `now_ms`. `Err(seconds)` when over the limit:
    /// the seconds until the window reopens (at least 1).
    pub fn check(&self, key_id: &str, now_ms: i64) -> Result<(), u64> {
        let Some(limit) = self.per_minute else {
            return Ok(());
        };
        let Ok(mut windows) = self.windows.lock() else {
            return Ok(());
        };
        let window_start = now_ms - now_ms.rem_euclid(WINDOW_MS);
        let entry = windows
            .entry(key_id.to_owned())
            .or_insert((window_start, 0));
        if entry.0 != window_start {
            *entry = (window_start, 0);
        }
        if entry.1 >= limit {
            let remaining_ms = window_start + WINDOW_MS - now_ms;
            return Err(((remaining_ms + 999) / 1000).max(1) as u64);
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_applies_per_key_and_resets_with_the_window() {
        let l = RateLimiter::new(Some(2));
        assert!(l.check("a", 60_000).is_ok());
        assert!(l.check("a", 60_001).is_ok());
        assert_eq!(l.check("a", 60_500), Err(60));
        assert_eq!(l.check("a", 119_001), Err(1));
        assert!(l.check("b", 60_500).is_ok(), "other keys are unaffected");
        assert!(l.check("a", 120_000).is_ok(), "a new window");
        assert!(RateLimiter::new(None).check("a", 0).is_ok());
        let zero = RateLimiter::new(Some(0));
        assert!(zero.check("a", 0).is_err());
    }
}
