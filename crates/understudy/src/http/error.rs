//! The one error type of the HTTP layer and its one rendering: the contract's error body.
//!
//! [`ApiError::into_response`] renders the body without a trace id and attaches it as an
//! [`ErrorBody`] extension; the envelope middleware re-renders it with the request's
//! `clerk_trace_id`. Responses that did not come from here (axum's own rejections, 405,
//! timeouts) are mapped to this shape by status in the same middleware.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use clerk_models::{ActorTokenStatus, ClerkError, ClerkErrors, SessionStatus, codes};
use serde_json::json;

use crate::domain::actor_token::{CreateBodyError, cannot_revoke_message};
use crate::domain::ticket::AcceptRefusal;
use crate::domain::user::CreateUserError;
use crate::domain::{ParamError, ParamErrorKind};
use crate::keys::KeyringError;

/// Clerk's code for a username or email address another user already has.
pub const FORM_IDENTIFIER_EXISTS: &str = "form_identifier_exists";
use crate::store::StoreError;

/// Every way a request can fail, each with its contract status and code.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ApiError {
    /// 422 `form_param_*`, one entry per parameter.
    Params(Vec<ParamError>),
    /// 400 `request_body_invalid`: not JSON, invalid UTF-8, or not an object.
    BodyInvalid(String),
    /// 413 `request_body_too_large` (ours).
    BodyTooLarge {
        /// The limit in bytes (0 when unknown).
        limit: usize,
    },
    /// 415 `unsupported_content_type`.
    UnsupportedContentType {
        /// What the client sent (or "none").
        actual: String,
    },
    /// 404 `resource_not_found`, with the long message naming what was looked for.
    NotFound(String),
    /// 405, in the contract's shape.
    MethodNotAllowed,
    /// 402 `unsupported_subscription_plan_features`.
    ImpersonationDisabled,
    /// 422 `impersonation_limit_exceeded`.
    ImpersonationLimitExceeded {
        /// The monthly quota.
        limit: u64,
        /// Tokens created this month.
        used: u64,
    },
    /// 422 `form_identifier_exists`: another user has this username or email address.
    IdentifierExists {
        /// `username` or `email_address`.
        param: &'static str,
    },
    /// 400 `actor_token_cannot_be_revoked_code`.
    CannotRevoke(ActorTokenStatus),
    /// 400 (404 for a missing subject): the ticket cannot be accepted.
    TicketRefused(AcceptRefusal),
    /// 400 `session_not_active`: the session has ended (its status).
    SessionNotActive(SessionStatus),
    /// 403 `origin_invalid`: a cross-site request to a cookie-authenticated route.
    CrossSiteRequest,
    /// 401 `authorization_header_format_invalid`.
    AuthorizationHeaderInvalid,
    /// 401 `clerk_key_invalid`.
    SecretKeyInvalid,
    /// 429 `too_many_requests` with `Retry-After`.
    TooManyRequests {
        /// Seconds until the window reopens.
        retry_after_secs: u64,
    },
    /// 400 `api_version_invalid`.
    ApiVersionInvalid(String),
    /// 408: the request took too long.
    Timeout,
    /// 500 `internal_clerk_error`. The detail is logged, never sent.
    Internal(String),
}

