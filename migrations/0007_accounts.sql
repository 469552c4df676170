-- The owner's console (SPEC §15): accounts, their sessions, the one-time set-up link, and the
-- audit log of every staff action. Passwords are argon2id PHC strings; set-up tokens are kept
-- only as SHA-256 digests.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,      -- lower-cased
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'staff')),
    staff_id      TEXT,                      -- the staff member a staff account is
    failed_logins BIGINT NOT NULL DEFAULT 0, -- since the last good one
    locked_until  BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

-- A signed-in browser (or API client): the JWT names it, so signing out revokes it.
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE setup_tokens (
    token_digest TEXT PRIMARY KEY,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);

CREATE TABLE audit_log (
    id      TEXT PRIMARY KEY,  -- UUIDv7: time-ordered
    at      BIGINT NOT NULL,
    user_id TEXT,
    action  TEXT NOT NULL,
    target  TEXT,
    detail  TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_target ON audit_log (target, at);
