//! The HTTP layer: one router merged from one file per resource, errors in one enum,
//! authentication as an extractor, trace id / API version / body limit as middleware.

pub mod actor_tokens;
pub mod audit;
pub mod auth;
pub mod body;
pub mod client_cookie;
pub mod error;
pub mod health;
pub mod impersonation_page;
pub mod jwks;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod query;
pub mod rate_limit;
pub mod sessions;
pub mod state;
pub mod tickets;
pub mod users;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, StatusCode};
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use state::AppState;

/// Builds the router over `state`.
pub fn router(state: AppState, request_timeout: Duration) -> Router {
    let max_body = state.max_body_bytes;
    Router::new()
        .route(
            "/v1/actor_tokens",
            post(actor_tokens::create).get(actor_tokens::list),
        )
        .route(
            "/v1/actor_tokens/{actor_token_id}",
            get(actor_tokens::get_one),
        )
        .route(
            "/v1/actor_tokens/{actor_token_id}/revoke",
            post(actor_tokens::revoke),
        )
        .route("/v1/users", post(users::create))
        .route(
            "/v1/users/{user_id}",
            get(users::get_one).delete(users::delete),
        )
        .route("/v1/audit_events", get(audit::list))
        .route(
            "/v1/tickets/accept",
            get(tickets::accept).head(tickets::refuse_head),
        )
        .route("/v1/jwks", get(jwks::jwks))
        .route("/v1/sessions", get(sessions::list))
        .route("/v1/sessions/{session_id}", get(sessions::get_one))
        .route("/v1/sessions/{session_id}/revoke", post(sessions::revoke))
        .route(
            "/v1/sessions/{session_id}/tokens",
            post(sessions::create_token),
        )
        .route("/impersonation", get(impersonation_page::page))
        .route("/impersonation/end", post(impersonation_page::end))
        .route("/healthz", get(health::health))
        .route("/metrics", get(metrics::metrics))
        .route("/openapi.json", get(openapi::openapi))
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(
            ServiceBuilder::new()
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    middleware::envelope,
                ))
                .layer(SetRequestIdLayer::new(
                    HeaderName::from_static(middleware::REQUEST_ID_HEADER),
                    middleware::TraceIdAsRequestId,
                ))
                .layer(PropagateRequestIdLayer::new(HeaderName::from_static(
                    middleware::REQUEST_ID_HEADER,
                )))
                .layer(TraceLayer::new_for_http().make_span_with(middleware::request_span))
                // A panicking handler answers 500 internal_clerk_error instead of dropping
                // the connection; the envelope gives it the contract's shape.
                .layer(CatchPanicLayer::custom(middleware::panic_response))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    request_timeout,
                ))
                .layer(axum::middleware::from_fn(middleware::api_version))
                .layer(DefaultBodyLimit::max(max_body)),
        )
        .with_state(state)
}
