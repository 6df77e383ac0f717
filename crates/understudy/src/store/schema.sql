-- Understudy schema, version 1. Secrets are stored only as SHA-256 hashes.
-- Later versions (sessions, signing keys) are appended as further migrations.

CREATE TABLE IF NOT EXISTS secret_keys (
    id          TEXT PRIMARY KEY,
    key_hash    BLOB NOT NULL UNIQUE,
    label       TEXT,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE IF NOT EXISTS users (
    id                        TEXT PRIMARY KEY,
    external_id               TEXT,
    first_name                TEXT,
    last_name                 TEXT,
    username                  TEXT,
    primary_email_address_id  TEXT,
    email_addresses           TEXT NOT NULL DEFAULT '[]',
    public_metadata           TEXT NOT NULL DEFAULT '{}',
    private_metadata          TEXT NOT NULL DEFAULT '{}',
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS users_by_created ON users (created_at, id);

CREATE TABLE IF NOT EXISTS actor_tokens (
    id                               TEXT PRIMARY KEY,
    ticket_hash                      BLOB NOT NULL UNIQUE,
    status                           TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
    user_id                          TEXT NOT NULL,
    actor                            TEXT NOT NULL,
    actor_sub                        TEXT NOT NULL,
    expires_at                       INTEGER NOT NULL,
    session_max_duration_in_seconds  INTEGER NOT NULL,
    created_at                       INTEGER NOT NULL,
    updated_at                       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS actor_tokens_by_created ON actor_tokens (created_at, id);
CREATE INDEX IF NOT EXISTS actor_tokens_by_user ON actor_tokens (user_id, created_at);
CREATE INDEX IF NOT EXISTS actor_tokens_by_actor ON actor_tokens (actor_sub, created_at);

CREATE TABLE IF NOT EXISTS audit_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    occurred_at     INTEGER NOT NULL,
    action          TEXT NOT NULL,
    secret_key_id   TEXT,
    actor_sub       TEXT,
    user_id         TEXT,
    actor_token_id  TEXT,
    session_id      TEXT,
    trace_id        TEXT,
    reason          TEXT
);
CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
