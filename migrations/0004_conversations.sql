-- Phone conversations (SPEC §9, §13): written at the end of every turn so another instance, or a
-- restarted one, can continue the call; kept after hangup with the outcome.
CREATE TABLE conversations (
    call_control_id TEXT PRIMARY KEY,
    caller          TEXT NOT NULL,
    state           TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('active', 'ended')),
    outcome         TEXT,
    started_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
