//! `GET /v1/tickets/accept`: opening an actor token's URL signs the browser in as the user.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::header::{ACCEPT, ALLOW, CACHE_CONTROL, LOCATION, REFERRER_POLICY, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use clerk_models::{Session, SessionToken};
use serde::Serialize;

use super::client_cookie;
use super::error::ApiError;
use super::middleware::TraceId;
use super::openapi::schemas;
use super::query::Query;
use super::sessions::{mint_for, origin};
use super::state::AppState;
use crate::domain::ids;
use crate::domain::ticket::{AcceptRefusal, plausible_ticket};
use crate::store::AuditEvent;
use crate::store::flow::{AcceptOutcome, AcceptRequest, NewClient};

/// The JSON answer: the session, plus its first token (the shape of Clerk's FAPI session).
#[derive(Debug, Serialize)]
pub struct AcceptedSession {
    /// The new session.
    #[serde(flatten)]
    pub session: Session,
    /// A first session token.
    pub last_active_token: SessionToken,
}

/// `HEAD /v1/tickets/accept`: 405. axum would otherwise run the GET handler for HEAD, and
/// link previewers and mail scanners send HEAD "just to check" a URL: accepting is one-time,
/// so a HEAD must never burn the ticket (or receive the session cookie).
pub async fn refuse_head() -> impl IntoResponse {
    (
        [(ALLOW, HeaderValue::from_static("GET"))],
        ApiError::MethodNotAllowed,
    )
}

/// Accept a ticket (ours: Clerk serves this on its frontend API).
#[utoipa::path(
    get, path = "/v1/tickets/accept", tag = "Tickets (ours)", operation_id = "AcceptTicket",
    params(("ticket" = String, Query, description = "The actor token's ticket, from its `url`.")),
    responses(
        (status = 303, description = "Signed in: the `__client` cookie is set; redirects to the after-accept URL."),
        (status = 200, description = "With `Accept: application/json`: the session and a first token.", body = schemas::AcceptedSession),
        (status = 400, description = "Already used, revoked, expired or unknown.", body = schemas::ClerkErrors),
        (status = 404, description = "The token's user no longer exists.", body = schemas::ClerkErrors),
    )
)]
pub async fn accept(
    State(state): State<AppState>,
    TraceId(trace_id): TraceId,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let ticket = plausible_ticket(query.get("ticket"))
        .ok_or(ApiError::TicketRefused(AcceptRefusal::CannotBeUsed))?;
    let now = state.clock.now_ms();
    let presented = client_cookie::presented(&headers);
    let fresh = client_cookie::new_value();
    let request = AcceptRequest {
        ticket_hash: ids::secret_hash(ticket),
        now_ms: now,
        session_id: ids::new_id("sess_"),
        presented_client_hash: presented.as_deref().map(ids::secret_hash),
        new_client: NewClient {
            id: ids::new_id("client_"),
            cookie_hash: ids::secret_hash(&fresh),
        },
    };
    let audit = AuditEvent {
        id: ids::audit_event_id(),
        occurred_at: now,
        action: "actor_token.accepted".to_owned(),
        secret_key_id: None,
        actor_sub: None,
        user_id: None,
        actor_token_id: None,
        session_id: None,
        trace_id: Some(trace_id),
        reason: None,
    };
    let (session, new_client) = match state.store.accept_ticket(request, audit).await? {
        AcceptOutcome::Accepted(accepted) => (accepted.session, accepted.new_client),
        AcceptOutcome::Refused(refusal) => {
            state.metrics.count_event("tickets_refused");
            return Err(ApiError::TicketRefused(refusal));
        }
    };
    state.metrics.count_event("tickets_accepted");
    let cookie_value = match (new_client, presented) {
        (false, Some(presented)) => presented,
        _ => fresh,
    };
    let cookie = HeaderValue::from_str(&client_cookie::set_cookie(
        &cookie_value,
        state.secure_cookies,
    ))
    .map_err(|e| ApiError::Internal(format!("cookie header: {e}")))?;

    let wants_json = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let mut response = if wants_json {
        let jwt = mint_for(&state, &session, now, origin(&headers)).await?;
        Json(AcceptedSession {
            session: session.to_wire(now),
            last_active_token: SessionToken::new(jwt),
        })
        .into_response()
    } else {
        let location = HeaderValue::from_str(&state.after_accept_url)
            .map_err(|e| ApiError::Internal(format!("after-accept URL: {e}")))?;
        let mut r = StatusCode::SEE_OTHER.into_response();
        r.headers_mut().insert(LOCATION, location);
        r
    };
    response.headers_mut().insert(SET_COOKIE, cookie);
    // The answer carries a session token (JSON) or sets the browser's identity: never cached.
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The ticket is in this URL: never pass it on as a referrer.
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(response)
}
