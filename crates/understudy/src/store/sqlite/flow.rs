//! SQLite for the impersonation flow: accepting tickets, sessions, clients, signing keys.
//! Every function runs inside the writer's transaction (or on a read connection) it is given.

use clerk_models::{ActorTokenStatus, SessionStatus};
use rusqlite::{Connection, OptionalExtension, params};

use super::{
    TOKEN_COLUMNS, backend, complete_audit, count, from_json, get_token, insert_audit, to_json,
    token_from_row,
};
use crate::domain::actor_token::ActorTokenRecord;
use crate::domain::ids;
use crate::domain::pagination::PageRequest;
use crate::domain::session::{SessionFilter, SessionRecord, Touch, touch};
use crate::domain::ticket::{AcceptRefusal, check_accept};
use crate::keys::{Jwk, SealedSigningKey, SigningKeyRecord};
use crate::store::flow::{
    AcceptOutcome, AcceptRequest, Accepted, AuditFilter, SessionRevokeOutcome, TouchOutcome,
};
use crate::store::{AuditEvent, StoreError};

pub(super) const SESSION_COLUMNS: &str = "id, client_id, user_id, status, actor, actor_token_id, \
    last_active_at, expire_at, abandon_at, created_at, updated_at";

/// The status as shown at `?now`: an active session past `abandon_at` has ended.
const COMPUTED_STATUS: &str = "CASE WHEN status = 'active' AND ?1 >= abandon_at THEN \
    (CASE WHEN abandon_at >= expire_at THEN 'expired' ELSE 'abandoned' END) ELSE status END";

fn corrupt(what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, what.into())
}

pub(super) fn session_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRecord> {
    let status: String = row.get("status")?;
    let status = SessionStatus::parse(&status)
        .ok_or_else(|| corrupt(format!("unknown session status {status:?}")))?;
    let actor: Option<String> = row.get("actor")?;
    Ok(SessionRecord {
        id: row.get("id")?,
        client_id: row.get("client_id")?,
        user_id: row.get("user_id")?,
        status,
        actor: actor.as_deref().map(from_json).transpose()?,
        actor_token_id: row.get("actor_token_id")?,
        last_active_at: row.get("last_active_at")?,
        expire_at: row.get("expire_at")?,
        abandon_at: row.get("abandon_at")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

pub(super) fn get_session(
    conn: &Connection,
    id: &str,
) -> Result<Option<SessionRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?1"
    ))
    .and_then(|mut s| s.query_row([id], session_from_row).optional())
    .map_err(backend)
}

fn insert_session(conn: &Connection, s: &SessionRecord) -> Result<(), StoreError> {
    let actor = s.actor.as_ref().map(to_json).transpose()?;
    conn.prepare_cached(&format!(
        "INSERT INTO sessions ({SESSION_COLUMNS}, actor_sub)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    ))
    .and_then(|mut stmt| {
        stmt.execute(params![
            s.id,
            s.client_id,
            s.user_id,
            s.status.as_str(),
            actor,
            s.actor_token_id,
            s.last_active_at,
            s.expire_at,
            s.abandon_at,
            s.created_at,
            s.updated_at,
            s.actor.as_ref().map(|a| a.sub.clone()),
        ])
    })
    .map_err(backend)?;
    Ok(())
}

/// Writes `s`'s status, activity and `updated_at`, only if the row is still active.
/// Whether it was.
fn update_active_session(conn: &Connection, s: &SessionRecord) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached(
            "UPDATE sessions SET status = ?2, last_active_at = ?3, abandon_at = ?4, updated_at = ?5
             WHERE id = ?1 AND status = 'active'",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                s.id,
                s.status.as_str(),
                s.last_active_at,
                s.abandon_at,
                s.updated_at
            ])
        })
        .map_err(backend)?;
    Ok(n == 1)
}

/// The `session.ended` audit row for `s`, from `template` (key, trace id), with a fresh id.
fn session_audit(template: &AuditEvent, s: &SessionRecord, action: &str) -> AuditEvent {
    let mut audit = template.clone();
    audit.id = ids::audit_event_id();
    audit.action = action.to_owned();
    audit.session_id = Some(s.id.clone());
    audit.user_id = Some(s.user_id.clone());
    audit.actor_token_id = s.actor_token_id.clone().or(audit.actor_token_id);
    if let Some(actor) = &s.actor {
        audit.actor_sub = Some(actor.sub.clone());
        audit.reason = actor
            .get("reason")
            .and_then(|r| r.as_str())
            .map(str::to_owned);
    }
    audit
}

