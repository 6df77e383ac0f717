//! The store test suite: behaviour every backend must show. A backend's tests call
//! [`run_all`] with a fresh, empty store (see `tests/store_sqlite.rs`).

use clerk_models::{Actor, ActorTokenStatus, User};

use super::{
    AuditEvent, AuditFilter, CreateTokenOutcome, Quota, RevokeOutcome, SecretKeyRecord, Store,
};
use crate::domain::actor_token::{ActorTokenFilter, ActorTokenRecord, CreateActorToken};
use crate::domain::ids;
use crate::domain::pagination::PageRequest;

/// Runs every check against `store`, which must be empty. Panics on the first failure.
pub async fn run_all(store: &dyn Store) {
    secret_keys(store).await;
    users(store).await;
    actor_tokens(store).await;
    quota(store).await;
    super::flow_suite::run_all(store).await;
}

fn key(secret: &str) -> SecretKeyRecord {
    SecretKeyRecord {
        id: ids::secret_key_id(),
        key_hash: ids::secret_hash(secret),
        label: None,
        created_at: 1,
        revoked_at: None,
    }
}

fn audit(action: &str) -> AuditEvent {
    AuditEvent {
        id: ids::audit_event_id(),
        occurred_at: 1,
        action: action.to_owned(),
        secret_key_id: Some("ak_suite".into()),
        actor_sub: Some("user_actor".into()),
        user_id: None,
        actor_token_id: None,
        session_id: None,
        trace_id: Some("trace".into()),
        reason: None,
    }
}

/// A pending token for `user_id` created at `now`.
pub fn token_for(user_id: &str, now: i64) -> ActorTokenRecord {
    let req = CreateActorToken {
        user_id: user_id.to_owned(),
        actor: Actor::new("user_actor").with("reason", "suite"),
        expires_in_seconds: 60,
        session_max_duration_in_seconds: 30,
    };
    ActorTokenRecord::new_pending(ids::actor_token_id(), &req, now)
}

async fn secret_keys(store: &dyn Store) {
    let first = key("sk_test_first");
    assert!(store.insert_first_secret_key(first.clone()).await.unwrap());
    assert!(
        !store
            .insert_first_secret_key(key("sk_test_second"))
            .await
            .unwrap()
    );
    let found = store
        .find_secret_key(first.key_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, first);
    assert!(
        store
            .find_secret_key(ids::secret_hash("nope"))
            .await
            .unwrap()
            .is_none()
    );

    assert!(store.revoke_secret_key(first.id.clone(), 5).await.unwrap());
    assert!(!store.revoke_secret_key(first.id.clone(), 6).await.unwrap());
    let revoked = store
        .find_secret_key(first.key_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(5));

    // ensure_secret_key revives a revoked key rather than duplicating it.
    let again = store.ensure_secret_key(key("sk_test_first")).await.unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.revoked_at, None);
    let other = store.ensure_secret_key(key("sk_test_other")).await.unwrap();
    assert_ne!(other.id, first.id);
    assert_eq!(store.list_secret_keys().await.unwrap().len(), 2);
}

