-- Understudy schema, version 2: browsers (clients), sessions and signing keys.

CREATE TABLE IF NOT EXISTS clients (
    id           TEXT PRIMARY KEY,
    cookie_hash  BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL
);

-- No foreign key to users: a deleted user's sessions stay, as `removed`.
CREATE TABLE IF NOT EXISTS sessions (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL REFERENCES clients (id),
    user_id         TEXT NOT NULL,
    status          TEXT NOT NULL,
    actor           TEXT,
    actor_sub       TEXT,
    actor_token_id  TEXT,
    last_active_at  INTEGER NOT NULL,
    expire_at       INTEGER NOT NULL,
    abandon_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_created ON sessions (created_at, id);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id, created_at);
CREATE INDEX IF NOT EXISTS sessions_by_client ON sessions (client_id, status);

-- The private half is sealed (AES-256-GCM under the master key); never stored in clear.
CREATE TABLE IF NOT EXISTS signing_keys (
    kid             TEXT PRIMARY KEY,
    public_jwk      TEXT NOT NULL,
    sealed_private  BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    retired_at      INTEGER
);

CREATE INDEX IF NOT EXISTS audit_events_by_user ON audit_events (user_id, seq);
CREATE INDEX IF NOT EXISTS audit_events_by_actor ON audit_events (actor_sub, seq);
