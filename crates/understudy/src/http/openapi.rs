//! `/openapi.json`, generated from the handlers' annotations so it cannot drift.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Understudy",
        description = "The actor-token part of Clerk's Backend API, plus documented extensions (tagged \"ours\")."
    ),
    paths(
        super::actor_tokens::create,
        super::actor_tokens::revoke,
        super::actor_tokens::get_one,
        super::actor_tokens::list,
        super::users::create,
        super::users::get_one,
        super::users::delete,
        super::audit::list,
        super::tickets::accept,
        super::impersonation_page::page,
        super::impersonation_page::end,
        super::jwks::jwks,
        super::sessions::list,
        super::sessions::get_one,
        super::sessions::revoke,
        super::sessions::create_token,
        super::health::health,
        super::metrics::metrics,
        openapi,
    ),
    // Used only as query parameter types, which utoipa references but does not collect.
    components(schemas(schemas::ActorTokenStatus, schemas::SessionStatus)),
    modifiers(&BearerAuth, &OptionalBodies)
)]
pub struct ApiDoc;

/// Operations whose body may be left out (`http/body.rs`: an empty body reads as `{}`).
/// utoipa marks a body optional only through `Option<T>`, which would also document a JSON
/// `null` body, and the server refuses that.
const OPTIONAL_BODIES: &[&str] = &["/v1/users"];

struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for path in OPTIONAL_BODIES {
            let body = openapi
                .paths
                .paths
                .get_mut(*path)
                .and_then(|item| item.post.as_mut())
                .and_then(|op| op.request_body.as_mut());
            if let Some(body) = body {
                body.required = Some(utoipa::openapi::Required::False);
            }
        }
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// This document (ours). No authentication.
#[utoipa::path(
    get, path = "/openapi.json", tag = "Operations (ours)", operation_id = "OpenApi",
    responses((status = 200, description = "The OpenAPI 3.1 document."))
)]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Schema mirrors of the wire types (which live in `clerk-models`, free of utoipa).
pub mod schemas {
    #![allow(dead_code)]
    use serde_json::{Map, Value};
    use utoipa::ToSchema;

    /// An actor token.
    #[derive(ToSchema)]
    pub struct ActorToken {
        /// Always `actor_token`.
        object: String,
        /// `act_…`
        id: String,
        /// `pending`, `accepted` or `revoked`.
        status: String,
        /// The impersonated user.
        user_id: String,
        /// The impersonating party: `sub` and any further keys.
        actor: Map<String, Value>,
        /// The ticket; only in the create response.
        token: Option<String>,
        /// `{frontend}/v1/tickets/accept?ticket=…`; only in the create response.
        url: Option<String>,
        /// Unix milliseconds.
        created_at: i64,
        /// Unix milliseconds.
        updated_at: i64,
    }

    /// The impersonating party: `sub` and any further keys, at most 4096 bytes as JSON (ours).
    #[derive(ToSchema)]
    pub struct Actor {
        /// Who impersonates; copied with every other key into the session token's `act` claim.
        #[schema(min_length = 1)]
        sub: String,
        /// Any further keys (`reason`, …), kept whole and in order.
        #[serde(flatten)]
        extra: Map<String, Value>,
    }

    /// The body of `POST /v1/actor_tokens`. Unknown fields are rejected.
    #[derive(ToSchema)]
    pub struct CreateActorTokenBody {
        /// The user to impersonate.
        #[schema(min_length = 1)]
        user_id: String,
        /// Must hold `sub` (string); copied whole into the session token's `act` claim.
        actor: Actor,
        /// How long the token can be used; 3600 by default.
        expires_in_seconds: Option<i64>,
        /// The cap on the session the token creates; 1800 by default.
        session_max_duration_in_seconds: Option<i64>,
    }

    /// One error.
    #[derive(ToSchema)]
    pub struct ClerkError {
        /// Short, for people.
        message: String,
        /// Longer, for people.
        long_message: String,
        /// Machine-readable.
        code: String,
        /// Snake-case keys such as `param_name`, `limit`, `used`.
        meta: Option<Map<String, Value>>,
    }

    /// Every non-2xx body.
    #[derive(ToSchema)]
    pub struct ClerkErrors {
        /// At least one error.
        errors: Vec<ClerkError>,
        /// Response-wide metadata.
        meta: Map<String, Value>,
        /// Equal to the `Clerk-Trace-Id` header.
        clerk_trace_id: String,
    }

    /// A page of actor tokens.
    #[derive(ToSchema)]
    pub struct ActorTokenPage {
        /// This page.
        data: Vec<ActorToken>,
        /// How many match, over all pages.
        total_count: u64,
    }

    /// A session. Times are Unix milliseconds.
    #[derive(ToSchema)]
    pub struct Session {
        /// Always `session`.
        object: String,
        /// `sess_…`
        id: String,
        /// The browser (`client_…`).
        client_id: String,
        /// The signed-in (impersonated) user.
        user_id: String,
        /// `active`, `revoked`, `ended`, `expired`, `removed`, `abandoned`, `replaced` or `pending`.
        status: String,
        /// Last activity (a minted token).
        last_active_at: i64,
        /// Always null.
        last_active_organization_id: Option<String>,
        /// The actor token's actor payload.
        actor: Option<Map<String, Value>>,
        /// The hard end: creation + the token's `session_max_duration_in_seconds`.
        expire_at: i64,
        /// `min(last_active_at + 10 min, expire_at)`.
        abandon_at: i64,
        /// Unix milliseconds.
        created_at: i64,
        /// Unix milliseconds.
        updated_at: i64,
    }

