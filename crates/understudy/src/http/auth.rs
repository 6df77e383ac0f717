//! Bearer-key authentication (and the per-key rate limit) as an extractor.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use super::state::AppState;
use crate::domain::ids;

/// Proof that the request carried a valid, unrevoked secret key, within its rate limit.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The key's id (`ak_…`); the key itself is never kept.
    pub key_id: String,
}

/// The key of `Authorization: Bearer <key>`; the scheme is matched case-insensitively.
fn bearer_key(value: &str) -> Option<&str> {
    let (scheme, key) = value.split_once(' ')?;
    let key = key.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !key.is_empty() && !key.contains(char::is_whitespace))
        .then_some(key)
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let mut values = parts.headers.get_all(AUTHORIZATION).iter();
        // Two `Authorization` fields are malformed (RFC 9110 §5.3: not a list): taking either
        // would let header order, e.g. one injected by a proxy, pick the identity.
        let only = match (values.next(), values.next()) {
            (Some(value), None) => Some(value),
            _ => None,
        };
        let key = only
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_key)
            .ok_or(ApiError::AuthorizationHeaderInvalid)?;
        let hash = ids::secret_hash(key);
        let record = state
            .store
            .find_secret_key(hash)
            .await?
            .filter(|r| r.revoked_at.is_none() && ids::hashes_equal(&r.key_hash, &hash))
            .ok_or(ApiError::SecretKeyInvalid)?;
        state
            .rate_limiter
            .check(&record.id, state.clock.now_ms())
            .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })?;
        Ok(Self { key_id: record.id })
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_key;

    #[test]
    fn only_bearer_with_one_non_empty_key_passes() {
        assert_eq!(bearer_key("Bearer sk_test_1"), Some("sk_test_1"));
        assert_eq!(bearer_key("bearer sk_test_1"), Some("sk_test_1"));
        for bad in [
            "sk_test_1",
            "Bearer",
            "Bearer ",
            "Bearer   ",
            "Basic abc",
            "Bearer a b",
            "Token x",
        ] {
            assert_eq!(bearer_key(bad), None, "{bad:?}");
        }
    }
}
