-- Google accounts connected through OAuth (issue #16). The refresh token is sealed with the
-- secrets key (XChaCha20-Poly1305, bound to the account's address), so a dump of this table alone
-- never reveals it. `lost_at` is set once Google refuses the grant for good (needs reconnect).
CREATE TABLE google_accounts (
    email         TEXT PRIMARY KEY,
    refresh_token TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    connected_by  TEXT NOT NULL,
    connected_at  BIGINT NOT NULL,
    lost_at       BIGINT,
    lost_reason   TEXT
);

-- Which connected account and calendar each staff member's appointments go to.
CREATE TABLE google_calendars (
    staff_id      TEXT PRIMARY KEY,
    account_email TEXT NOT NULL,
    calendar_id   TEXT NOT NULL,
    calendar_name TEXT NOT NULL,
    assigned_at   BIGINT NOT NULL
);

CREATE INDEX google_calendars_account ON google_calendars (account_email);

-- Authorizations under way: the digest of the `state` sent to Google, the console session (or
-- command) it belongs to, the staff member it is for (NULL: the owner's whole account), the sealed
-- PKCE verifier and the redirect URI. Taken (deleted) by the one callback that uses it.
CREATE TABLE google_authorizations (
    state_digest   TEXT PRIMARY KEY,
    session_digest TEXT NOT NULL,
    staff_id       TEXT,
    verifier       TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    expires_at     BIGINT NOT NULL
);
