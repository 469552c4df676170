-- Personal API tokens for the admin API (SPEC §15): long-lived bearer tokens an account makes
-- with `users token create`, kept only as SHA-256 digests, revocable.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    token_digest TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);

CREATE INDEX api_tokens_user ON api_tokens (user_id);
-- Keyset pagination of the API's lists.
CREATE INDEX appointments_start_staff_id ON appointments (start_at, staff_id, id);
