//! Middleware: the trace id and error envelope on every response, and API-version checks.

use std::time::Instant;

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use clerk_models::api_version;

use super::error::{ApiError, ErrorBody};
use super::state::AppState;
use crate::domain::ids;

/// The response header carrying the trace id.
pub const TRACE_ID_HEADER: &str = "clerk-trace-id";

/// The request-id header tower-http sets and propagates; always equal to the trace id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Makes tower-http's request id the trace id the envelope assigned.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceIdAsRequestId;

impl tower_http::request_id::MakeRequestId for TraceIdAsRequestId {
    fn make_request_id<B>(
        &mut self,
        request: &axum::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        let trace = request.extensions().get::<TraceId>()?;
        HeaderValue::from_str(&trace.0)
            .ok()
            .map(tower_http::request_id::RequestId::new)
    }
}

/// This request's trace id (also in the `Clerk-Trace-Id` header and error bodies).
#[derive(Debug, Clone)]
pub struct TraceId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for TraceId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<TraceId>()
            .cloned()
            .unwrap_or_else(|| TraceId(ids::trace_id())))
    }
}

/// Outermost: gives the request a trace id, puts it on the response, renders every error in
/// the contract's shape with `clerk_trace_id`, and records metrics.
pub async fn envelope(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let trace_id = ids::trace_id();
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = super::metrics::method_label(req.method());
    req.extensions_mut().insert(TraceId(trace_id.clone()));
    // The request id is ours, never the client's: tower-http's request-id layers below
    // then carry the trace id as `x-request-id` too.
    req.headers_mut().remove(REQUEST_ID_HEADER);
    let mut response = next.run(req).await;
    let status = response.status();
    let rendered = response.extensions_mut().remove::<ErrorBody>();
    if let Some(ErrorBody(errors)) = rendered {
        response = with_body(response, errors.with_trace_id(trace_id.clone()));
    } else if status.is_client_error() || status.is_server_error() {
        // Not one of ours (axum's rejections, timeouts): same shape, by status.
        let mut replacement = ApiError::from_status(status).into_response();
        *replacement.status_mut() = status;
        // Keep what the original said (Allow, Retry-After, x-request-id), not its body's type.
        for (name, value) in response.headers() {
            if name != axum::http::header::CONTENT_TYPE
                && name != axum::http::header::CONTENT_LENGTH
            {
                replacement
                    .headers_mut()
                    .insert(name.clone(), value.clone());
            }
        }
        let errors = replacement
            .extensions_mut()
            .remove::<ErrorBody>()
            .map(|b| b.0);
        response = match errors {
            Some(errors) => with_body(replacement, errors.with_trace_id(trace_id.clone())),
            None => replacement,
        };
    }
    if let Ok(v) = HeaderValue::from_str(&trace_id) {
        response.headers_mut().insert(TRACE_ID_HEADER, v);
    }
    state.metrics.observe(
        &route,
        method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

fn with_body(response: Response, errors: clerk_models::ClerkErrors) -> Response {
    let (mut parts, _) = response.into_parts();
    let body = serde_json::to_vec(&errors).unwrap_or_default();
    parts.headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// The span of one request in the logs: method, path (never the query or headers, so no
/// secret can reach a log) and trace id.
pub fn request_span<B>(req: &axum::http::Request<B>) -> tracing::Span {
    let trace_id = req
        .extensions()
        .get::<TraceId>()
        .map_or("", |t| t.0.as_str());
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        trace_id = %trace_id,
    )
}

/// Checks `Clerk-API-Version` / `__clerk_api_version`: neither is fine; both, or an unknown
/// version, is 400 `api_version_invalid`.
pub async fn api_version(req: Request, next: Next) -> Response {
    match check_api_version(&req) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

fn check_api_version(req: &Request) -> Result<(), ApiError> {
    let header = req
        .headers()
        .get_all(api_version::HEADER)
        .iter()
        .map(|v| v.to_str().map(str::to_owned))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            ApiError::ApiVersionInvalid("The Clerk-API-Version header is not text.".into())
        })?;
    let query: Vec<String> = req
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k == api_version::QUERY_PARAM)
                .map(|(_, v)| v.into_owned())
                .collect()
        })
        .unwrap_or_default();
    let given: Vec<&String> = header.iter().chain(query.iter()).collect();
    match given.as_slice() {
        [] => Ok(()),
        [one] if api_version::is_known(one) => Ok(()),
        [one] => Err(ApiError::ApiVersionInvalid(format!(
            "API version {one:?} is not supported. Supported versions: {}.",
            api_version::KNOWN.join(", ")
        ))),
        _ => Err(ApiError::ApiVersionInvalid(format!(
            "Give the API version once, either as the {} header or as the {} query \
             parameter, not both.",
            api_version::HEADER,
            api_version::QUERY_PARAM
        ))),
    }
}

/// What a panicking handler answers: a 500 whose detail is logged, never sent.
pub fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::Internal("a handler panicked".into()).into_response()
}

/// 404 for routes that do not exist.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("The requested resource was not found.".into())
}

/// 405 for methods a route does not support.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
