//! `/healthz`: is the server up and its store readable.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::error::ApiError;
use super::state::AppState;

/// Health check (ours): 200 `{"status":"ok"}` when the store answers. No authentication.
#[utoipa::path(
    get, path = "/healthz", tag = "Operations (ours)", operation_id = "Health",
    responses(
        (status = 200, description = "Healthy."),
        (status = 500, description = "The store does not answer."),
    )
)]
pub async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.store.list_secret_keys().await?;
    Ok(Json(json!({"status": "ok"})))
}
