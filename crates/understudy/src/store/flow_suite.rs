//! The store suite's part for the impersonation flow: accepting tickets (once, atomically),
//! clients, sessions and their transitions, signing keys, audit filters. Every backend must
//! pass it; [`super::suite::run_all`] runs it.

use clerk_models::{ActorTokenStatus, SessionStatus, User};

use super::flow::{
    AcceptOutcome, AcceptRequest, Accepted, AuditFilter, NewClient, SessionRevokeOutcome,
    TouchOutcome,
};
use super::suite::token_for;
use super::{AuditEvent, CreateTokenOutcome, Store};
use crate::domain::actor_token::ActorTokenRecord;
use crate::domain::ids;
use crate::domain::pagination::PageRequest;
use crate::domain::session::{INACTIVITY_TIMEOUT_MS, SessionFilter};
use crate::domain::ticket::AcceptRefusal;
use crate::keys::{Jwk, SealedSigningKey, SigningKeyRecord};

/// Runs the flow checks against `store`.
pub async fn run_all(store: &dyn Store) {
    accept_once(store).await;
    accept_refusals(store).await;
    concurrent_accepts(store).await;
    same_browser_replaces(store).await;
    session_transitions(store).await;
    deleting_a_user_removes_its_sessions(store).await;
    signing_keys(store).await;
    audit_filters(store).await;
}

fn audit(action: &str, now: i64) -> AuditEvent {
    AuditEvent {
        id: ids::audit_event_id(),
        occurred_at: now,
        action: action.to_owned(),
        secret_key_id: None,
        actor_sub: None,
        user_id: None,
        actor_token_id: None,
        session_id: None,
        trace_id: Some("trace".into()),
        reason: None,
    }
}

fn request(ticket: &str, now: i64, presented: Option<&str>) -> AcceptRequest {
    let cookie = ids::random_base62(43);
    AcceptRequest {
        ticket_hash: ids::secret_hash(ticket),
        now_ms: now,
        session_id: ids::new_id("sess_"),
        presented_client_hash: presented.map(ids::secret_hash),
        new_client: NewClient {
            id: ids::new_id("client_"),
            cookie_hash: ids::secret_hash(&cookie),
        },
    }
}

/// A user and a pending token for it (created at `now`, usable 60 s, sessions of 30 s).
async fn user_and_token(store: &dyn Store, ticket: &str, now: i64) -> (User, ActorTokenRecord) {
    let user = User::new(ids::user_id(), now, now);
    store.insert_users(vec![user.clone()]).await.unwrap();
    let token = token_for(&user.id, now);
    let mut created = audit("actor_token.created", now);
    created.secret_key_id = Some("ak_creator".into());
    created.actor_token_id = Some(token.id.clone());
    created.user_id = Some(user.id.clone());
    let outcome = store
        .create_actor_token(token.clone(), ids::secret_hash(ticket), None, created)
        .await
        .unwrap();
    assert!(matches!(outcome, CreateTokenOutcome::Created(_)));
    (user, token)
}

async fn accept(store: &dyn Store, req: AcceptRequest) -> AcceptOutcome {
    let now = req.now_ms;
    store
        .accept_ticket(req, audit("actor_token.accepted", now))
        .await
        .unwrap()
}

fn accepted(outcome: AcceptOutcome) -> Accepted {
    match outcome {
        AcceptOutcome::Accepted(a) => *a,
        AcceptOutcome::Refused(r) => panic!("expected an accept, got {r:?}"),
    }
}

