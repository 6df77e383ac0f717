//! `/v1/users`: enough users to make "user does not exist" real.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use clerk_models::{DeletedObject, User};

use super::auth::Authenticated;
use super::body::JsonBody;
use super::error::ApiError;
use super::middleware::TraceId;
use super::openapi::schemas;
use super::sessions::end_audit;
use super::state::AppState;
use crate::domain::user::validate_create;

/// Create a user.
#[utoipa::path(
    post, path = "/v1/users", tag = "Users", operation_id = "CreateUser",
    request_body(content = schemas::CreateUserBody, description = "Optional (see `OptionalBodies`): an empty body with no `Content-Type` reads as `{}`.", content_type = "application/json"),
    responses(
        (status = 200, description = "The new user.", body = schemas::User),
        (status = 400, description = "Body is not JSON.", body = schemas::ClerkErrors),
        (status = 401, description = "Missing, malformed or invalid secret key.", body = schemas::ClerkErrors),
        (status = 422, description = "Invalid parameters, or `form_identifier_exists`: another user has this `username` or `email_address`.", body = schemas::ClerkErrors),
    ),
    security(("bearerAuth" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    _auth: Authenticated,
    JsonBody(body): JsonBody,
) -> Result<Json<User>, ApiError> {
    let user = validate_create(&body, state.clock.now_ms())?;
    state.store.insert_users(vec![user.clone()]).await?;
    Ok(Json(user))
}

/// Get a user.
#[utoipa::path(
    get, path = "/v1/users/{user_id}", tag = "Users", operation_id = "GetUser",
    params(("user_id" = String, Path, description = "The user's id, `user_…`.")),
    responses(
        (status = 200, description = "The user.", body = schemas::User),
        (status = 401, description = "Missing, malformed or invalid secret key.", body = schemas::ClerkErrors),
        (status = 404, description = "No such user.", body = schemas::ClerkErrors),
    ),
    security(("bearerAuth" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    _auth: Authenticated,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<User>, ApiError> {
    let id = user_id(id)?;
    match state.store.get_user(id.clone()).await? {
        Some(user) => Ok(Json(user)),
        None => Err(not_found(&id)),
    }
}

/// Delete a user: its active sessions end (`removed`) and its pending tokens can no longer
/// be accepted.
#[utoipa::path(
    delete, path = "/v1/users/{user_id}", tag = "Users", operation_id = "DeleteUser",
    params(("user_id" = String, Path, description = "The user's id, `user_…`.")),
    responses(
        (status = 200, description = "The deletion receipt.", body = schemas::DeletedObject),
        (status = 401, description = "Missing, malformed or invalid secret key.", body = schemas::ClerkErrors),
        (status = 404, description = "No such user.", body = schemas::ClerkErrors),
    ),
    security(("bearerAuth" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    auth: Authenticated,
    TraceId(trace_id): TraceId,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<DeletedObject>, ApiError> {
    let id = user_id(id)?;
    let now = state.clock.now_ms();
    let audit = end_audit(Some(auth.key_id), trace_id, now);
    if state.store.delete_user(id.clone(), now, audit).await? {
        Ok(Json(DeletedObject::new("user", id)))
    } else {
        Err(not_found(&id))
    }
}

fn user_id(id: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    id.map(|Path(id)| id)
        .map_err(|_| ApiError::NotFound("No user was found with this id.".into()))
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("No user was found with id {id}"))
}
