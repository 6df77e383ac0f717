//! The embedded store: SQLite in WAL mode, one writer thread with group commit, reads on
//! separate connections.
//!
//! Group commit: every write is a closure queued to the writer thread. The thread takes all
//! queued closures (up to [`MAX_BATCH`]), runs each inside its own savepoint of ONE
//! transaction, commits once (one fsync, `synchronous=FULL`), and only then answers each
//! caller. So a reply means the row is durable, and many concurrent requests share one fsync.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use clerk_models::{ActorTokenStatus, User};
use futures::FutureExt;
use futures::future::BoxFuture;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use tokio::sync::oneshot;

mod flow;

use super::{
    AcceptOutcome, AcceptRequest, AuditEvent, AuditFilter, CreateTokenOutcome, Quota,
    RevokeOutcome, SecretKeyRecord, SessionRevokeOutcome, Store, StoreError, StoreFuture,
    TouchOutcome,
};
use crate::domain::actor_token::{ActorTokenFilter, ActorTokenRecord, can_revoke};
use crate::domain::pagination::PageRequest;
use crate::domain::session::{SessionFilter, SessionRecord};
use crate::keys::SigningKeyRecord;

/// Most writes committed in one transaction.
pub const MAX_BATCH: usize = 512;
/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 8;
/// The schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("schema_v2.sql"),
    include_str!("schema_v3.sql"),
    include_str!("schema_v4.sql"),
];

/// The query accepting a ticket runs to find the secret key that created the token; public
/// so a test can check its plan uses `audit_events_by_token` (schema v3) and scans nothing.
pub const CREATING_KEY_QUERY: &str = "SELECT secret_key_id FROM audit_events \
     WHERE actor_token_id = ?1 AND action = 'actor_token.created' ORDER BY seq LIMIT 1";

type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type Job = Box<dyn WriteJob>;

/// One queued write: run it inside the batch's transaction, or tell its caller it never ran.
trait WriteJob: Send {
    /// Runs the write; returns whether it succeeded and what to do once the commit is known.
    fn run(self: Box<Self>, conn: &Connection) -> (bool, Completion);
    /// Answers the caller with `err` without running.
    fn fail(self: Box<Self>, err: StoreError);
}

struct TypedJob<R, F> {
    write: F,
    reply: oneshot::Sender<Result<R, StoreError>>,
}

impl<R, F> WriteJob for TypedJob<R, F>
where
    R: Send + 'static,
    F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> (bool, Completion) {
        let TypedJob { write, reply } = *self;
        let result = write(conn);
        let ok = result.is_ok();
        let done: Completion = Box::new(move |commit| {
            let _ = reply.send(commit.and(result));
        });
        (ok, done)
    }

    fn fail(self: Box<Self>, err: StoreError) {
        let _ = self.reply.send(Err(err));
    }
}

enum WriterMsg {
    Job(Job),
    Shutdown,
}

/// Counters the `/metrics` endpoint shows: how writes were batched.
#[derive(Debug, Default)]
pub struct BatchStats {
    /// Transactions committed (or failed).
    pub batches: AtomicU64,
    /// Writes carried by them.
    pub writes: AtomicU64,
    /// Batches by size bucket: 1, 2-4, 5-16, 17-64, 65-256, 257+.
    pub size_buckets: [AtomicU64; 6],
}

/// Upper bounds of [`BatchStats::size_buckets`].
pub const BATCH_BUCKETS: [u64; 5] = [1, 4, 16, 64, 256];

impl BatchStats {
    fn record(&self, size: usize) {
        let size = size as u64;
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.writes.fetch_add(size, Ordering::Relaxed);
        let idx = BATCH_BUCKETS
            .iter()
            .position(|b| size <= *b)
            .unwrap_or(BATCH_BUCKETS.len());
        self.size_buckets[idx].fetch_add(1, Ordering::Relaxed);
    }
}

/// How writes are committed; [`WriteMode::PerWrite`] exists as the benchmark's baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteMode {
    /// Batch queued writes into one transaction and one fsync.
    #[default]
    GroupCommit,
    /// One transaction (and fsync) per write.
    PerWrite,
}

