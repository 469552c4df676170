-- Reminder calls (issue #17): one row per dial attempt of one reminder. The unique attempt key
-- makes "one attempt, one call" hold across instances: a second scheduler inserting the same
-- attempt inserts nothing. A row is claimed with a lease to be dialed (like the outbox), and the
-- call's Telnyx handle is recorded with it, so its webhooks find the reminder.
CREATE TABLE reminder_calls (
    id               TEXT PRIMARY KEY,
    appointment_id   TEXT NOT NULL,
    reminder_due_at  BIGINT NOT NULL,
    attempt          INTEGER NOT NULL,
    dial_at          BIGINT NOT NULL,
    -- queued → dialing (claimed) → dialed → human | machine → the outcome
    status           TEXT NOT NULL,
    call_control_id  TEXT UNIQUE,
    claimed_by       TEXT,
    claimed_until    BIGINT NOT NULL DEFAULT 0,
    -- how many times a person was asked to press a key (asked again once)
    prompts          INTEGER NOT NULL DEFAULT 0,
    -- the last webhook counted in `prompts` (a redelivered one is not counted again)
    last_event       TEXT,
    detail           TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (appointment_id, reminder_due_at, attempt)
);
CREATE INDEX reminder_calls_due ON reminder_calls (status, dial_at);

-- A reminder whose call did not reach the customer (a voicemail with `call_then_sms`, no answer
-- after the last attempt, no key pressed) is texted instead: the row is due again at once, for a
-- text only. Moving the appointment schedules it afresh (and clears this).
ALTER TABLE reminders ADD COLUMN text_only INTEGER NOT NULL DEFAULT 0;
