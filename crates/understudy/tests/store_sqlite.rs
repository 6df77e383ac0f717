//! The store suite against SQLite, in both commit modes.

use understudy::store::sqlite::WriteMode;
use understudy::store::{SqliteStore, Store, suite};

#[tokio::test]
async fn sqlite_group_commit_passes_the_store_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("a.db")).unwrap();
    suite::run_all(&store).await;
    store.close().await;
}

#[tokio::test]
async fn sqlite_per_write_passes_the_store_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_with(&dir.path().join("b.db"), WriteMode::PerWrite).unwrap();
    suite::run_all(&store).await;
    store.close().await;
}

#[tokio::test]
async fn a_closed_store_refuses_writes_and_reopening_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let store = SqliteStore::open(&path).unwrap();
    let user = clerk_models::User::new("user_keep", 1, 1);
    store.insert_users(vec![user.clone()]).await.unwrap();
    store.close().await;
    assert!(
        store
            .insert_users(vec![clerk_models::User::new("user_late", 1, 1)])
            .await
            .is_err()
    );
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(
        again.get_user("user_keep".into()).await.unwrap(),
        Some(user)
    );
    again.close().await;
}

#[tokio::test]
async fn audit_rows_cannot_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    let store = SqliteStore::open(&path).unwrap();
    suite::run_all(&store).await;
    store.close().await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    assert!(
        conn.execute("UPDATE audit_events SET action = 'x'", [])
            .is_err()
    );
    assert!(conn.execute("DELETE FROM audit_events", []).is_err());
    // Secrets are stored only as 32-byte hashes.
    let len: i64 = conn
        .query_row(
            "SELECT length(ticket_hash) FROM actor_tokens LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(len, 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_queued_behind_a_busy_database_commit_together() {
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.db");
    let store = std::sync::Arc::new(SqliteStore::open(&path).unwrap());
    let stats = store.batch_stats();
    // Another connection holds the write lock, so the writer stalls on its first batch
    // while the rest of the writes queue up behind it.
    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = std::sync::Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .insert_users(vec![clerk_models::User::new(format!("user_{i}"), 1, 1)])
                    .await
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    blocker.execute_batch("COMMIT").unwrap();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let batches = stats.batches.load(Ordering::Relaxed);
    let writes = stats.writes.load(Ordering::Relaxed);
    assert_eq!(writes, 50);
    assert!(batches <= 3, "50 queued writes took {batches} transactions");
    let (_, total) = store
        .list_users(understudy::domain::pagination::PageRequest::default())
        .await
        .unwrap();
    assert_eq!(total, 50);
    store.close().await;
}

#[tokio::test]
async fn accepting_looks_up_the_creating_key_by_index_not_by_scanning_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.db");
    let store = SqliteStore::open(&path).unwrap();
    store.close().await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    let plan: Vec<String> = conn
        .prepare(&format!(
            "EXPLAIN QUERY PLAN {}",
            understudy::store::sqlite::CREATING_KEY_QUERY
        ))
        .unwrap()
        .query_map(["act_x"], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter()
            .any(|step| step.contains("audit_events_by_token")),
        "plan: {plan:?}"
    );
    assert!(
        !plan.iter().any(|step| step.starts_with("SCAN")),
        "plan: {plan:?}"
    );
}

#[tokio::test]
async fn upgrading_keeps_duplicate_identifiers_with_the_oldest_user() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upgrade.db");
    SqliteStore::open(&path).unwrap().close().await;
    // Back to schema 3, with users that repeat a username and an address, as it allowed.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER users_release_identifiers; DROP TABLE user_identifiers;
         PRAGMA user_version = 3;
         INSERT INTO users (id, username, email_addresses, created_at, updated_at) VALUES
           ('user_new', 'Bob', '[{\"object\":\"email_address\",\"id\":\"idn_2\",\"email_address\":\"B@x.io\"}]', 2, 2),
           ('user_old', 'bob', '[{\"object\":\"email_address\",\"id\":\"idn_1\",\"email_address\":\"b@x.io\"}]', 1, 1);",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    store.close().await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    let owners: Vec<(String, String, String)> = conn
        .prepare("SELECT kind, value, user_id FROM user_identifiers ORDER BY kind")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        owners,
        [
            ("email_address".into(), "b@x.io".into(), "user_old".into()),
            ("username".into(), "bob".into(), "user_old".into()),
        ]
    );
}