async fn users(store: &dyn Store) {
    let mut u = User::new(ids::user_id(), 10, 10);
    u.first_name = Some("Ada".into());
    u.public_metadata
        .insert("k".into(), serde_json::json!([1, {"a": null}]));
    store.insert_users(vec![u.clone()]).await.unwrap();
    assert_eq!(store.get_user(u.id.clone()).await.unwrap(), Some(u.clone()));
    // A duplicate id fails and leaves the first in place.
    assert!(store.insert_users(vec![u.clone()]).await.is_err());
    let (page, total) = store.list_users(PageRequest::default()).await.unwrap();
    assert_eq!((page.len(), total), (1, 1));
    assert!(
        store
            .delete_user(u.id.clone(), 2, audit("session.ended"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_user(u.id.clone(), 2, audit("session.ended"))
            .await
            .unwrap()
    );
    assert_eq!(store.get_user(u.id.clone()).await.unwrap(), None);
}

async fn actor_tokens(store: &dyn Store) {
    let user = User::new(ids::user_id(), 1, 1);
    store.insert_users(vec![user.clone()]).await.unwrap();
    let before = store
        .list_audit_events(AuditFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .1;

    let missing = token_for("user_missing", 100);
    let outcome = store
        .create_actor_token(
            missing,
            ids::secret_hash("t0"),
            None,
            audit("actor_token.created"),
        )
        .await
        .unwrap();
    assert_eq!(outcome, CreateTokenOutcome::UserNotFound);

    let token = token_for(&user.id, 100);
    let outcome = store
        .create_actor_token(
            token.clone(),
            ids::secret_hash("t1"),
            None,
            audit("actor_token.created"),
        )
        .await
        .unwrap();
    assert_eq!(outcome, CreateTokenOutcome::Created(token.clone()));
    assert_eq!(
        store.get_actor_token(token.id.clone()).await.unwrap(),
        Some(token.clone())
    );

    let revoked = store
        .revoke_actor_token(token.id.clone(), 200, audit("actor_token.revoked"))
        .await
        .unwrap();
    let RevokeOutcome::Revoked(r) = revoked else {
        panic!("expected Revoked, got {revoked:?}")
    };
    assert_eq!((r.status, r.updated_at), (ActorTokenStatus::Revoked, 200));
    let again = store
        .revoke_actor_token(token.id.clone(), 300, audit("actor_token.revoked"))
        .await
        .unwrap();
    assert!(matches!(again, RevokeOutcome::NotPending(t) if t.updated_at == 200));
    let none = store
        .revoke_actor_token("act_none".into(), 300, audit("actor_token.revoked"))
        .await
        .unwrap();
    assert_eq!(none, RevokeOutcome::NotFound);

    // Exactly one audit row per create and per successful revoke.
    let after = store
        .list_audit_events(AuditFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(after.1, before + 2);
    assert_eq!(after.0[0].action, "actor_token.revoked");

    let second = token_for(&user.id, 150);
    store
        .create_actor_token(
            second.clone(),
            ids::secret_hash("t2"),
            None,
            audit("actor_token.created"),
        )
        .await
        .unwrap();
    let all = store
        .list_actor_tokens(ActorTokenFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(all.1, 2);
    assert_eq!(all.0[0].id, second.id, "newest first");
    let pending = store
        .list_actor_tokens(
            ActorTokenFilter {
                status: Some(ActorTokenStatus::Pending),
                user_id: Some(user.id.clone()),
                actor_sub: Some("user_actor".into()),
            },
            PageRequest {
                limit: 1,
                offset: 0,
            },
        )
        .await
        .unwrap();
    assert_eq!((pending.0.len(), pending.1), (1, 1));
    let paged = store
        .list_actor_tokens(
            ActorTokenFilter::default(),
            PageRequest {
                limit: 1,
                offset: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!(paged.0[0].id, token.id);
}

async fn quota(store: &dyn Store) {
    let user = User::new(ids::user_id(), 1, 1);
    store.insert_users(vec![user.clone()]).await.unwrap();
    // Tokens so far were created at 100 and 150; count from 1000 on.
    let q = Quota {
        limit: 1,
        since_ms: 1000,
    };
    let first = store
        .create_actor_token(
            token_for(&user.id, 1000),
            ids::secret_hash("q1"),
            Some(q),
            audit("actor_token.created"),
        )
        .await
        .unwrap();
    assert!(matches!(first, CreateTokenOutcome::Created(_)));
    let second = store
        .create_actor_token(
            token_for(&user.id, 1001),
            ids::secret_hash("q2"),
            Some(q),
            audit("actor_token.created"),
        )
        .await
        .unwrap();
    assert_eq!(
        second,
        CreateTokenOutcome::LimitExceeded { limit: 1, used: 1 }
    );
}
