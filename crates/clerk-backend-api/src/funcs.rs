//! Standalone functions over a [`ClerkCore`], as the official SDKs' `funcs/`: the same
//! operations as [`crate::Clerk::actor_tokens`], with options given explicitly.
//!
//! ```no_run
//! use std::time::Duration;
//! use clerk_backend_api::{ClerkCore, RequestOptions, RetryConfig, funcs::actor_tokens_revoke};
//!
//! # async fn run() -> Result<(), clerk_backend_api::Error> {
//! let core = ClerkCore::builder()
//!     .bearer_auth("sk_test_…")
//!     .server_url("http://127.0.0.1:3000/v1")
//!     .build()?;
//! let opts = RequestOptions::default()
//!     .timeout(Duration::from_secs(5))
//!     .retries(RetryConfig::backoff().max_elapsed(Duration::from_secs(30)))
//!     .header("X-Request-Reason", "support");
//! let token = actor_tokens_revoke(&core, "act_2EL6mQKzeUtoRwGuLZsznyfkIsH", opts).await?;
//! # Ok(()) }
//! ```

use clerk_models::{ActorToken, CreateActorTokenRequestBody};
use http::Method;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::core::Operation;
use crate::{ClerkCore, Error, RequestOptions, Result};

/// Everything but RFC 3986's unreserved characters is encoded, so an id can never leave
/// its path segment.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `POST /v1/actor_tokens` (operation `CreateActorToken`).
///
/// Errors: [`Error::ClerkErrors`] for 400, 402 and 422; [`Error::Api`] for any other error
/// status; transport, timeout and validation errors as [`Error`] describes.
pub async fn actor_tokens_create(
    core: &ClerkCore,
    body: CreateActorTokenRequestBody,
    options: RequestOptions,
) -> Result<ActorToken> {
    let body = serde_json::to_vec(&body).map_err(|e| Error::InvalidInput {
        param: "body",
        message: format!("cannot be encoded as JSON: {e}"),
    })?;
    let op = Operation {
        id: "CreateActorToken",
        expected: "ActorToken",
        method: Method::POST,
        path: "actor_tokens".to_owned(),
        body: Some(body),
        declared_error_statuses: &[400, 402, 422],
    };
    core.execute(op, options).await
}

/// `POST /v1/actor_tokens/{actor_token_id}/revoke` (operation `RevokeActorToken`).
///
/// The id is percent-encoded into its path segment; an empty id, `.` or `..` is
/// [`Error::InvalidInput`] before any I/O.
///
/// Errors: [`Error::ClerkErrors`] for 400 and 404; [`Error::Api`] for any other error status.
pub async fn actor_tokens_revoke(
    core: &ClerkCore,
    actor_token_id: &str,
    options: RequestOptions,
) -> Result<ActorToken> {
    let op = Operation {
        id: "RevokeActorToken",
        expected: "ActorToken",
        method: Method::POST,
        path: format!(
            "actor_tokens/{}/revoke",
            path_segment("actor_token_id", actor_token_id)?
        ),
        body: None,
        declared_error_statuses: &[400, 404],
    };
    core.execute(op, options).await
}

/// Encodes one path parameter. `.` and `..` are refused: URL parsers resolve them (even
/// encoded) as dot segments.
fn path_segment(param: &'static str, value: &str) -> Result<String> {
    if value.is_empty() || value == "." || value == ".." {
        return Err(Error::InvalidInput {
            param,
            message: format!("{value:?} cannot name a resource"),
        });
    }
    Ok(utf8_percent_encode(value, PATH_SEGMENT).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_cannot_escape_their_segment() {
        assert_eq!(path_segment("id", "act_a/b?c").unwrap(), "act_a%2Fb%3Fc");
        assert_eq!(path_segment("id", "a#b%c d").unwrap(), "a%23b%25c%20d");
        assert_eq!(
            path_segment("id", "act_2EL6-mQ.K~z").unwrap(),
            "act_2EL6-mQ.K~z"
        );
        assert_eq!(path_segment("id", "é").unwrap(), "%C3%A9");
        for bad in ["", ".", ".."] {
            assert!(matches!(
                path_segment("id", bad),
                Err(Error::InvalidInput { param: "id", .. })
            ));
        }
    }
}
