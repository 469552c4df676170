-- Customer links (SPEC §15): the SHA-256 digest of each link token a confirmation text carried,
-- and the appointment it opens. The token itself is never stored; the page recomputes it to
-- check the appointment still belongs to the customer it was sent to.
CREATE TABLE customer_links (
    token_digest   TEXT PRIMARY KEY,
    appointment_id TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE INDEX customer_links_appointment ON customer_links (appointment_id);