/// The SQLite store.
pub struct SqliteStore {
    sender: Mutex<Option<mpsc::Sender<WriterMsg>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    readers: Arc<ReadPool>,
    stats: Arc<BatchStats>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.readers.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, applies the schema and starts the
    /// writer thread.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, WriteMode::GroupCommit)
    }

    /// As [`SqliteStore::open`], choosing how writes are committed.
    pub fn open_with(path: &Path, mode: WriteMode) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Backend(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let conn = Connection::open(path).map_err(backend)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA busy_timeout = 10000;
             PRAGMA foreign_keys = ON;",
        )
        .map_err(backend)?;
        migrate(&conn)?;
        let stats = Arc::new(BatchStats::default());
        let (sender, receiver) = mpsc::channel();
        let thread_stats = Arc::clone(&stats);
        let writer = std::thread::Builder::new()
            .name("understudy-sqlite-writer".into())
            .spawn(move || writer_loop(conn, receiver, thread_stats, mode))
            .map_err(|e| StoreError::Backend(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            sender: Mutex::new(Some(sender)),
            writer: Mutex::new(Some(writer)),
            readers: Arc::new(ReadPool {
                path: path.to_owned(),
                idle: Mutex::new(Vec::new()),
            }),
            stats,
        })
    }

    /// How writes were batched so far.
    pub fn batch_stats(&self) -> Arc<BatchStats> {
        Arc::clone(&self.stats)
    }

    /// Queues `f` to run in the writer's next transaction; resolves after the commit.
    fn write<R, F>(&self, f: F) -> StoreFuture<'_, R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job: Job = Box::new(TypedJob { write: f, reply });
        let sent = self
            .sender
            .lock()
            .map_err(|_| StoreError::Closed)
            .and_then(|guard| match guard.as_ref() {
                Some(sender) => sender
                    .send(WriterMsg::Job(job))
                    .map_err(|_| StoreError::Closed),
                None => Err(StoreError::Closed),
            });
        async move {
            sent?;
            rx.await.map_err(|_| StoreError::Closed)?
        }
        .boxed()
    }

    /// Runs `f` on a read connection on the blocking pool.
    fn read<R, F>(&self, f: F) -> StoreFuture<'_, R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let pool = Arc::clone(&self.readers);
        async move {
            tokio::task::spawn_blocking(move || {
                let conn = pool.take()?;
                let result = f(&conn);
                pool.put(conn);
                result
            })
            .await
            .map_err(|e| StoreError::Backend(format!("read task failed: {e}")))?
        }
        .boxed()
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        if let Ok(mut sender) = self.sender.lock()
            && let Some(sender) = sender.take()
        {
            let _ = sender.send(WriterMsg::Shutdown);
        }
    }
}

struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    fn take(&self) -> Result<Connection, StoreError> {
        if let Some(conn) = self.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(backend)?;
        conn.execute_batch("PRAGMA busy_timeout = 10000; PRAGMA query_only = ON;")
            .map_err(backend)?;
        Ok(conn)
    }

    fn put(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE_READERS
        {
            idle.push(conn);
        }
    }
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let applied: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(backend)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied.max(0) as usize) {
        let version = i + 1;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}\nPRAGMA user_version = {version}; COMMIT;"
        ))
        .map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
            StoreError::Backend(format!("migration {version} failed: {e}"))
        })?;
    }
    Ok(())
}

fn writer_loop(
    conn: Connection,
    receiver: mpsc::Receiver<WriterMsg>,
    stats: Arc<BatchStats>,
    mode: WriteMode,
) {
    let max_batch = match mode {
        WriteMode::GroupCommit => MAX_BATCH,
        WriteMode::PerWrite => 1,
    };
    let mut shutting_down = false;
    let mut pending: std::collections::VecDeque<Job> = std::collections::VecDeque::new();
    loop {
        if pending.is_empty() && !shutting_down {
            match receiver.recv() {
                Ok(WriterMsg::Job(job)) => pending.push_back(job),
                Ok(WriterMsg::Shutdown) | Err(_) => shutting_down = true,
            }
        }
        // Take everything already queued: that is what makes the commit a group commit.
        loop {
            match receiver.try_recv() {
                Ok(WriterMsg::Job(job)) => pending.push_back(job),
                Ok(WriterMsg::Shutdown) => shutting_down = true,
                Err(_) => break,
            }
        }
        if pending.is_empty() {
            if shutting_down {
                return;
            }
            continue;
        }
        let take = pending.len().min(max_batch);
        let batch: Vec<Job> = pending.drain(..take).collect();
        run_batch(&conn, batch, &stats);
    }
}