/// Ends the active session `s` with `status` at `now`, and writes its `session.ended` row.
/// A session that time had already ended keeps that status instead. Returns the final record.
fn end_session(
    conn: &Connection,
    s: &SessionRecord,
    status: SessionStatus,
    now: i64,
    template: &AuditEvent,
) -> Result<SessionRecord, StoreError> {
    let mut current = s.at(now);
    if current.status == SessionStatus::Active {
        current.end(status, now);
    }
    if s.status == SessionStatus::Active && update_active_session(conn, &current)? {
        insert_audit(conn, &session_audit(template, &current, "session.ended"))?;
    }
    Ok(current)
}

fn token_by_ticket(
    conn: &Connection,
    ticket_hash: &[u8; 32],
) -> Result<Option<ActorTokenRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {TOKEN_COLUMNS} FROM actor_tokens WHERE ticket_hash = ?1"
    ))
    .and_then(|mut s| {
        s.query_row([ticket_hash.as_slice()], token_from_row)
            .optional()
    })
    .map_err(backend)
}

/// Finds the client by its cookie hash, or creates `req.new_client`. Returns the client id
/// and whether it was created.
fn client_for(conn: &Connection, req: &AcceptRequest) -> Result<(String, bool), StoreError> {
    if let Some(hash) = req.presented_client_hash {
        let found: Option<String> = conn
            .prepare_cached("SELECT id FROM clients WHERE cookie_hash = ?1")
            .and_then(|mut s| s.query_row([hash.as_slice()], |r| r.get(0)).optional())
            .map_err(backend)?;
        if let Some(id) = found {
            return Ok((id, false));
        }
    }
    conn.execute(
        "INSERT INTO clients (id, cookie_hash, created_at) VALUES (?1, ?2, ?3)",
        params![
            req.new_client.id,
            req.new_client.cookie_hash.as_slice(),
            req.now_ms
        ],
    )
    .map_err(backend)?;
    Ok((req.new_client.id.clone(), true))
}

fn active_sessions_of_client(
    conn: &Connection,
    client_id: &str,
) -> Result<Vec<SessionRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE client_id = ?1 AND status = 'active'"
    ))
    .and_then(|mut s| {
        s.query_map([client_id], session_from_row)?
            .collect::<Result<Vec<_>, _>>()
    })
    .map_err(backend)
}

/// The secret key that created the token, from its creation audit row.
fn creating_key(conn: &Connection, token_id: &str) -> Result<Option<String>, StoreError> {
    conn.prepare_cached(super::CREATING_KEY_QUERY)
        .and_then(|mut s| {
            s.query_row([token_id], |r| r.get::<_, Option<String>>(0))
                .optional()
        })
        .map(Option::flatten)
        .map_err(backend)
}

/// Accepts a ticket: the compare-and-set, the user check, the client, replacing the
/// browser's other sessions, the new session and the audit rows, in one transaction.
pub(super) fn accept_ticket(
    conn: &Connection,
    req: AcceptRequest,
    mut audit: AuditEvent,
) -> Result<AcceptOutcome, StoreError> {
    let now = req.now_ms;
    let Some(mut token) = token_by_ticket(conn, &req.ticket_hash)? else {
        return Ok(AcceptOutcome::Refused(AcceptRefusal::CannotBeUsed));
    };
    if let Err(refusal) = check_accept(&token, now) {
        return Ok(AcceptOutcome::Refused(refusal));
    }
    if count(
        conn,
        "SELECT COUNT(*) FROM users WHERE id = ?1",
        &[&token.user_id],
    )? == 0
    {
        return Ok(AcceptOutcome::Refused(AcceptRefusal::SubjectNotFound));
    }
    // The writer thread serialises writes; the WHERE clause keeps the compare-and-set
    // honest against any other process writing the same file.
    let changed = conn
        .execute(
            "UPDATE actor_tokens SET status = 'accepted', updated_at = ?2
             WHERE id = ?1 AND status = 'pending'",
            params![token.id, now],
        )
        .map_err(backend)?;
    if changed == 0 {
        let current = get_token(conn, &token.id)?;
        let refusal = current
            .and_then(|t| check_accept(&t, now).err())
            .unwrap_or(AcceptRefusal::CannotBeUsed);
        return Ok(AcceptOutcome::Refused(refusal));
    }
    token.status = ActorTokenStatus::Accepted;
    token.updated_at = now;

    let (client_id, new_client) = client_for(conn, &req)?;
    let mut replaced = Vec::new();
    for old in active_sessions_of_client(conn, &client_id)? {
        let ended = end_session(conn, &old, SessionStatus::Replaced, now, &audit)?;
        if ended.status == SessionStatus::Replaced {
            replaced.push(ended.id);
        }
    }
    let session = SessionRecord::new_active(
        req.session_id.clone(),
        client_id,
        token.user_id.clone(),
        Some(token.actor.clone()),
        Some(token.id.clone()),
        now,
        token.session_max_duration_in_seconds,
    );
    insert_session(conn, &session)?;

    complete_audit(&mut audit, &token);
    audit.session_id = Some(session.id.clone());
    if audit.secret_key_id.is_none() {
        audit.secret_key_id = creating_key(conn, &token.id)?;
    }
    insert_audit(conn, &audit)?;
    Ok(AcceptOutcome::Accepted(Box::new(Accepted {
        token,
        session,
        new_client,
        replaced,
    })))
}

