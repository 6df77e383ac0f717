-- Understudy schema, version 3: accepting a ticket looks up the key that created the token;
-- without this index that lookup scanned the whole (append-only) audit log.

CREATE INDEX IF NOT EXISTS audit_events_by_token ON audit_events (actor_token_id, seq);