    /// An actor token's status, as a filter.
    #[derive(ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ActorTokenStatus {
        /// Not used yet.
        Pending,
        /// Used: it created a session.
        Accepted,
        /// Revoked before use.
        Revoked,
    }

    /// A session's status, as a filter.
    #[derive(ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum SessionStatus {
        /// Signed in.
        Active,
        /// Revoked.
        Revoked,
        /// Ended.
        Ended,
        /// Past its cap.
        Expired,
        /// Its user was deleted.
        Removed,
        /// Idle for 10 minutes.
        Abandoned,
        /// Another session replaced it in the same browser.
        Replaced,
        /// Not yet active.
        Pending,
    }

    /// `GET /v1/sessions`: a bare array, or with `paginated=true` a page.
    #[derive(ToSchema)]
    #[serde(untagged)]
    pub enum SessionList {
        /// Without `paginated=true`.
        All(Vec<Session>),
        /// With `paginated=true`.
        Page(SessionPage),
    }

    /// A page of sessions (with `paginated=true`; otherwise a bare array of sessions).
    #[derive(ToSchema)]
    pub struct SessionPage {
        /// This page.
        data: Vec<Session>,
        /// How many match.
        total_count: u64,
    }

    /// A session token.
    #[derive(ToSchema)]
    pub struct SessionToken {
        /// Always `token`.
        object: String,
        /// An RS256 JWT valid for 60 s: `iss`, `sub`, `sid`, `iat`, `nbf`, `exp`, `v`, `azp`, `act`.
        jwt: String,
    }

    /// The JSON answer of an accept: the session's fields plus `last_active_token`.
    #[derive(ToSchema)]
    pub struct AcceptedSession {
        /// `sess_…` (and every other field of a session).
        id: String,
        /// Always `session`.
        object: String,
        /// The first session token.
        last_active_token: SessionToken,
    }

    /// A public signing key.
    #[derive(ToSchema)]
    pub struct Jwk {
        /// `RSA`.
        kty: String,
        /// `sig`.
        #[schema(rename = "use")]
        key_use: String,
        /// `RS256`.
        alg: String,
        /// The key id (RFC 7638 thumbprint).
        kid: String,
        /// Modulus, base64url.
        n: String,
        /// Exponent, base64url.
        e: String,
    }

    /// The published signing keys.
    #[derive(ToSchema)]
    pub struct Jwks {
        /// The signer first, then keys retired less than 120 s ago.
        keys: Vec<Jwk>,
    }

    /// An audit event.
    #[derive(ToSchema)]
    pub struct AuditEvent {
        /// Always `audit_event`.
        object: String,
        /// `aud_…`
        id: String,
        /// Unix milliseconds.
        occurred_at: i64,
        /// `actor_token.created`, `actor_token.revoked`, …
        action: String,
        /// The secret key's id (never the key).
        secret_key_id: Option<String>,
        /// The impersonating party.
        actor_sub: Option<String>,
        /// The impersonated user.
        user_id: Option<String>,
        /// The actor token.
        actor_token_id: Option<String>,
        /// The session.
        session_id: Option<String>,
        /// The request's trace id.
        trace_id: Option<String>,
        /// The actor's `reason`.
        reason: Option<String>,
    }

    /// A page of audit events.
    #[derive(ToSchema)]
    pub struct AuditEventPage {
        /// This page.
        data: Vec<AuditEvent>,
        /// How many exist.
        total_count: u64,
    }

    /// A user.
    #[derive(ToSchema)]
    pub struct User {
        /// Always `user`.
        object: String,
        /// `user_…`
        id: String,
        /// The application's own id.
        external_id: Option<String>,
        /// Given name.
        first_name: Option<String>,
        /// Family name.
        last_name: Option<String>,
        /// Handle.
        username: Option<String>,
        /// The first email address's id.
        primary_email_address_id: Option<String>,
        /// `email_address` objects.
        email_addresses: Vec<Map<String, Value>>,
        /// Frontend-readable metadata.
        public_metadata: Map<String, Value>,
        /// Backend-only metadata.
        private_metadata: Map<String, Value>,
        /// Unix milliseconds.
        created_at: i64,
        /// Unix milliseconds.
        updated_at: i64,
    }

    /// The body of `POST /v1/users`. Every field is optional; unknown fields are rejected.
    #[derive(ToSchema)]
    pub struct CreateUserBody {
        /// The application's own id.
        external_id: Option<String>,
        /// Given name.
        first_name: Option<String>,
        /// Family name.
        last_name: Option<String>,
        /// Handle.
        username: Option<String>,
        /// Email addresses; the first becomes primary.
        email_address: Option<Vec<String>>,
        /// Frontend-readable metadata.
        public_metadata: Option<Map<String, Value>>,
        /// Backend-only metadata.
        private_metadata: Option<Map<String, Value>>,
    }

    /// A deletion receipt.
    #[derive(ToSchema)]
    pub struct DeletedObject {
        /// `user`.
        object: String,
        /// The deleted id.
        id: String,
        /// Always true.
        deleted: bool,
    }
}