fn run_batch(conn: &Connection, batch: Vec<Job>, stats: &BatchStats) {
    stats.record(batch.len());
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let err = StoreError::Backend(format!("cannot begin a transaction: {e}"));
        for job in batch {
            job.fail(err.clone());
        }
        return;
    }
    let mut completions = Vec::with_capacity(batch.len());
    for job in batch {
        // Without its savepoint a failing write could not be undone alone, so it is refused
        // rather than run unprotected.
        if let Err(e) = conn.execute_batch("SAVEPOINT write_op") {
            job.fail(StoreError::Backend(format!("cannot open a savepoint: {e}")));
            continue;
        }
        let (ok, done) = job.run(conn);
        let end = if ok {
            "RELEASE write_op"
        } else {
            "ROLLBACK TO write_op; RELEASE write_op"
        };
        let _ = conn.execute_batch(end);
        completions.push(done);
    }
    let commit = conn
        .execute_batch("COMMIT")
        .map_err(|e| StoreError::Backend(format!("commit failed: {e}")));
    if commit.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    for done in completions {
        done(commit.clone());
    }
}

// ---- row mapping ----

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn key_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SecretKeyRecord> {
    let hash: Vec<u8> = row.get("key_hash")?;
    let key_hash: [u8; 32] = hash.try_into().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Blob,
            "key hash is not 32 bytes".into(),
        )
    })?;
    Ok(SecretKeyRecord {
        id: row.get("id")?,
        key_hash,
        label: row.get("label")?,
        created_at: row.get("created_at")?,
        revoked_at: row.get("revoked_at")?,
    })
}

const KEY_COLUMNS: &str = "id, key_hash, label, created_at, revoked_at";

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let mut user = User::new(
        row.get::<_, String>("id")?,
        row.get("created_at")?,
        row.get("updated_at")?,
    );
    user.external_id = row.get("external_id")?;
    user.first_name = row.get("first_name")?;
    user.last_name = row.get("last_name")?;
    user.username = row.get("username")?;
    user.primary_email_address_id = row.get("primary_email_address_id")?;
    user.email_addresses = from_json(&row.get::<_, String>("email_addresses")?)?;
    user.public_metadata = from_json(&row.get::<_, String>("public_metadata")?)?;
    user.private_metadata = from_json(&row.get::<_, String>("private_metadata")?)?;
    Ok(user)
}

const USER_COLUMNS: &str = "id, external_id, first_name, last_name, username, \
    primary_email_address_id, email_addresses, public_metadata, private_metadata, \
    created_at, updated_at";

fn token_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ActorTokenRecord> {
    let status: String = row.get("status")?;
    let status = ActorTokenStatus::parse(&status).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown actor token status {status:?}").into(),
        )
    })?;
    Ok(ActorTokenRecord {
        id: row.get("id")?,
        status,
        user_id: row.get("user_id")?,
        actor: from_json(&row.get::<_, String>("actor")?)?,
        expires_at: row.get("expires_at")?,
        session_max_duration_in_seconds: row.get("session_max_duration_in_seconds")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

const TOKEN_COLUMNS: &str = "id, status, user_id, actor, expires_at, \
    session_max_duration_in_seconds, created_at, updated_at";

fn audit_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEvent> {
    Ok(AuditEvent {
        id: row.get("id")?,
        occurred_at: row.get("occurred_at")?,
        action: row.get("action")?,
        secret_key_id: row.get("secret_key_id")?,
        actor_sub: row.get("actor_sub")?,
        user_id: row.get("user_id")?,
        actor_token_id: row.get("actor_token_id")?,
        session_id: row.get("session_id")?,
        trace_id: row.get("trace_id")?,
        reason: row.get("reason")?,
    })
}

fn insert_audit(conn: &Connection, e: &AuditEvent) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO audit_events (id, occurred_at, action, secret_key_id, actor_sub, user_id,
             actor_token_id, session_id, trace_id, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut s| {
        s.execute(params![
            e.id,
            e.occurred_at,
            e.action,
            e.secret_key_id,
            e.actor_sub,
            e.user_id,
            e.actor_token_id,
            e.session_id,
            e.trace_id,
            e.reason
        ])
    })
    .map_err(backend)?;
    Ok(())
}

/// Fills the audit fields the caller could not know from the token itself.
fn complete_audit(audit: &mut AuditEvent, token: &ActorTokenRecord) {
    audit.user_id.get_or_insert_with(|| token.user_id.clone());
    audit
        .actor_sub
        .get_or_insert_with(|| token.actor.sub.clone());
    audit.actor_token_id.get_or_insert_with(|| token.id.clone());
    if audit.reason.is_none() {
        audit.reason = token
            .actor
            .get("reason")
            .and_then(|r| r.as_str())
            .map(str::to_owned);
    }
}

fn insert_key(conn: &Connection, key: &SecretKeyRecord) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO secret_keys (id, key_hash, label, created_at, revoked_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            key.id,
            key.key_hash.as_slice(),
            key.label,
            key.created_at,
            key.revoked_at
        ],
    )
    .map_err(backend)?;
    Ok(())
}

