//! Durable actor-token creates under concurrency: group commit against one transaction (and
//! one fsync) per write. Run with `cargo bench -p understudy --bench store`.

use std::sync::Arc;

use clerk_models::User;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use understudy::domain::ids;
use understudy::store::sqlite::WriteMode;
use understudy::store::{AuditEvent, SqliteStore, Store, suite};

const CONCURRENT: usize = 64;

fn audit() -> AuditEvent {
    AuditEvent {
        id: ids::audit_event_id(),
        occurred_at: 1,
        action: "actor_token.created".into(),
        secret_key_id: Some("ak_bench".into()),
        actor_sub: Some("user_actor".into()),
        user_id: None,
        actor_token_id: None,
        session_id: None,
        trace_id: None,
        reason: None,
    }
}

fn creates(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("concurrent_actor_token_creates");
    group.sample_size(10);
    group.throughput(Throughput::Elements(CONCURRENT as u64));
    for (name, mode) in [
        ("group_commit", WriteMode::GroupCommit),
        ("per_write_baseline", WriteMode::PerWrite),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open_with(&dir.path().join("bench.db"), mode).unwrap());
        let user = User::new(ids::user_id(), 1, 1);
        rt.block_on(store.insert_users(vec![user.clone()])).unwrap();
        group.bench_function(BenchmarkId::new(name, CONCURRENT), |b| {
            b.to_async(&rt).iter(|| {
                let store = Arc::clone(&store);
                let user_id = user.id.clone();
                async move {
                    let tasks: Vec<_> = (0..CONCURRENT)
                        .map(|_| {
                            let store = Arc::clone(&store);
                            let token = suite::token_for(&user_id, 1);
                            tokio::spawn(async move {
                                store
                                    .create_actor_token(
                                        token,
                                        ids::secret_hash(&ids::new_ticket()),
                                        None,
                                        audit(),
                                    )
                                    .await
                                    .unwrap()
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await.unwrap();
                    }
                }
            });
        });
        rt.block_on(store.close());
    }
    group.finish();
}

criterion_group!(benches, creates);
criterion_main!(benches);
