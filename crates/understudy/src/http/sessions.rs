//! `/v1/sessions`: list, get, revoke, and mint session tokens.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::http::header::ORIGIN;
use axum::response::{IntoResponse, Response};
use clerk_models::{Page, Session, SessionStatus, SessionToken};

use super::auth::Authenticated;
use super::error::ApiError;
use super::middleware::TraceId;
use super::openapi::schemas;
use super::query::Query;
use super::state::AppState;
use crate::domain::session::{SessionFilter, SessionRecord, session_claims};
use crate::domain::{ParamError, ids, pagination};
use crate::store::AuditEvent;
use crate::store::flow::{SessionRevokeOutcome, TouchOutcome};

/// The request's `Origin`, the token's `azp` (an opaque `null` origin is no party).
pub fn origin(headers: &HeaderMap) -> Option<String> {
    headers
        .get(ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| !o.is_empty() && *o != "null" && o.len() <= 2048)
        .map(str::to_owned)
}

/// Signs a session token for `session` (already touched) at `now`.
pub async fn mint_for(
    state: &AppState,
    session: &SessionRecord,
    now: i64,
    azp: Option<String>,
) -> Result<String, ApiError> {
    let signer = state.keyring.signer(now).await?;
    let claims = session_claims(session, &state.frontend_url, now, azp);
    let jwt = signer
        .mint(&claims)
        .map_err(|e| ApiError::Internal(format!("minting a session token: {e}")))?;
    state.metrics.count_event("session_tokens_minted");
    Ok(jwt)
}

/// A `session.ended` audit template for a request authorised by `key_id`.
pub fn end_audit(key_id: Option<String>, trace_id: String, now: i64) -> AuditEvent {
    AuditEvent {
        id: ids::audit_event_id(),
        occurred_at: now,
        action: "session.ended".to_owned(),
        secret_key_id: key_id,
        actor_sub: None,
        user_id: None,
        actor_token_id: None,
        session_id: None,
        trace_id: Some(trace_id),
        reason: None,
    }
}

