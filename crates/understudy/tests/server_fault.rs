//! A failing store: 500 `internal_clerk_error` in the contract's shape, no detail leaked.

use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::{Value, json};
use understudy::domain::actor_token::{ActorTokenFilter, ActorTokenRecord};
use understudy::domain::pagination::PageRequest;
use understudy::domain::session::{SessionFilter, SessionRecord};
use understudy::http::metrics::Metrics;
use understudy::keys::{Keyring, MasterKey, SigningKeyRecord};
use understudy::store::{
    AcceptOutcome, AcceptRequest, AuditEvent, AuditFilter, CreateTokenOutcome, Quota,
    RevokeOutcome, SecretKeyRecord, SessionRevokeOutcome, Store, StoreError, StoreFuture,
    TouchOutcome,
};
use understudy::{App, Config};

/// Fails every operation; with `panics`, panics instead.
struct BrokenStore {
    panics: bool,
}

impl BrokenStore {
    fn broken<'a, T: Send + 'a>(&self) -> StoreFuture<'a, T> {
        let panics = self.panics;
        async move {
            assert!(!panics, "store panicked at /secret/path");
            Err(StoreError::Backend("disk on fire at /secret/path".into()))
        }
        .boxed()
    }
}

impl Store for BrokenStore {
    fn ensure_secret_key(&self, _: SecretKeyRecord) -> StoreFuture<'_, SecretKeyRecord> {
        self.broken()
    }
    fn insert_first_secret_key(&self, _: SecretKeyRecord) -> StoreFuture<'_, bool> {
        self.broken()
    }
    fn find_secret_key(&self, _: [u8; 32]) -> StoreFuture<'_, Option<SecretKeyRecord>> {
        self.broken()
    }
    fn list_secret_keys(&self) -> StoreFuture<'_, Vec<SecretKeyRecord>> {
        self.broken()
    }
    fn revoke_secret_key(&self, _: String, _: i64) -> StoreFuture<'_, bool> {
        self.broken()
    }
    fn insert_users(&self, _: Vec<clerk_models::User>) -> StoreFuture<'_, ()> {
        self.broken()
    }
    fn get_user(&self, _: String) -> StoreFuture<'_, Option<clerk_models::User>> {
        self.broken()
    }
    fn delete_user(&self, _: String, _: i64, _: AuditEvent) -> StoreFuture<'_, bool> {
        self.broken()
    }
    fn list_users(&self, _: PageRequest) -> StoreFuture<'_, (Vec<clerk_models::User>, u64)> {
        self.broken()
    }
    fn create_actor_token(
        &self,
        _: ActorTokenRecord,
        _: [u8; 32],
        _: Option<Quota>,
        _: AuditEvent,
    ) -> StoreFuture<'_, CreateTokenOutcome> {
        self.broken()
    }
    fn revoke_actor_token(
        &self,
        _: String,
        _: i64,
        _: AuditEvent,
    ) -> StoreFuture<'_, RevokeOutcome> {
        self.broken()
    }
    fn get_actor_token(&self, _: String) -> StoreFuture<'_, Option<ActorTokenRecord>> {
        self.broken()
    }
    fn list_actor_tokens(
        &self,
        _: ActorTokenFilter,
        _: PageRequest,
    ) -> StoreFuture<'_, (Vec<ActorTokenRecord>, u64)> {
        self.broken()
    }
    fn list_audit_events(
        &self,
        _: AuditFilter,
        _: PageRequest,
    ) -> StoreFuture<'_, (Vec<AuditEvent>, u64)> {
        self.broken()
    }
    fn accept_ticket(&self, _: AcceptRequest, _: AuditEvent) -> StoreFuture<'_, AcceptOutcome> {
        self.broken()
    }
    fn touch_session(&self, _: String, _: i64, _: AuditEvent) -> StoreFuture<'_, TouchOutcome> {
        self.broken()
    }
    fn revoke_session(
        &self,
        _: String,
        _: i64,
        _: AuditEvent,
    ) -> StoreFuture<'_, SessionRevokeOutcome> {
        self.broken()
    }
    fn get_session(&self, _: String) -> StoreFuture<'_, Option<SessionRecord>> {
        self.broken()
    }
    fn list_sessions(
        &self,
        _: SessionFilter,
        _: i64,
        _: PageRequest,
    ) -> StoreFuture<'_, (Vec<SessionRecord>, u64)> {
        self.broken()
    }
    fn session_for_client(&self, _: [u8; 32], _: i64) -> StoreFuture<'_, Option<SessionRecord>> {
        self.broken()
    }
    fn list_signing_keys(&self) -> StoreFuture<'_, Vec<SigningKeyRecord>> {
        self.broken()
    }
    fn insert_first_signing_key(&self, _: SigningKeyRecord) -> StoreFuture<'_, bool> {
        self.broken()
    }
    fn rotate_signing_key(&self, _: SigningKeyRecord) -> StoreFuture<'_, ()> {
        self.broken()
    }
    fn close(&self) -> BoxFuture<'_, ()> {
        async {}.boxed()
    }
}

#[tokio::test]
async fn a_store_failure_is_500_internal_clerk_error_without_details() {
    serve_and_expect_500(BrokenStore { panics: false }).await;
}

#[tokio::test]
async fn a_panic_is_500_internal_clerk_error_and_the_server_keeps_serving() {
    serve_and_expect_500(BrokenStore { panics: true }).await;
}

async fn serve_and_expect_500(store: BrokenStore) {
    let store: Arc<dyn Store> = Arc::new(store);
    let keyring = Keyring::new(Arc::clone(&store), MasterKey::from_bytes([1; 32]));
    let app = App::new(
        Config::for_tests("sk_test_x"),
        store,
        Arc::new(Metrics::new(None)),
        Arc::new(keyring),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, app.router()).into_future());
    let client = reqwest::Client::new();
    for r in [
        client
            .post(format!("http://{addr}/v1/actor_tokens"))
            .bearer_auth("sk_test_x")
            .json(&json!({"user_id": "u", "actor": {"sub": "s"}}))
            .send()
            .await
            .unwrap(),
        client
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .unwrap(),
        client
            .get(format!("http://{addr}/v1/tickets/accept?ticket=abc"))
            .send()
            .await
            .unwrap(),
        client
            .get(format!("http://{addr}/v1/jwks"))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(r.status(), 500);
        let trace = r.headers()["clerk-trace-id"].to_str().unwrap().to_owned();
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], "internal_clerk_error");
        assert_eq!(body["clerk_trace_id"], json!(trace));
        assert!(!body.to_string().contains("/secret/path"), "{body}");
    }
}
