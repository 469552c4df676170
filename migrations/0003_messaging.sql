-- Texts and emails (SPEC §8): opt-outs, the outbox and reminders.

-- A number that asked not to be texted (STOP family, Telnyx autoresponse, or a 40300 send failure).
CREATE TABLE opt_outs (
    phone          TEXT PRIMARY KEY,
    source         TEXT NOT NULL,
    opted_out_at   BIGINT NOT NULL
);

-- Every outgoing SMS/email, recorded before sending. `cause` is unique: at most one message per
-- cause (an appointment change, a reminder, a reply to one inbound event), whatever is replayed.
CREATE TABLE outbox (
    id               TEXT PRIMARY KEY,
    cause            TEXT NOT NULL UNIQUE,
    channel          TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    recipient        TEXT NOT NULL,
    subject          TEXT,
    body             TEXT NOT NULL,
    attachment       TEXT,
    -- 1: attempt even if the number is opted out (the one confirmation of a bare CANCEL)
    ignore_opt_out   INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'blocked')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    claimed_by       TEXT,
    claimed_until    BIGINT NOT NULL DEFAULT 0,
    provider_id      TEXT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- One reminder per appointment, moved and cancelled with it in the same transaction.
CREATE TABLE reminders (
    appointment_id  TEXT PRIMARY KEY,
    due_at          BIGINT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('scheduled', 'sent', 'skipped', 'cancelled')),
    claimed_by      TEXT,
    claimed_until   BIGINT NOT NULL DEFAULT 0,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX reminders_due ON reminders (status, due_at);

-- Customer email (optional) and a change counter (iCalendar SEQUENCE, confirmation causes).
ALTER TABLE appointments ADD COLUMN customer_email TEXT;
ALTER TABLE appointments ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