/// List sessions, newest first. An array, or `{data, total_count}` with `paginated=true`.
#[utoipa::path(
    get, path = "/v1/sessions", tag = "Sessions", operation_id = "GetSessionList",
    params(
        ("user_id" = Option<String>, Query, description = "Only this user's sessions."),
        ("status" = Option<schemas::SessionStatus>, Query, description = "`active`, `revoked`, `ended`, `expired`, `removed`, `abandoned`, `replaced` or `pending`."),
        ("limit" = Option<u32>, Query, description = "1 to 500; 10 by default.", minimum = 1, maximum = 500),
        ("offset" = Option<u64>, Query, description = "0 or more; 0 by default.", minimum = 0),
        ("paginated" = Option<bool>, Query, description = "`true`: answer `{data, total_count}` instead of an array."),
    ),
    responses(
        (status = 200, description = "Sessions (an array, or a page with `paginated=true`).", body = schemas::SessionList),
        (status = 401, description = "Missing, malformed or invalid secret key.", body = schemas::ClerkErrors),
        (status = 422, description = "A bad filter or page value.", body = schemas::ClerkErrors),
    ),
    security(("bearerAuth" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    _auth: Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let page = pagination::parse_page(query.get("limit"), query.get("offset"))?;
    let status = query
        .get("status")
        .map(|s| {
            SessionStatus::parse(s).ok_or_else(|| {
                ParamError::invalid(
                    "status",
                    "must be one of active, revoked, ended, expired, removed, abandoned, \
                     replaced or pending.",
                )
            })
        })
        .transpose()?;
    let filter = SessionFilter {
        user_id: query.get("user_id").map(str::to_owned),
        status,
    };
    let now = state.clock.now_ms();
    let (records, total) = state.store.list_sessions(filter, now, page).await?;
    let data: Vec<Session> = records.iter().map(|s| s.to_wire(now)).collect();
    if query.get("paginated") == Some("true") {
        Ok(Json(Page::new(data, total)).into_response())
    } else {
        Ok(Json(data).into_response())
    }
}

/// Get one session.
#[utoipa::path(
    get, path = "/v1/sessions/{session_id}", tag = "Sessions", operation_id = "GetSession",
    params(("session_id" = String, Path, description = "The session's id, `sess_…`.")),
    responses(
        (status = 200, description = "The session.", body = schemas::Session),
        (status = 401, description = "Missing, malformed or invalid secret key.", body = schemas::ClerkErrors),
        (status = 404, description = "No such session.", body = schemas::ClerkErrors),
    ),
    security(("bearerAuth" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    _auth: Authenticated,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Session>, ApiError> {
    let id = session_id(id)?;
    let now = state.clock.now_ms();
    match state.store.get_session(id.clone()).await? {
        Some(s) => Ok(Json(s.to_wire(now))),
        None => Err(not_found(&id)),
    }
}

/// Revoke a session: the impersonation ends at once; no token is minted for it again.
#[utoipa::path(
    post, path = "/v1/sessions/{session_id}/revoke", tag = "Sessions", operation_id = "RevokeSession",
    params(("session_id" = String, Path, description = "The session's id, `sess_…`.")),
    responses(
        (status = 200, description = "The session, now revoked.", body = schemas::Session),
        (status = 400, description = "`session_not_active`: it had already ended.", body = schemas::ClerkErrors),
        (status = 401, description = "Missing, malformed or invalid secret key.", body = schemas::ClerkErrors),
        (status = 404, description = "No such session.", body = schemas::ClerkErrors),
    ),
    security(("bearerAuth" = []))
)]
pub async fn revoke(
    State(state): State<AppState>,
    auth: Authenticated,
    TraceId(trace_id): TraceId,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Session>, ApiError> {
    let id = session_id(id)?;
    let now = state.clock.now_ms();
    let audit = end_audit(Some(auth.key_id), trace_id, now);
    match state.store.revoke_session(id.clone(), now, audit).await? {
        SessionRevokeOutcome::Revoked(s) => Ok(Json(s.to_wire(now))),
        SessionRevokeOutcome::NotActive(s) => Err(ApiError::SessionNotActive(s.status_at(now))),
        SessionRevokeOutcome::NotFound => Err(not_found(&id)),
    }
}

/// Mint a session token (60 s, RS256) for an active session.
#[utoipa::path(
    post, path = "/v1/sessions/{session_id}/tokens", tag = "Sessions", operation_id = "CreateSessionToken",
    params(("session_id" = String, Path, description = "The session's id, `sess_…`.")),
    responses(
        (status = 200, description = "`{\"object\":\"token\",\"jwt\":…}`.", body = schemas::SessionToken),
        (status = 400, description = "`session_not_active`: revoked, ended, expired, abandoned…", body = schemas::ClerkErrors),
        (status = 401, description = "Missing, malformed or invalid secret key.", body = schemas::ClerkErrors),
        (status = 404, description = "No such session.", body = schemas::ClerkErrors),
    ),
    security(("bearerAuth" = []))
)]
pub async fn create_token(
    State(state): State<AppState>,
    _auth: Authenticated,
    TraceId(trace_id): TraceId,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<SessionToken>, ApiError> {
    let id = session_id(id)?;
    let now = state.clock.now_ms();
    // A session time ended is persisted as ended by this touch; its audit row has no key.
    let audit = end_audit(None, trace_id, now);
    match state.store.touch_session(id.clone(), now, audit).await? {
        TouchOutcome::Touched(s) => {
            let jwt = mint_for(&state, &s, now, origin(&headers)).await?;
            Ok(Json(SessionToken::new(jwt)))
        }
        TouchOutcome::NotActive(s) => Err(ApiError::SessionNotActive(s.status)),
        TouchOutcome::NotFound => Err(not_found(&id)),
    }
}

fn session_id(id: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    id.map(|Path(id)| id)
        .map_err(|_| ApiError::NotFound("No session was found with this id.".into()))
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("No session was found with id {id}"))
}