async fn accept_once(store: &dyn Store) {
    let (user, token) = user_and_token(store, "flow-once", 1_000).await;
    let req = request("flow-once", 2_000, None);
    let a = accepted(accept(store, req.clone()).await);
    assert!(a.new_client);
    assert!(a.replaced.is_empty());
    assert_eq!(a.token.status, ActorTokenStatus::Accepted);
    assert_eq!(a.session.id, req.session_id);
    assert_eq!(a.session.client_id, req.new_client.id);
    assert_eq!(a.session.user_id, user.id);
    assert_eq!(a.session.actor.as_ref(), Some(&token.actor));
    assert_eq!(a.session.expire_at, 2_000 + 30_000);
    let stored = store.get_actor_token(token.id.clone()).await.unwrap();
    assert_eq!(stored.unwrap().status, ActorTokenStatus::Accepted);
    assert_eq!(
        store.get_session(a.session.id.clone()).await.unwrap(),
        Some(a.session.clone())
    );
    // The accept's audit row names the session and, lacking a caller key, the creating key.
    let (events, _) = store
        .list_audit_events(
            AuditFilter {
                user_id: Some(user.id.clone()),
                actor_sub: None,
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(events[0].action, "actor_token.accepted");
    assert_eq!(events[0].session_id.as_deref(), Some(a.session.id.as_str()));
    assert_eq!(events[0].secret_key_id.as_deref(), Some("ak_creator"));
    assert_eq!(events[0].reason.as_deref(), Some("suite"));

    let again = accept(store, request("flow-once", 2_001, None)).await;
    assert_eq!(again, AcceptOutcome::Refused(AcceptRefusal::AlreadyUsed));
}

async fn accept_refusals(store: &dyn Store) {
    let unknown = accept(store, request("flow-unknown", 1, None)).await;
    assert_eq!(unknown, AcceptOutcome::Refused(AcceptRefusal::CannotBeUsed));

    let (_, _) = user_and_token(store, "flow-expired", 1_000).await;
    let expired = accept(store, request("flow-expired", 61_000, None)).await;
    assert_eq!(expired, AcceptOutcome::Refused(AcceptRefusal::CannotBeUsed));

    let (_, token) = user_and_token(store, "flow-revoked", 1_000).await;
    store
        .revoke_actor_token(token.id.clone(), 1_500, audit("actor_token.revoked", 1_500))
        .await
        .unwrap();
    let revoked = accept(store, request("flow-revoked", 2_000, None)).await;
    assert_eq!(revoked, AcceptOutcome::Refused(AcceptRefusal::Revoked));

    let (user, token) = user_and_token(store, "flow-orphan", 1_000).await;
    store
        .delete_user(user.id.clone(), 1_500, audit("session.ended", 1_500))
        .await
        .unwrap();
    let orphan = accept(store, request("flow-orphan", 2_000, None)).await;
    assert_eq!(
        orphan,
        AcceptOutcome::Refused(AcceptRefusal::SubjectNotFound)
    );
    let still = store.get_actor_token(token.id).await.unwrap().unwrap();
    assert_eq!(still.status, ActorTokenStatus::Pending);
}

async fn concurrent_accepts(store: &dyn Store) {
    let (user, _) = user_and_token(store, "flow-race", 1_000).await;
    let attempts = (0..20).map(|_| accept(store, request("flow-race", 2_000, None)));
    let outcomes = futures::future::join_all(attempts).await;
    let wins = outcomes
        .iter()
        .filter(|o| matches!(o, AcceptOutcome::Accepted(_)))
        .count();
    let used = outcomes
        .iter()
        .filter(|o| **o == AcceptOutcome::Refused(AcceptRefusal::AlreadyUsed))
        .count();
    assert_eq!((wins, used), (1, 19));
    let filter = SessionFilter {
        user_id: Some(user.id),
        status: None,
    };
    let (_, total) = store
        .list_sessions(filter, 2_000, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(total, 1);
}

async fn same_browser_replaces(store: &dyn Store) {
    let (_, _) = user_and_token(store, "flow-b1", 1_000).await;
    let (_, _) = user_and_token(store, "flow-b2", 1_000).await;
    let (_, _) = user_and_token(store, "flow-b3", 1_000).await;
    let first_req = request("flow-b1", 2_000, None);
    let cookie_hash = first_req.new_client.cookie_hash;
    let first = accepted(accept(store, first_req).await);
    // Presenting the cookie: same client, the first session is replaced.
    let mut second_req = request("flow-b2", 3_000, None);
    second_req.presented_client_hash = Some(cookie_hash);
    let second = accepted(accept(store, second_req).await);
    assert!(!second.new_client);
    assert_eq!(second.session.client_id, first.session.client_id);
    assert_eq!(second.replaced, vec![first.session.id.clone()]);
    let replaced = store
        .get_session(first.session.id.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (replaced.status, replaced.updated_at),
        (SessionStatus::Replaced, 3_000)
    );
    let current = store.session_for_client(cookie_hash, 3_000).await.unwrap();
    assert_eq!(current.map(|s| s.id), Some(second.session.id.clone()));
    // An unknown cookie: a new client; nothing replaced.
    let third = accepted(accept(store, request("flow-b3", 4_000, Some("unknown"))).await);
    assert!(third.new_client);
    assert!(third.replaced.is_empty());
    assert_eq!(
        store
            .session_for_client(ids::secret_hash("unknown"), 4_000)
            .await
            .unwrap(),
        None
    );
}

async fn session_transitions(store: &dyn Store) {
    let (_, _) = user_and_token(store, "flow-s1", 1_000).await;
    let s = accepted(accept(store, request("flow-s1", 2_000, None)).await).session;
    let end = || audit("session.ended", 0);

    // Touch: activity moves, the cap does not.
    let TouchOutcome::Touched(t) = store
        .touch_session(s.id.clone(), 12_000, end())
        .await
        .unwrap()
    else {
        panic!("an active session is touched")
    };
    assert_eq!(t.last_active_at, 12_000);
    assert_eq!(t.expire_at, s.expire_at);
    assert_eq!(t.abandon_at, s.expire_at, "capped at 30 s");
    // Past the cap: expired, persisted.
    let outcome = store
        .touch_session(s.id.clone(), s.expire_at, end())
        .await
        .unwrap();
    assert!(matches!(&outcome, TouchOutcome::NotActive(x) if x.status == SessionStatus::Expired));
    let stored = store.get_session(s.id.clone()).await.unwrap().unwrap();
    assert_eq!(stored.status, SessionStatus::Expired);
    assert!(matches!(
        store.revoke_session(s.id.clone(), s.expire_at + 1, end()).await.unwrap(),
        SessionRevokeOutcome::NotActive(x) if x.status == SessionStatus::Expired
    ));

    // Revoke: once.
    let (_, _) = user_and_token(store, "flow-s2", 1_000).await;
    let s = accepted(accept(store, request("flow-s2", 2_000, None)).await).session;
    assert!(matches!(
        store.revoke_session(s.id.clone(), 3_000, end()).await.unwrap(),
        SessionRevokeOutcome::Revoked(x) if x.status == SessionStatus::Revoked
    ));
    assert!(matches!(
        store
            .revoke_session(s.id.clone(), 3_001, end())
            .await
            .unwrap(),
        SessionRevokeOutcome::NotActive(_)
    ));
    assert!(matches!(
        store.touch_session(s.id.clone(), 3_002, end()).await.unwrap(),
        TouchOutcome::NotActive(x) if x.status == SessionStatus::Revoked
    ));
    assert_eq!(
        store
            .revoke_session("sess_missing".into(), 1, end())
            .await
            .unwrap(),
        SessionRevokeOutcome::NotFound
    );
    assert_eq!(
        store
            .touch_session("sess_missing".into(), 1, end())
            .await
            .unwrap(),
        TouchOutcome::NotFound
    );

    // Listing computes the status with the clock, before anything persists it.
    let mut long = token_for("unused", 0);
    long.session_max_duration_in_seconds = 3_600;
    let user = User::new(ids::user_id(), 0, 0);
    store.insert_users(vec![user.clone()]).await.unwrap();
    long.user_id = user.id.clone();
    store
        .create_actor_token(
            long,
            ids::secret_hash("flow-s3"),
            None,
            audit("actor_token.created", 0),
        )
        .await
        .unwrap();
    let s = accepted(accept(store, request("flow-s3", 1_000, None)).await).session;
    let idle = 1_000 + INACTIVITY_TIMEOUT_MS;
    let by = |status| SessionFilter {
        user_id: Some(user.id.clone()),
        status: Some(status),
    };
    let page = PageRequest::default();
    let (active, _) = store
        .list_sessions(by(SessionStatus::Active), idle - 1, page)
        .await
        .unwrap();
    assert_eq!(active.len(), 1);
    let (active, _) = store
        .list_sessions(by(SessionStatus::Active), idle, page)
        .await
        .unwrap();
    assert!(active.is_empty());
    let (abandoned, total) = store
        .list_sessions(by(SessionStatus::Abandoned), idle, page)
        .await
        .unwrap();
    assert_eq!((abandoned[0].id.as_str(), total), (s.id.as_str(), 1));
    assert_eq!(abandoned[0].status, SessionStatus::Abandoned);
}

async fn deleting_a_user_removes_its_sessions(store: &dyn Store) {
    let (user, _) = user_and_token(store, "flow-del", 1_000).await;
    let s = accepted(accept(store, request("flow-del", 2_000, None)).await).session;
    assert!(
        store
            .delete_user(user.id.clone(), 3_000, audit("session.ended", 3_000))
            .await
            .unwrap()
    );
    let removed = store.get_session(s.id.clone()).await.unwrap().unwrap();
    assert_eq!(
        (removed.status, removed.updated_at),
        (SessionStatus::Removed, 3_000)
    );
    let (events, _) = store
        .list_audit_events(
            AuditFilter {
                user_id: Some(user.id),
                actor_sub: None,
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(events[0].action, "session.ended");
    assert_eq!(events[0].session_id.as_deref(), Some(s.id.as_str()));
}

fn signing_key(kid: &str, created_at: i64) -> SigningKeyRecord {
    SigningKeyRecord::new(
        SealedSigningKey {
            kid: kid.into(),
            public_jwk: Jwk {
                kty: "RSA".into(),
                key_use: "sig".into(),
                alg: "RS256".into(),
                kid: kid.into(),
                n: "n".into(),
                e: "AQAB".into(),
            },
            sealed_private: vec![1, 2, 3],
        },
        created_at,
    )
}

async fn signing_keys(store: &dyn Store) {
    assert!(store.list_signing_keys().await.unwrap().is_empty());
    let first = signing_key("kid-a", 10);
    assert!(store.insert_first_signing_key(first.clone()).await.unwrap());
    assert!(
        !store
            .insert_first_signing_key(signing_key("kid-b", 11))
            .await
            .unwrap()
    );
    assert_eq!(
        store.list_signing_keys().await.unwrap(),
        vec![first.clone()]
    );
    store
        .rotate_signing_key(signing_key("kid-c", 20))
        .await
        .unwrap();
    let keys = store.list_signing_keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        (keys[0].key.kid.as_str(), keys[0].retired_at),
        ("kid-a", Some(20))
    );
    assert_eq!(
        (keys[1].key.kid.as_str(), keys[1].retired_at),
        ("kid-c", None)
    );
    assert_eq!(keys[1].key.sealed_private, vec![1, 2, 3]);
}

async fn audit_filters(store: &dyn Store) {
    let (user, token) = user_and_token(store, "flow-audit", 1_000).await;
    let by_user = AuditFilter {
        user_id: Some(user.id.clone()),
        actor_sub: None,
    };
    let (events, total) = store
        .list_audit_events(by_user, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(events[0].actor_token_id.as_deref(), Some(token.id.as_str()));
    let nobody = AuditFilter {
        user_id: None,
        actor_sub: Some("user_nobody".into()),
    };
    let (events, total) = store
        .list_audit_events(nobody, PageRequest::default())
        .await
        .unwrap();
    assert_eq!((events.len(), total), (0, 0));
}