/// Records `user`'s username and email addresses as taken; one another user (or this one,
/// listing an address twice) already has refuses the whole write.
fn claim_identifiers(conn: &Connection, user: &User) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare_cached("INSERT INTO user_identifiers (kind, value, user_id) VALUES (?1, ?2, ?3)")
        .map_err(backend)?;
    let username = user.username.iter().filter(|u| !u.is_empty());
    let claims = username.map(|u| ("username", u)).chain(
        user.email_addresses
            .iter()
            .map(|e| ("email_address", &e.email_address)),
    );
    for (param, value) in claims {
        match stmt.execute(params![param, value.to_ascii_lowercase(), user.id]) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                return Err(StoreError::IdentifierExists {
                    param,
                    value: value.clone(),
                });
            }
            Err(e) => return Err(backend(e)),
        }
    }
    Ok(())
}

fn get_token(conn: &Connection, id: &str) -> Result<Option<ActorTokenRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {TOKEN_COLUMNS} FROM actor_tokens WHERE id = ?1"
    ))
    .and_then(|mut s| s.query_row([id], token_from_row).optional())
    .map_err(backend)
}

fn count(conn: &Connection, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<u64, StoreError> {
    conn.query_row(sql, args, |r| r.get::<_, i64>(0))
        .map(|n| n.max(0) as u64)
        .map_err(backend)
}

impl Store for SqliteStore {
    fn ensure_secret_key(&self, key: SecretKeyRecord) -> StoreFuture<'_, SecretKeyRecord> {
        self.write(move |conn| {
            let existing = conn
                .query_row(
                    &format!("SELECT {KEY_COLUMNS} FROM secret_keys WHERE key_hash = ?1"),
                    [key.key_hash.as_slice()],
                    key_from_row,
                )
                .optional()
                .map_err(backend)?;
            match existing {
                Some(mut found) => {
                    if found.revoked_at.is_some() {
                        conn.execute(
                            "UPDATE secret_keys SET revoked_at = NULL WHERE id = ?1",
                            [&found.id],
                        )
                        .map_err(backend)?;
                        found.revoked_at = None;
                    }
                    Ok(found)
                }
                None => {
                    insert_key(conn, &key)?;
                    Ok(key)
                }
            }
        })
    }

    fn insert_first_secret_key(&self, key: SecretKeyRecord) -> StoreFuture<'_, bool> {
        self.write(move |conn| {
            if count(conn, "SELECT COUNT(*) FROM secret_keys", &[])? > 0 {
                return Ok(false);
            }
            insert_key(conn, &key)?;
            Ok(true)
        })
    }

    fn find_secret_key(&self, key_hash: [u8; 32]) -> StoreFuture<'_, Option<SecretKeyRecord>> {
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM secret_keys WHERE key_hash = ?1"
            ))
            .and_then(|mut s| s.query_row([key_hash.as_slice()], key_from_row).optional())
            .map_err(backend)
        })
    }

    fn list_secret_keys(&self) -> StoreFuture<'_, Vec<SecretKeyRecord>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {KEY_COLUMNS} FROM secret_keys ORDER BY created_at, id"
                ))
                .map_err(backend)?;
            let rows = stmt
                .query_map([], key_from_row)
                .and_then(Iterator::collect)
                .map_err(backend)?;
            Ok(rows)
        })
    }

    fn revoke_secret_key(&self, id: String, now_ms: i64) -> StoreFuture<'_, bool> {
        self.write(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE secret_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                    params![id, now_ms],
                )
                .map_err(backend)?;
            Ok(changed == 1)
        })
    }

    fn insert_users(&self, users: Vec<User>) -> StoreFuture<'_, ()> {
        self.write(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "INSERT INTO users ({USER_COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                ))
                .map_err(backend)?;
            for u in &users {
                stmt.execute(params![
                    u.id,
                    u.external_id,
                    u.first_name,
                    u.last_name,
                    u.username,
                    u.primary_email_address_id,
                    to_json(&u.email_addresses)?,
                    to_json(&u.public_metadata)?,
                    to_json(&u.private_metadata)?,
                    u.created_at,
                    u.updated_at
                ])
                .map_err(backend)?;
                claim_identifiers(conn, u)?;
            }
            Ok(())
        })
    }

    fn get_user(&self, id: String) -> StoreFuture<'_, Option<User>> {
        self.read(move |conn| {
            conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))
                .and_then(|mut s| s.query_row([id], user_from_row).optional())
                .map_err(backend)
        })
    }

    fn delete_user(&self, id: String, now_ms: i64, end_audit: AuditEvent) -> StoreFuture<'_, bool> {
        self.write(move |conn| {
            let n = conn
                .execute("DELETE FROM users WHERE id = ?1", [&id])
                .map_err(backend)?;
            if n == 1 {
                flow::remove_user_sessions(conn, &id, now_ms, &end_audit)?;
            }
            Ok(n == 1)
        })
    }

    fn list_users(&self, page: PageRequest) -> StoreFuture<'_, (Vec<User>, u64)> {
        self.read(move |conn| {
            let total = count(conn, "SELECT COUNT(*) FROM users", &[])?;
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM users
                     ORDER BY created_at DESC, id DESC LIMIT ?1 OFFSET ?2"
                ))
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![page.limit, page.offset as i64], user_from_row)
                .and_then(Iterator::collect)
                .map_err(backend)?;
            Ok((rows, total))
        })
    }

    fn create_actor_token(
        &self,
        token: ActorTokenRecord,
        ticket_hash: [u8; 32],
        quota: Option<Quota>,
        audit: AuditEvent,
    ) -> StoreFuture<'_, CreateTokenOutcome> {
        self.write(move |conn| {
            let user_exists = count(
                conn,
                "SELECT COUNT(*) FROM users WHERE id = ?1",
                &[&token.user_id],
            )? > 0;
            if !user_exists {
                return Ok(CreateTokenOutcome::UserNotFound);
            }
            if let Some(q) = quota {
                let used = count(
                    conn,
                    "SELECT COUNT(*) FROM actor_tokens WHERE created_at >= ?1",
                    &[&q.since_ms],
                )?;
                if used >= q.limit {
                    return Ok(CreateTokenOutcome::LimitExceeded {
                        limit: q.limit,
                        used,
                    });
                }
            }
            conn.prepare_cached(
                "INSERT INTO actor_tokens (id, ticket_hash, status, user_id, actor, actor_sub,
                     expires_at, session_max_duration_in_seconds, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    token.id,
                    ticket_hash.as_slice(),
                    token.status.as_str(),
                    token.user_id,
                    to_json(&token.actor)
                        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
                    token.actor.sub,
                    token.expires_at,
                    token.session_max_duration_in_seconds,
                    token.created_at,
                    token.updated_at
                ])
            })
            .map_err(backend)?;
            insert_audit(conn, &audit)?;
            Ok(CreateTokenOutcome::Created(token))
        })
    }

    fn revoke_actor_token(
        &self,
        id: String,
        now_ms: i64,
        mut audit: AuditEvent,
    ) -> StoreFuture<'_, RevokeOutcome> {
        self.write(move |conn| {
            let Some(mut token) = get_token(conn, &id)? else {
                return Ok(RevokeOutcome::NotFound);
            };
            if !can_revoke(token.status) {
                return Ok(RevokeOutcome::NotPending(token));
            }
            // The writer thread serialises writes, and the WHERE clause keeps the
            // compare-and-set honest for any other writer (the CLI in another process).
            let changed = conn
                .execute(
                    "UPDATE actor_tokens SET status = 'revoked', updated_at = ?2
                     WHERE id = ?1 AND status = 'pending'",
                    params![id, now_ms],
                )
                .map_err(backend)?;
            if changed == 0 {
                let current = get_token(conn, &id)?;
                return Ok(current.map_or(RevokeOutcome::NotFound, RevokeOutcome::NotPending));
            }
            token.status = ActorTokenStatus::Revoked;
            token.updated_at = now_ms;
            complete_audit(&mut audit, &token);
            insert_audit(conn, &audit)?;
            Ok(RevokeOutcome::Revoked(token))
        })
    }

    fn get_actor_token(&self, id: String) -> StoreFuture<'_, Option<ActorTokenRecord>> {
        self.read(move |conn| get_token(conn, &id))
    }

    fn list_actor_tokens(
        &self,
        filter: ActorTokenFilter,
        page: PageRequest,
    ) -> StoreFuture<'_, (Vec<ActorTokenRecord>, u64)> {
        self.read(move |conn| {
            // NULL parameters switch a condition off, so one statement serves every filter.
            let condition = "(?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR actor_sub = ?2)
                             AND (?3 IS NULL OR status = ?3)";
            let status = filter.status.map(|s| s.as_str());
            let total = conn
                .query_row(
                    &format!("SELECT COUNT(*) FROM actor_tokens WHERE {condition}"),
                    params![filter.user_id, filter.actor_sub, status],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(backend)?;
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM actor_tokens WHERE {condition}
                     ORDER BY created_at DESC, id DESC LIMIT ?4 OFFSET ?5"
                ))
                .map_err(backend)?;
            let rows = stmt
                .query_map(
                    params![
                        filter.user_id,
                        filter.actor_sub,
                        status,
                        page.limit,
                        page.offset as i64
                    ],
                    token_from_row,
                )
                .and_then(Iterator::collect)
                .map_err(backend)?;
            Ok((rows, total.max(0) as u64))
        })
    }

    fn list_audit_events(
        &self,
        filter: AuditFilter,
        page: PageRequest,
    ) -> StoreFuture<'_, (Vec<AuditEvent>, u64)> {
        self.read(move |conn| flow::list_audit_events(conn, &filter, page))
    }

    fn accept_ticket(
        &self,
        request: AcceptRequest,
        audit: AuditEvent,
    ) -> StoreFuture<'_, AcceptOutcome> {
        self.write(move |conn| flow::accept_ticket(conn, request, audit))
    }

    fn touch_session(
        &self,
        id: String,
        now_ms: i64,
        end_audit: AuditEvent,
    ) -> StoreFuture<'_, TouchOutcome> {
        self.write(move |conn| flow::touch_session(conn, &id, now_ms, &end_audit))
    }

    fn revoke_session(
        &self,
        id: String,
        now_ms: i64,
        audit: AuditEvent,
    ) -> StoreFuture<'_, SessionRevokeOutcome> {
        self.write(move |conn| flow::revoke_session(conn, &id, now_ms, &audit))
    }

    fn get_session(&self, id: String) -> StoreFuture<'_, Option<SessionRecord>> {
        self.read(move |conn| flow::get_session(conn, &id))
    }

    fn list_sessions(
        &self,
        filter: SessionFilter,
        now_ms: i64,
        page: PageRequest,
    ) -> StoreFuture<'_, (Vec<SessionRecord>, u64)> {
        self.read(move |conn| flow::list_sessions(conn, &filter, now_ms, page))
    }

    fn session_for_client(
        &self,
        cookie_hash: [u8; 32],
        now_ms: i64,
    ) -> StoreFuture<'_, Option<SessionRecord>> {
        self.read(move |conn| flow::session_for_client(conn, &cookie_hash, now_ms))
    }

    fn list_signing_keys(&self) -> StoreFuture<'_, Vec<SigningKeyRecord>> {
        self.read(flow::list_signing_keys)
    }

    fn insert_first_signing_key(&self, key: SigningKeyRecord) -> StoreFuture<'_, bool> {
        self.write(move |conn| flow::insert_first_signing_key(conn, &key))
    }

    fn rotate_signing_key(&self, key: SigningKeyRecord) -> StoreFuture<'_, ()> {
        self.write(move |conn| flow::rotate_signing_key(conn, &key))
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        let sender = self.sender.lock().ok().and_then(|mut s| s.take());
        let writer = self.writer.lock().ok().and_then(|mut w| w.take());
        async move {
            if let Some(sender) = sender {
                let _ = sender.send(WriterMsg::Shutdown);
            }
            if let Some(writer) = writer {
                let _ = tokio::task::spawn_blocking(move || writer.join()).await;
            }
        }
        .boxed()
    }
}