/// The rendered errors of a response, before the trace id is added.
#[derive(Debug, Clone)]
pub struct ErrorBody(pub ClerkErrors);

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Params(_)
            | Self::ImpersonationLimitExceeded { .. }
            | Self::IdentifierExists { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TicketRefused(AcceptRefusal::SubjectNotFound) => StatusCode::NOT_FOUND,
            Self::BodyInvalid(_)
            | Self::CannotRevoke(_)
            | Self::ApiVersionInvalid(_)
            | Self::TicketRefused(_)
            | Self::SessionNotActive(_) => StatusCode::BAD_REQUEST,
            Self::CrossSiteRequest => StatusCode::FORBIDDEN,
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedContentType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::ImpersonationDisabled => StatusCode::PAYMENT_REQUIRED,
            Self::AuthorizationHeaderInvalid | Self::SecretKeyInvalid => StatusCode::UNAUTHORIZED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The contract's error entries.
    pub fn errors(&self) -> Vec<ClerkError> {
        let one =
            |code: &str, message: &str, long: &str| vec![ClerkError::new(code, message, long)];
        match self {
            Self::Params(params) => params.iter().map(param_error).collect(),
            Self::BodyInvalid(why) => one(
                codes::REQUEST_BODY_INVALID,
                "Request body invalid",
                &format!("The request body is invalid: {why}"),
            ),
            Self::BodyTooLarge { limit } => one(
                codes::REQUEST_BODY_TOO_LARGE,
                "Request body too large",
                &match limit {
                    0 => "The request body is larger than this server accepts.".to_owned(),
                    n => format!("The request body is larger than the limit of {n} bytes."),
                },
            ),
            Self::UnsupportedContentType { actual } => one(
                codes::UNSUPPORTED_CONTENT_TYPE,
                "Content-Type is unsupported",
                &format!(
                    "Content-Type {actual} is unsupported. You should use application/json instead."
                ),
            ),
            Self::NotFound(long) => one(codes::RESOURCE_NOT_FOUND, "not found", long),
            Self::MethodNotAllowed => one(
                "method_not_allowed",
                "Method not allowed",
                "This resource does not support this HTTP method.",
            ),
            Self::ImpersonationDisabled => vec![
                ClerkError::new(
                    codes::UNSUPPORTED_SUBSCRIPTION_PLAN_FEATURES,
                    "Unsupported plan features",
                    "Some features are not supported in your current plan. \
                     Upgrade your subscription to unlock them.",
                )
                .with_meta("unsupported_features", json!(["impersonation"])),
            ],
            Self::ImpersonationLimitExceeded { limit, used } => vec![
                ClerkError::new(
                    codes::IMPERSONATION_LIMIT_EXCEEDED,
                    "Impersonation limit exceeded",
                    format!(
                        "Your application has reached the impersonation limit for your plan \
                         ({used}/{limit}). The limit will reset at the beginning of the next \
                         billing period."
                    ),
                )
                .with_meta("limit", *limit)
                .with_meta("used", *used),
            ],
            Self::IdentifierExists { param } => {
                let text = match *param {
                    "username" => "That username is taken. Please try another.",
                    _ => "That email address is taken. Please try another.",
                };
                vec![
                    ClerkError::new(FORM_IDENTIFIER_EXISTS, text, text)
                        .with_meta("param_name", *param),
                ]
            }
            Self::CannotRevoke(status) => one(
                codes::ACTOR_TOKEN_CANNOT_BE_REVOKED,
                "cannot revoke",
                &cannot_revoke_message(*status),
            ),
            Self::TicketRefused(refusal) => {
                let (code, message, long) = ticket_refusal(*refusal);
                one(code, message, long)
            }
            Self::SessionNotActive(status) => one(
                codes::SESSION_NOT_ACTIVE,
                "Session not active",
                &format!(
                    "The session is {status}; only active sessions can be revoked or mint tokens."
                ),
            ),
            Self::CrossSiteRequest => one(
                "origin_invalid",
                "Cross-site request refused",
                "This request must come from the application's own origin.",
            ),
            Self::AuthorizationHeaderInvalid => one(
                codes::AUTHORIZATION_HEADER_FORMAT_INVALID,
                "Invalid Authorization header format",
                "Invalid Authorization header format. Must be 'Bearer <YOUR_API_KEY>'",
            ),
            Self::SecretKeyInvalid => {
                let text = "The provided Clerk Secret Key is invalid. \
                            Make sure that your Clerk Secret Key is correct.";
                one(codes::CLERK_KEY_INVALID, text, text)
            }
            Self::TooManyRequests { retry_after_secs } => one(
                codes::TOO_MANY_REQUESTS,
                "Too many requests",
                &format!(
                    "Too many requests for this secret key. Retry after {retry_after_secs} seconds."
                ),
            ),
            Self::ApiVersionInvalid(why) => {
                one(codes::API_VERSION_INVALID, "Invalid API version", why)
            }
            Self::Timeout => one(
                "request_timeout",
                "Request timeout",
                "The request took too long to complete.",
            ),
            Self::Internal(_) => one(
                codes::INTERNAL_CLERK_ERROR,
                "There was an internal error on our servers",
                "There was an internal error on our servers. We've been notified and are \
                 working on fixing it.",
            ),
        }
    }

    /// The error a bare status maps to, for responses axum produced itself.
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            401 => Self::AuthorizationHeaderInvalid,
            404 => Self::NotFound("The requested resource was not found.".into()),
            405 => Self::MethodNotAllowed,
            408 => Self::Timeout,
            413 => Self::BodyTooLarge { limit: 0 },
            415 => Self::UnsupportedContentType {
                actual: "this".into(),
            },
            429 => Self::TooManyRequests {
                retry_after_secs: 1,
            },
            s if s >= 500 => Self::Internal(format!("status {s}")),
            _ => Self::BodyInvalid("the request could not be processed.".into()),
        }
    }
}

fn ticket_refusal(refusal: AcceptRefusal) -> (&'static str, &'static str, &'static str) {
    match refusal {
        AcceptRefusal::AlreadyUsed => (
            codes::ACTOR_TOKEN_ALREADY_USED,
            "Actor token already used",
            "This actor token has already been used. Ask for a new one.",
        ),
        AcceptRefusal::Revoked => (
            codes::ACTOR_TOKEN_REVOKED,
            "Actor token revoked",
            "This actor token has been revoked and can no longer be used.",
        ),
        AcceptRefusal::CannotBeUsed => (
            codes::ACTOR_TOKEN_CANNOT_BE_USED,
            "Actor token cannot be used",
            "This actor token cannot be used: it is unknown or has expired.",
        ),
        AcceptRefusal::SubjectNotFound => (
            codes::ACTOR_TOKEN_SUBJECT_NOT_FOUND,
            "Actor token subject not found",
            "The user this actor token impersonates no longer exists.",
        ),
    }
}

