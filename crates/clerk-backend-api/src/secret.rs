//! The secret key, held so that it cannot leak through `Debug`, `Display` or logs.

use std::fmt;

use http::HeaderValue;

/// A Clerk secret key (`sk_test_…` / `sk_live_…`).
///
/// It has no `Display`, and its `Debug` shows only the key's kind, so a client, an error or a
/// log line that formats it never reveals it.
///
/// ```
/// use clerk_backend_api::SecretKey;
///
/// let key = SecretKey::new("sk_test_abcdef123456");
/// assert_eq!(format!("{key:?}"), "SecretKey(sk_test_…[redacted])");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    /// Wraps a key; a leading `Bearer ` is accepted and removed.
    pub fn new(key: impl Into<String>) -> Self {
        let key = key.into();
        let trimmed = key.trim();
        let bare = if trimmed.eq_ignore_ascii_case("bearer") {
            ""
        } else {
            strip_bearer(trimmed).unwrap_or(trimmed)
        };
        Self(bare.to_owned())
    }

    /// Whether the key holds nothing (an unset variable read as `""`).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `sk_test_` or `sk_live_` when the key starts so, for messages that must not show it.
    pub fn kind(&self) -> &'static str {
        if self.0.starts_with("sk_test_") {
            "sk_test_"
        } else if self.0.starts_with("sk_live_") {
            "sk_live_"
        } else {
            ""
        }
    }

    /// The key itself, for the one place that must hand it on (the JWKS fetch of
    /// [`crate::Clerk::token_verifier`]); never for messages.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// The `Authorization` header value, marked sensitive so `http` never prints it.
    /// `None` when the key holds bytes a header cannot carry.
    pub(crate) fn authorization_header(&self) -> Option<HeaderValue> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.0)).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

/// `Bearer ` is added only when missing, whatever its case.
fn strip_bearer(key: &str) -> Option<&str> {
    let (scheme, rest) = key.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim_start())
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({}…[redacted])", self.kind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_prefix_is_added_only_when_missing() {
        for given in [
            "sk_test_abc",
            "Bearer sk_test_abc",
            "bearer  sk_test_abc",
            " sk_test_abc\n",
        ] {
            let header = SecretKey::new(given).authorization_header().unwrap();
            assert_eq!(header.to_str().unwrap(), "Bearer sk_test_abc", "{given:?}");
            assert!(header.is_sensitive());
        }
    }

    #[test]
    fn debug_never_shows_the_key() {
        for key in [
            "sk_live_supersecret",
            "weird-secret",
            "Bearer sk_test_secret",
        ] {
            let shown = format!("{:?}", SecretKey::new(key));
            assert!(!shown.contains("secret"), "{shown}");
        }
        assert!(SecretKey::new("Bearer ").is_empty());
    }

    #[test]
    fn a_key_a_header_cannot_carry_is_refused() {
        assert!(
            SecretKey::new("sk_test_a\u{7}b")
                .authorization_header()
                .is_none()
        );
    }
}
