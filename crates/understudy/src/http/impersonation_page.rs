//! The built-in after-accept page: who is signed in, on whose behalf, and a button that ends
//! the impersonation. Authenticated by the `__client` cookie; every user-controlled string is
//! HTML-escaped.

use axum::extract::{RawQuery, State};
use axum::http::header::{HOST, LOCATION, ORIGIN};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use clerk_models::{SessionStatus, User};

use super::client_cookie;
use super::error::ApiError;
use super::middleware::TraceId;
use super::query::Query;
use super::sessions::end_audit;
use super::state::AppState;
use crate::domain::ids;
use crate::domain::session::SessionRecord;

/// The page's Content-Security-Policy.
const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// The browser's active session, if its `__client` cookie names one.
async fn active_session(
    state: &AppState,
    headers: &HeaderMap,
    now: i64,
) -> Result<Option<SessionRecord>, ApiError> {
    let Some(cookie) = client_cookie::presented(headers) else {
        return Ok(None);
    };
    let session = state
        .store
        .session_for_client(ids::secret_hash(&cookie), now)
        .await?;
    Ok(session.filter(|s| s.status == SessionStatus::Active))
}

/// The page (ours): `GET /impersonation`.
#[utoipa::path(
    get, path = "/impersonation", tag = "Tickets (ours)", operation_id = "ImpersonationPage",
    responses((status = 200, description = "HTML: the signed-in user and the actor, or `#no-session`.", content_type = "text/html"))
)]
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let now = state.clock.now_ms();
    let ended = Query::parse(raw.as_deref()).get("ended") == Some("1");
    let body = match active_session(&state, &headers, now).await? {
        Some(session) => {
            let user = state.store.get_user(session.user_id.clone()).await?;
            signed_in(&session, user.as_ref())
        }
        None => no_session(ended),
    };
    let mut response = Html(document(&body)).into_response();
    let headers = response.headers_mut();
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    // No script, no framing (the button cannot be clickjacked), forms post only here.
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(PAGE_CSP),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    // Not `no-referrer`: with it, browsers send `Origin: null` on the form's POST, which the
    // same-origin check must refuse.
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    Ok(response)
}

/// Ends the browser's impersonation (ours): `POST /impersonation/end`, then back to the page.
#[utoipa::path(
    post, path = "/impersonation/end", tag = "Tickets (ours)", operation_id = "EndImpersonation",
    responses(
        (status = 303, description = "The browser's session is revoked; back to `/impersonation?ended=1`."),
        (status = 403, description = "A cross-site request.", body = super::openapi::schemas::ClerkErrors),
    )
)]
pub async fn end(
    State(state): State<AppState>,
    TraceId(trace_id): TraceId,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !same_origin(&state.frontend_url, &headers) {
        return Err(ApiError::CrossSiteRequest);
    }
    let now = state.clock.now_ms();
    let mut location = "/impersonation";
    if let Some(session) = active_session(&state, &headers, now).await? {
        let audit = end_audit(None, trace_id, now);
        state.store.revoke_session(session.id, now, audit).await?;
        location = "/impersonation?ended=1";
    }
    let mut response = StatusCode::SEE_OTHER.into_response();
    response
        .headers_mut()
        .insert(LOCATION, HeaderValue::from_static(location));
    Ok(response)
}

/// A request without `Origin` (not a browser, or an old one) passes; with one, it must be
/// the frontend's origin or the origin of the host it was sent to.
fn same_origin(frontend_url: &str, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let frontend = url::Url::parse(frontend_url)
        .ok()
        .map(|u| u.origin().ascii_serialization());
    if frontend.as_deref() == Some(origin) {
        return true;
    }
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    matches!(host, Some(host)
        if origin == format!("http://{host}") || origin == format!("https://{host}"))
}

fn signed_in(session: &SessionRecord, user: Option<&User>) -> String {
    let mut html = String::from("<h1>Impersonation in progress</h1>\n<dl>\n");
    html.push_str(&format!(
        "<dt>Signed in as</dt><dd><span id=\"signed-in-user\">{}</span>",
        escape_html(&session.user_id)
    ));
    if let Some(user) = user {
        let name = [user.first_name.as_deref(), user.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !name.is_empty() {
            html.push_str(&format!(
                " <span id=\"user-name\">{}</span>",
                escape_html(&name)
            ));
        }
        if let Some(email) = user.email_addresses.first() {
            html.push_str(&format!(
                " <span id=\"user-email\">{}</span>",
                escape_html(&email.email_address)
            ));
        }
    }
    html.push_str("</dd>\n");
    if let Some(actor) = &session.actor {
        html.push_str(&format!(
            "<dt>On behalf of</dt><dd><span id=\"actor-sub\">{}</span></dd>\n",
            escape_html(&actor.sub)
        ));
        if let Some(reason) = actor.get("reason").and_then(|r| r.as_str()) {
            html.push_str(&format!(
                "<dt>Reason</dt><dd><span id=\"reason\">{}</span></dd>\n",
                escape_html(reason)
            ));
        }
    }
    html.push_str(&format!(
        "<dt>Session</dt><dd><span id=\"session-id\">{}</span></dd>\n</dl>\n",
        escape_html(&session.id)
    ));
    html.push_str(
        "<form method=\"post\" action=\"/impersonation/end\">\
         <button id=\"end-impersonation\" type=\"submit\">End impersonation</button></form>\n",
    );
    html
}

fn no_session(ended: bool) -> String {
    let mut html = String::from("<h1>Understudy</h1>\n");
    if ended {
        html.push_str("<p id=\"impersonation-ended\">The impersonation has ended.</p>\n");
    }
    html.push_str("<p id=\"no-session\">No active session</p>\n");
    html
}

fn document(body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Understudy impersonation</title></head>\n<body>\n{body}</body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clerk_models::Actor;

    #[test]
    fn every_user_controlled_string_is_escaped() {
        let mut s = SessionRecord::new_active(
            "sess_1".into(),
            "client_1".into(),
            "user_<b>".into(),
            Some(Actor::new("<script>alert(1)</script>").with("reason", "a\"b'c&")),
            None,
            0,
            60,
        );
        let mut user = User::new("user_<b>", 0, 0);
        user.first_name = Some("<img src=x onerror=alert(1)>".into());
        let html = signed_in(&s, Some(&user));
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("a&quot;b&#x27;c&amp;"));
        s.actor = None;
        assert!(!signed_in(&s, None).contains("actor-sub"));
    }

    #[test]
    fn cross_site_origins_are_refused() {
        let mut h = HeaderMap::new();
        assert!(same_origin("http://127.0.0.1:3000", &h));
        h.insert(ORIGIN, HeaderValue::from_static("http://127.0.0.1:3000"));
        assert!(same_origin("http://127.0.0.1:3000/", &h));
        h.insert(ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_origin("http://127.0.0.1:3000", &h));
        h.insert(HOST, HeaderValue::from_static("localhost:4000"));
        h.insert(ORIGIN, HeaderValue::from_static("http://localhost:4000"));
        assert!(same_origin("http://127.0.0.1:3000", &h));
        h.insert(ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin("http://127.0.0.1:3000", &h));
    }
}
