//! The `code` strings of Clerk errors this API produces (clerk-docs `data/api_errors.json`,
//! plus those marked *ours*).

/// A required form parameter is missing; `meta.param_name` names it.
pub const FORM_PARAM_MISSING: &str = "form_param_missing";
/// A parameter has the wrong type or an out-of-range value; `meta.param_name` names it.
pub const FORM_PARAM_VALUE_INVALID: &str = "form_param_value_invalid";
/// A parameter the operation does not know; `meta.param_name` names it.
pub const FORM_PARAM_UNKNOWN: &str = "form_param_unknown";
/// The body is not valid JSON.
pub const REQUEST_BODY_INVALID: &str = "request_body_invalid";
/// The body is over the server's limit *(ours)*.
pub const REQUEST_BODY_TOO_LARGE: &str = "request_body_too_large";
/// The content type is not JSON.
pub const UNSUPPORTED_CONTENT_TYPE: &str = "unsupported_content_type";
/// The addressed resource does not exist.
pub const RESOURCE_NOT_FOUND: &str = "resource_not_found";
/// Impersonation is not enabled for this instance.
pub const UNSUPPORTED_SUBSCRIPTION_PLAN_FEATURES: &str = "unsupported_subscription_plan_features";
/// The monthly impersonation quota is used up; `meta.limit`, `meta.used`.
pub const IMPERSONATION_LIMIT_EXCEEDED: &str = "impersonation_limit_exceeded";
/// Only pending actor tokens can be revoked.
pub const ACTOR_TOKEN_CANNOT_BE_REVOKED: &str = "actor_token_cannot_be_revoked_code";
/// The ticket was already accepted.
pub const ACTOR_TOKEN_ALREADY_USED: &str = "actor_token_already_used_code";
/// The ticket's token was revoked.
pub const ACTOR_TOKEN_REVOKED: &str = "actor_token_revoked_code";
/// The ticket is expired, unknown or otherwise unusable.
pub const ACTOR_TOKEN_CANNOT_BE_USED: &str = "actor_token_cannot_be_used_code";
/// The user the ticket would sign in as no longer exists.
pub const ACTOR_TOKEN_SUBJECT_NOT_FOUND: &str = "actor_token_subject_not_found";
/// The `Authorization` header is missing or not `Bearer <key>`.
pub const AUTHORIZATION_HEADER_FORMAT_INVALID: &str = "authorization_header_format_invalid";
/// The secret key is not valid.
pub const CLERK_KEY_INVALID: &str = "clerk_key_invalid";
/// Rate limited; see the `Retry-After` header.
pub const TOO_MANY_REQUESTS: &str = "too_many_requests";
/// Both header and query named a version, or the version is unknown.
pub const API_VERSION_INVALID: &str = "api_version_invalid";
/// The server failed.
pub const INTERNAL_CLERK_ERROR: &str = "internal_clerk_error";
/// A session that is not active was asked for a token, or to be revoked again.
pub const SESSION_NOT_ACTIVE: &str = "session_not_active";
