//! `GET /v1/jwks`: the published signing keys. Public; a bearer key, if sent, is ignored
//! (Clerk's clients send one).

use axum::Json;
use axum::extract::State;

use super::error::ApiError;
use super::openapi::schemas;
use super::state::AppState;
use crate::keys::Jwks;

/// The JSON Web Key Set that verifies session tokens.
#[utoipa::path(
    get, path = "/v1/jwks", tag = "JWKS", operation_id = "GetJWKS",
    responses(
        (status = 200, description = "`{\"keys\":[…]}`: the signer first, then keys retired less than 120 s ago.", body = schemas::Jwks),
    )
)]
pub async fn jwks(State(state): State<AppState>) -> Result<Json<Jwks>, ApiError> {
    Ok(Json(state.keyring.jwks(state.clock.now_ms()).await?))
}
