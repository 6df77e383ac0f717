//! The `__client` cookie: a browser's identity. The value is 256 random bits; the server
//! keeps only its SHA-256.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

use crate::domain::ids;

/// The cookie's name.
pub const CLIENT_COOKIE: &str = "__client";

/// Characters of a cookie value (base62, 256 bits).
const VALUE_CHARS: usize = 43;

/// The `__client` value the request carries, if any (the first one, when repeated).
pub fn presented(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == CLIENT_COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 256)
}

/// A fresh cookie value.
pub fn new_value() -> String {
    ids::random_base62(VALUE_CHARS)
}

/// The `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when the frontend is https.
pub fn set_cookie(value: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{CLIENT_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn finds_the_client_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, HeaderValue::from_static("a=1; __client=abc ; b=2"));
        assert_eq!(presented(&h).as_deref(), Some("abc"));
        h.insert(COOKIE, HeaderValue::from_static("__client=; x=1"));
        assert_eq!(presented(&h), None);
        assert_eq!(presented(&HeaderMap::new()), None);
    }

    #[test]
    fn the_cookie_is_http_only_lax_and_secure_only_for_https() {
        let c = set_cookie("v", false);
        assert_eq!(c, "__client=v; Path=/; HttpOnly; SameSite=Lax");
        assert!(set_cookie("v", true).ends_with("; Secure"));
        assert_eq!(new_value().len(), 43);
    }
}