fn param_error(p: &ParamError) -> ClerkError {
    let (code, message) = match p.kind {
        ParamErrorKind::Missing => (codes::FORM_PARAM_MISSING, "is missing"),
        ParamErrorKind::ValueInvalid => (codes::FORM_PARAM_VALUE_INVALID, "is invalid"),
        ParamErrorKind::Unknown => (codes::FORM_PARAM_UNKNOWN, "is unknown"),
    };
    ClerkError::new(code, message, p.long_message.clone()).with_meta("param_name", p.param.clone())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let status = self.status();
        let mut body = ClerkErrors::single(ClerkError::new("", "", ""));
        body.errors = self.errors();
        let mut response = (status, Json(&body)).into_response();
        if let Self::TooManyRequests { retry_after_secs } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response.extensions_mut().insert(ErrorBody(body));
        response
    }
}

impl From<ParamError> for ApiError {
    fn from(e: ParamError) -> Self {
        Self::Params(vec![e])
    }
}

impl From<CreateBodyError> for ApiError {
    fn from(e: CreateBodyError) -> Self {
        match e {
            CreateBodyError::NotAnObject => {
                Self::BodyInvalid("the body must be a JSON object.".into())
            }
            CreateBodyError::Params(p) => Self::Params(p),
        }
    }
}

impl From<CreateUserError> for ApiError {
    fn from(e: CreateUserError) -> Self {
        match e {
            CreateUserError::NotAnObject => {
                Self::BodyInvalid("the body must be a JSON object.".into())
            }
            CreateUserError::Params(p) => Self::Params(p),
        }
    }
}

impl From<KeyringError> for ApiError {
    fn from(e: KeyringError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::IdentifierExists { param, .. } => Self::IdentifierExists { param },
            other => Self::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_refusals_map_to_their_contract_codes_and_statuses() {
        let cases = [
            (
                AcceptRefusal::AlreadyUsed,
                400,
                "actor_token_already_used_code",
            ),
            (AcceptRefusal::Revoked, 400, "actor_token_revoked_code"),
            (
                AcceptRefusal::CannotBeUsed,
                400,
                "actor_token_cannot_be_used_code",
            ),
            (
                AcceptRefusal::SubjectNotFound,
                404,
                "actor_token_subject_not_found",
            ),
        ];
        for (refusal, status, code) in cases {
            let e = ApiError::TicketRefused(refusal);
            assert_eq!(e.status().as_u16(), status);
            assert_eq!(e.errors()[0].code, code);
        }
        let e = ApiError::SessionNotActive(SessionStatus::Abandoned);
        assert_eq!(e.status().as_u16(), 400);
        assert!(e.errors()[0].long_message.contains("abandoned"));
    }

    #[test]
    fn every_error_has_a_code_message_and_long_message() {
        let all = [
            ApiError::Params(vec![ParamError::missing("user_id")]),
            ApiError::BodyInvalid("x".into()),
            ApiError::BodyTooLarge { limit: 1 },
            ApiError::UnsupportedContentType {
                actual: "text/plain".into(),
            },
            ApiError::NotFound("x".into()),
            ApiError::MethodNotAllowed,
            ApiError::ImpersonationDisabled,
            ApiError::ImpersonationLimitExceeded { limit: 2, used: 2 },
            ApiError::CannotRevoke(ActorTokenStatus::Accepted),
            ApiError::IdentifierExists { param: "username" },
            ApiError::TicketRefused(AcceptRefusal::AlreadyUsed),
            ApiError::TicketRefused(AcceptRefusal::Revoked),
            ApiError::TicketRefused(AcceptRefusal::CannotBeUsed),
            ApiError::TicketRefused(AcceptRefusal::SubjectNotFound),
            ApiError::SessionNotActive(SessionStatus::Revoked),
            ApiError::CrossSiteRequest,
            ApiError::AuthorizationHeaderInvalid,
            ApiError::SecretKeyInvalid,
            ApiError::TooManyRequests {
                retry_after_secs: 3,
            },
            ApiError::ApiVersionInvalid("x".into()),
            ApiError::Timeout,
            ApiError::Internal("secret detail".into()),
        ];
        for e in all {
            let errors = e.errors();
            assert!(!errors.is_empty());
            for err in &errors {
                assert!(
                    !err.code.is_empty() && !err.message.is_empty() && !err.long_message.is_empty(),
                    "{e:?}"
                );
                assert!(!err.long_message.contains("secret detail"));
            }
            assert!(e.status().is_client_error() || e.status().is_server_error());
        }
    }

    #[test]
    fn param_errors_carry_param_name_and_limit_errors_carry_limit_and_used() {
        let e = ApiError::Params(vec![ParamError::unknown("x")]).errors();
        assert_eq!(
            (e[0].code.as_str(), e[0].param_name()),
            ("form_param_unknown", Some("x"))
        );
        let e = ApiError::ImpersonationLimitExceeded { limit: 5, used: 5 }.errors();
        let meta = e[0].meta.as_ref().unwrap();
        assert_eq!(
            (meta["limit"].as_u64(), meta["used"].as_u64()),
            (Some(5), Some(5))
        );
    }
}
