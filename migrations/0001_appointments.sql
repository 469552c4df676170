-- Appointments: the booking service's record of every booking (SPEC §5).
-- Portable between SQLite and PostgreSQL: instants are BIGINT unix seconds (UTC), ids TEXT.
-- Later features (webhook inbox, outbox, reminders, opt-outs, conversations) arrive as new
-- migrations with their own tables; nothing here needs to change for them.
CREATE TABLE appointments (
    id                TEXT PRIMARY KEY,
    service_id        TEXT NOT NULL,
    staff_id          TEXT NOT NULL,
    start_at          BIGINT NOT NULL,
    end_at            BIGINT NOT NULL,
    -- the service buffer at booking time, so later config edits cannot shrink a booked gap
    buffer_minutes    INTEGER NOT NULL,
    customer_name     TEXT NOT NULL,
    customer_phone    TEXT NOT NULL,
    notes             TEXT,
    status            TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    booked_via        TEXT NOT NULL,
    external_event_id TEXT,
    idempotency_key   TEXT UNIQUE,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    CHECK (end_at > start_at)
);

CREATE INDEX appointments_staff_start ON appointments (staff_id, start_at);
CREATE INDEX appointments_phone_start ON appointments (customer_phone, start_at);
CREATE INDEX appointments_start ON appointments (start_at);
