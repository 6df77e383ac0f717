//! `/v1/audit_events` (ours): the append-only log of creates, accepts, revokes and session ends.

use axum::Json;
use axum::extract::{RawQuery, State};
use clerk_models::Page;
use serde::Serialize;

use super::auth::Authenticated;
use super::error::ApiError;
use super::openapi::schemas;
use super::query::Query;
use super::state::AppState;
use crate::domain::pagination;
use crate::store::{AuditEvent, AuditFilter};

/// An audit event on the wire: `"object": "audit_event"` and its fields.
#[derive(Debug, Serialize)]
pub struct AuditEventObject {
    /// Always `audit_event`.
    pub object: &'static str,
    /// The event.
    #[serde(flatten)]
    pub event: AuditEvent,
}

/// List audit events, newest first (ours).
#[utoipa::path(
    get, path = "/v1/audit_events", tag = "Audit (ours)", operation_id = "ListAuditEvents",
    params(
        ("user_id" = Option<String>, Query, description = "Only events about this user."),
        ("actor_sub" = Option<String>, Query, description = "Only events of this actor."),
        ("limit" = Option<u32>, Query, description = "1 to 500; 10 by default.", minimum = 1, maximum = 500),
        ("offset" = Option<u64>, Query, description = "0 or more; 0 by default.", minimum = 0),
    ),
    responses(
        (status = 200, description = "A page of audit events.", body = schemas::AuditEventPage),
        (status = 401, description = "Missing, malformed or invalid secret key.", body = schemas::ClerkErrors),
        (status = 422, description = "A bad page value.", body = schemas::ClerkErrors),
    ),
    security(("bearerAuth" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    _auth: Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Json<Page<AuditEventObject>>, ApiError> {
    let query = Query::parse(raw.as_deref());
    let page = pagination::parse_page(query.get("limit"), query.get("offset"))?;
    let filter = AuditFilter {
        user_id: query.get("user_id").map(str::to_owned),
        actor_sub: query.get("actor_sub").map(str::to_owned),
    };
    let (events, total) = state.store.list_audit_events(filter, page).await?;
    let data = events
        .into_iter()
        .map(|event| AuditEventObject {
            object: "audit_event",
            event,
        })
        .collect();
    Ok(Json(Page::new(data, total)))
}