/// Records activity on an active session, or persists that time ended it.
pub(super) fn touch_session(
    conn: &Connection,
    id: &str,
    now: i64,
    template: &AuditEvent,
) -> Result<TouchOutcome, StoreError> {
    let Some(session) = get_session(conn, id)? else {
        return Ok(TouchOutcome::NotFound);
    };
    match touch(&session, now) {
        Touch::Touched(touched) => {
            if update_active_session(conn, &touched)? {
                Ok(TouchOutcome::Touched(touched))
            } else {
                Ok(TouchOutcome::NotActive(session))
            }
        }
        Touch::Ended(ended) => {
            if update_active_session(conn, &ended)? {
                insert_audit(conn, &session_audit(template, &ended, "session.ended"))?;
            }
            Ok(TouchOutcome::NotActive(ended))
        }
        Touch::NotActive(s) => Ok(TouchOutcome::NotActive(s)),
    }
}

/// Revokes an active session.
pub(super) fn revoke_session(
    conn: &Connection,
    id: &str,
    now: i64,
    template: &AuditEvent,
) -> Result<SessionRevokeOutcome, StoreError> {
    let Some(session) = get_session(conn, id)? else {
        return Ok(SessionRevokeOutcome::NotFound);
    };
    if session.status_at(now) != SessionStatus::Active {
        let ended = end_session(conn, &session, SessionStatus::Revoked, now, template)?;
        return Ok(SessionRevokeOutcome::NotActive(ended));
    }
    let ended = end_session(conn, &session, SessionStatus::Revoked, now, template)?;
    Ok(SessionRevokeOutcome::Revoked(ended))
}

/// Ends every active session of a user being deleted (status `removed`).
pub(super) fn remove_user_sessions(
    conn: &Connection,
    user_id: &str,
    now: i64,
    template: &AuditEvent,
) -> Result<(), StoreError> {
    let sessions: Vec<SessionRecord> = conn
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1 AND status = 'active'"
        ))
        .and_then(|mut s| {
            s.query_map([user_id], session_from_row)?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(backend)?;
    for s in sessions {
        end_session(conn, &s, SessionStatus::Removed, now, template)?;
    }
    Ok(())
}

/// The newest session of the client with this cookie hash, as it stands at `now`.
pub(super) fn session_for_client(
    conn: &Connection,
    cookie_hash: &[u8; 32],
    now: i64,
) -> Result<Option<SessionRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {} FROM sessions s JOIN clients c ON c.id = s.client_id
         WHERE c.cookie_hash = ?1 ORDER BY s.created_at DESC, s.rowid DESC LIMIT 1",
        SESSION_COLUMNS
            .split(", ")
            .map(|c| format!("s.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .and_then(|mut s| {
        s.query_row([cookie_hash.as_slice()], session_from_row)
            .optional()
    })
    .map(|found| found.map(|s| s.at(now)))
    .map_err(backend)
}

