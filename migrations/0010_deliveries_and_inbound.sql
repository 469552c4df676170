-- What carriers said about each sent text (SPEC §15, the console's "delivered"): Telnyx's
-- `message.finalized` names our message by its id; `delivery` is `delivered` or `failed`.
ALTER TABLE outbox ADD COLUMN delivery TEXT;
CREATE INDEX outbox_provider ON outbox (provider_id);

-- Texts customers sent us, for the console (the sender's number and words; kept 90 days).
CREATE TABLE inbound_texts (
    event_id    TEXT PRIMARY KEY,
    sender      TEXT NOT NULL,
    body        TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX inbound_texts_received ON inbound_texts (received_at);
