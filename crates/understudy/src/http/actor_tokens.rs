//! `/v1/actor_tokens`: create and revoke (Clerk's), get and list (ours).

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use clerk_models::{ActorToken, ActorTokenStatus, Page};

use super::auth::Authenticated;
use super::body::JsonBody;
use super::error::ApiError;
use super::middleware::TraceId;
use super::openapi::schemas;
use super::query::Query;
use super::state::AppState;
use crate::domain::actor_token::{
    ActorTokenFilter, ActorTokenRecord, DurationLimits, ticket_url, validate_create,
};
use crate::domain::{ParamError, ids, month, pagination};
use crate::store::{AuditEvent, CreateTokenOutcome, Quota, RevokeOutcome};

/// Create an actor token. Answers 200 (as Clerk does) with `token` and `url` shown once.
#[utoipa::path(
    post, path = "/v1/actor_tokens", tag = "Actor Tokens", operation_id = "CreateActorToken",
    request_body = schemas::CreateActorTokenBody,
    responses(
        (status = 200, description = "The new, pending actor token, with `token` and `url`.", body = schemas::ActorToken),
        (status = 400, description = "Body is not JSON.", body = schemas::ClerkErrors),
        (status = 401, description = "Missing, malformed or invalid secret key.", body = schemas::ClerkErrors),
        (status = 402, description = "Impersonation is not enabled.", body = schemas::ClerkErrors),
        (status = 404, description = "The user does not exist.", body = schemas::ClerkErrors),
        (status = 413, description = "Body too large (ours).", body = schemas::ClerkErrors),
        (status = 415, description = "Not JSON.", body = schemas::ClerkErrors),
        (status = 422, description = "Invalid parameters, or the monthly limit is used up.", body = schemas::ClerkErrors),
        (status = 429, description = "Rate limited; see Retry-After.", body = schemas::ClerkErrors),
    ),
    security(("bearerAuth" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    auth: Authenticated,
    TraceId(trace_id): TraceId,
    JsonBody(body): JsonBody,
) -> Result<Json<ActorToken>, ApiError> {
    if !state.settings.impersonation_enabled {
        return Err(ApiError::ImpersonationDisabled);
    }
    let limits = DurationLimits {
        max_expires_in_seconds: state.settings.max_expires_in_seconds,
        max_session_duration_in_seconds: state.settings.max_session_duration_in_seconds,
    };
    let request = validate_create(&body, limits)?;
    let now = state.clock.now_ms();
    let ticket = ids::new_ticket();
    let record = ActorTokenRecord::new_pending(ids::actor_token_id(), &request, now);
    let quota = state
        .settings
        .monthly_impersonation_limit
        .map(|limit| Quota {
            limit,
            since_ms: month::month_start_ms(now),
        });
    let audit = audit_event("actor_token.created", &record, &auth, trace_id, now);
    let user_id = record.user_id.clone();
    match state
        .store
        .create_actor_token(record, ids::secret_hash(&ticket), quota, audit)
        .await?
    {
        CreateTokenOutcome::Created(record) => {
            let mut token = record.to_wire();
            token.url = Some(ticket_url(&state.frontend_url, &ticket));
            token.token = Some(ticket);
            Ok(Json(token))
        }
        CreateTokenOutcome::UserNotFound => Err(ApiError::NotFound(format!(
            "No user was found with id {user_id}"
        ))),
        CreateTokenOutcome::LimitExceeded { limit, used } => {
            Err(ApiError::ImpersonationLimitExceeded { limit, used })
        }
    }
}

/// Revoke a pending actor token.
#[utoipa::path(
    post, path = "/v1/actor_tokens/{actor_token_id}/revoke", tag = "Actor Tokens",
    operation_id = "RevokeActorToken",
    params(("actor_token_id" = String, Path, description = "The actor token's id, `act_…`.")),
    responses(
        (status = 200, description = "The token, now revoked.", body = schemas::ActorToken),
        (status = 400, description = "The token is not pending.", body = schemas::ClerkErrors),
        (status = 401, description = "Missing, malformed or invalid secret key.", body = schemas::ClerkErrors),
        (status = 404, description = "No such token.", body = schemas::ClerkErrors),
        (status = 429, description = "Rate limited; see Retry-After.", body = schemas::ClerkErrors),
    ),
    security(("bearerAuth" = []))
)]
pub async fn revoke(
    State(state): State<AppState>,
    auth: Authenticated,
    TraceId(trace_id): TraceId,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ActorToken>, ApiError> {
    let id = token_id(id)?;
    let now = state.clock.now_ms();
    // The backend completes user, actor and reason from the token in the same transaction.
    let audit = AuditEvent {
        id: ids::audit_event_id(),
        occurred_at: now,
        action: "actor_token.revoked".to_owned(),
        secret_key_id: Some(auth.key_id.clone()),
        actor_sub: None,
        user_id: None,
        actor_token_id: Some(id.clone()),
        session_id: None,
        trace_id: Some(trace_id),
        reason: None,
    };
    match state
        .store
        .revoke_actor_token(id.clone(), now, audit)
        .await?
    {
        RevokeOutcome::Revoked(record) => Ok(Json(record.to_wire())),
        RevokeOutcome::NotPending(record) => Err(ApiError::CannotRevoke(record.status)),
        RevokeOutcome::NotFound => Err(not_found(&id)),
    }
}

/// Get one actor token (ours). `token` and `url` are never shown again.
#[utoipa::path(
    get, path = "/v1/actor_tokens/{actor_token_id}", tag = "Actor Tokens (ours)",
    operation_id = "GetActorToken",
    params(("actor_token_id" = String, Path, description = "The actor token's id, `act_…`.")),
    responses(
        (status = 200, description = "The token.", body = schemas::ActorToken),
        (status = 401, description = "Missing, malformed or invalid secret key.", body = schemas::ClerkErrors),
        (status = 404, description = "No such token.", body = schemas::ClerkErrors),
    ),
    security(("bearerAuth" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    _auth: Authenticated,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ActorToken>, ApiError> {
    let id = token_id(id)?;
    match state.store.get_actor_token(id.clone()).await? {
        Some(record) => Ok(Json(record.to_wire())),
        None => Err(not_found(&id)),
    }
}

/// List actor tokens, newest first (ours).
#[utoipa::path(
    get, path = "/v1/actor_tokens", tag = "Actor Tokens (ours)", operation_id = "ListActorTokens",
    params(
        ("user_id" = Option<String>, Query, description = "Only tokens impersonating this user."),
        ("actor_sub" = Option<String>, Query, description = "Only tokens of this actor."),
        ("status" = Option<schemas::ActorTokenStatus>, Query, description = "`pending`, `accepted` or `revoked`."),
        ("limit" = Option<u32>, Query, description = "1 to 500; 10 by default.", minimum = 1, maximum = 500),
        ("offset" = Option<u64>, Query, description = "0 or more; 0 by default.", minimum = 0),
    ),
    responses(
        (status = 200, description = "A page of tokens.", body = schemas::ActorTokenPage),
        (status = 401, description = "Missing, malformed or invalid secret key.", body = schemas::ClerkErrors),
        (status = 422, description = "A bad filter or page value.", body = schemas::ClerkErrors),
    ),
    security(("bearerAuth" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    _auth: Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Json<Page<ActorToken>>, ApiError> {
    let query = Query::parse(raw.as_deref());
    let page = pagination::parse_page(query.get("limit"), query.get("offset"))?;
    let status = query
        .get("status")
        .map(|s| {
            ActorTokenStatus::parse(s).ok_or_else(|| {
                ParamError::invalid("status", "must be one of pending, accepted or revoked.")
            })
        })
        .transpose()?;
    let filter = ActorTokenFilter {
        user_id: query.get("user_id").map(str::to_owned),
        actor_sub: query.get("actor_sub").map(str::to_owned),
        status,
    };
    let (records, total) = state.store.list_actor_tokens(filter, page).await?;
    Ok(Json(Page::new(
        records.iter().map(ActorTokenRecord::to_wire).collect(),
        total,
    )))
}

fn token_id(id: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    // A path that does not even decode (invalid percent-encoding or UTF-8) names no token.
    id.map(|Path(id)| id)
        .map_err(|_| ApiError::NotFound("No actor token was found with this id.".into()))
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("No actor token was found with id {id}"))
}

fn audit_event(
    action: &str,
    record: &ActorTokenRecord,
    auth: &Authenticated,
    trace_id: String,
    now: i64,
) -> AuditEvent {
    AuditEvent {
        id: ids::audit_event_id(),
        occurred_at: now,
        action: action.to_owned(),
        secret_key_id: Some(auth.key_id.clone()),
        actor_sub: Some(record.actor.sub.clone()),
        user_id: Some(record.user_id.clone()),
        actor_token_id: Some(record.id.clone()),
        session_id: None,
        trace_id: Some(trace_id),
        reason: record
            .actor
            .get("reason")
            .and_then(|r| r.as_str())
            .map(str::to_owned),
    }
}
