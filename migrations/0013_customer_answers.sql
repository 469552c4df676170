-- What customers told us (issue #17). A customer who confirms an appointment (on a reminder call)
-- marks it; moving it clears the mark, since the customer confirmed the old time.
ALTER TABLE appointments ADD COLUMN customer_confirmed_at BIGINT;

-- How a customer wants their reminders: `text` ("text me instead", "don't call me"). Keyed by the
-- phone number (E.164), the customer's identity everywhere else too.
CREATE TABLE customer_preferences (
    phone        TEXT PRIMARY KEY,
    reminders_by TEXT NOT NULL,
    -- where they said it (`reminder call`, `console`, ...)
    said_via     TEXT NOT NULL,
    updated_at   BIGINT NOT NULL
);