/// A page of sessions matching `filter` at `now`, newest first, and how many match.
pub(super) fn list_sessions(
    conn: &Connection,
    filter: &SessionFilter,
    now: i64,
    page: PageRequest,
) -> Result<(Vec<SessionRecord>, u64), StoreError> {
    let condition =
        format!("(?2 IS NULL OR user_id = ?2) AND (?3 IS NULL OR ({COMPUTED_STATUS}) = ?3)");
    let status = filter.status.map(|s| s.as_str());
    let total = conn
        .query_row(
            &format!("SELECT COUNT(*) FROM sessions WHERE {condition}"),
            params![now, filter.user_id, status],
            |r| r.get::<_, i64>(0),
        )
        .map_err(backend)?;
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE {condition}
             ORDER BY created_at DESC, id DESC LIMIT ?4 OFFSET ?5"
        ))
        .and_then(|mut s| {
            s.query_map(
                params![now, filter.user_id, status, page.limit, page.offset as i64],
                session_from_row,
            )?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(backend)?;
    Ok((
        rows.into_iter().map(|s| s.at(now)).collect(),
        total.max(0) as u64,
    ))
}

fn signing_key_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SigningKeyRecord> {
    let jwk: Jwk = from_json(&row.get::<_, String>("public_jwk")?)?;
    Ok(SigningKeyRecord {
        key: SealedSigningKey {
            kid: row.get("kid")?,
            public_jwk: jwk,
            sealed_private: row.get("sealed_private")?,
        },
        created_at: row.get("created_at")?,
        retired_at: row.get("retired_at")?,
    })
}

pub(super) fn list_signing_keys(conn: &Connection) -> Result<Vec<SigningKeyRecord>, StoreError> {
    conn.prepare_cached(
        "SELECT kid, public_jwk, sealed_private, created_at, retired_at
         FROM signing_keys ORDER BY created_at, kid",
    )
    .and_then(|mut s| {
        s.query_map([], signing_key_from_row)?
            .collect::<Result<Vec<_>, _>>()
    })
    .map_err(backend)
}

pub(super) fn insert_signing_key(
    conn: &Connection,
    record: &SigningKeyRecord,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO signing_keys (kid, public_jwk, sealed_private, created_at, retired_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            record.key.kid,
            to_json(&record.key.public_jwk)?,
            record.key.sealed_private,
            record.created_at,
            record.retired_at
        ],
    )
    .map_err(backend)?;
    Ok(())
}

/// Inserts `record` only when no key is active (none at all, or all retired).
pub(super) fn insert_first_signing_key(
    conn: &Connection,
    record: &SigningKeyRecord,
) -> Result<bool, StoreError> {
    if count(
        conn,
        "SELECT COUNT(*) FROM signing_keys WHERE retired_at IS NULL",
        &[],
    )? > 0
    {
        return Ok(false);
    }
    insert_signing_key(conn, record)?;
    Ok(true)
}

/// Retires every key not retired by `record.created_at` at that instant and inserts `record`.
pub(super) fn rotate_signing_key(
    conn: &Connection,
    record: &SigningKeyRecord,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE signing_keys SET retired_at = ?1 WHERE retired_at IS NULL OR retired_at > ?1",
        [record.created_at],
    )
    .map_err(backend)?;
    insert_signing_key(conn, record)
}

/// A page of audit events matching `filter`, newest first, and how many match.
pub(super) fn list_audit_events(
    conn: &Connection,
    filter: &AuditFilter,
    page: PageRequest,
) -> Result<(Vec<AuditEvent>, u64), StoreError> {
    let condition = "(?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR actor_sub = ?2)";
    let total = conn
        .query_row(
            &format!("SELECT COUNT(*) FROM audit_events WHERE {condition}"),
            params![filter.user_id, filter.actor_sub],
            |r| r.get::<_, i64>(0),
        )
        .map_err(backend)?;
    let rows = conn
        .prepare_cached(&format!(
            "SELECT id, occurred_at, action, secret_key_id, actor_sub, user_id,
                 actor_token_id, session_id, trace_id, reason
             FROM audit_events WHERE {condition} ORDER BY seq DESC LIMIT ?3 OFFSET ?4"
        ))
        .and_then(|mut s| {
            s.query_map(
                params![
                    filter.user_id,
                    filter.actor_sub,
                    page.limit,
                    page.offset as i64
                ],
                super::audit_from_row,
            )?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(backend)?;
    Ok((rows, total.max(0) as u64))
}
