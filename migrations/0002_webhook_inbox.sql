-- The durable webhook inbox (SPEC §7): every verified event, keyed by Telnyx's data.id so a
-- redelivery or replay is recognized. The instance that inserts an event owns it for a lease;
-- if it dies, another instance (or the restarted one) claims it after the lease.
CREATE TABLE webhook_events (
    id            TEXT PRIMARY KEY,
    event_type    TEXT NOT NULL,
    order_key     TEXT,
    body          TEXT NOT NULL,
    -- unix microseconds; orders events of one key
    received_at   BIGINT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'done', 'skipped', 'failed')),
    claimed_by    TEXT,
    claimed_until BIGINT NOT NULL,
    processed_at  BIGINT
);

CREATE INDEX webhook_events_pending ON webhook_events (status, claimed_until);
CREATE INDEX webhook_events_received ON webhook_events (received_at);
