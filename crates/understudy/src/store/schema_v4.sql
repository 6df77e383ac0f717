-- Understudy schema, version 4: a username or email address belongs to one user at a time
-- (Clerk answers 422 form_identifier_exists). Values are ASCII-lowercased, as SQLite's lower().

CREATE TABLE IF NOT EXISTS user_identifiers (
    kind     TEXT NOT NULL CHECK (kind IN ('username', 'email_address')),
    value    TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS user_identifiers_by_user ON user_identifiers (user_id);

-- Earlier versions let identifiers repeat: the oldest user keeps each one.
INSERT OR IGNORE INTO user_identifiers (kind, value, user_id)
    SELECT 'username', lower(username), id FROM users
    WHERE username IS NOT NULL AND username <> '' ORDER BY created_at, id;
INSERT OR IGNORE INTO user_identifiers (kind, value, user_id)
    SELECT 'email_address', lower(json_extract(e.value, '$.email_address')), u.id
    FROM users AS u, json_each(u.email_addresses) AS e
    WHERE json_extract(e.value, '$.email_address') IS NOT NULL
    ORDER BY u.created_at, u.id;

-- Deleting a user frees its identifiers.
CREATE TRIGGER IF NOT EXISTS users_release_identifiers AFTER DELETE ON users
BEGIN DELETE FROM user_identifiers WHERE user_id = OLD.id; END;
