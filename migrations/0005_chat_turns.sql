-- Turns of conversations through the OpenAI-compatible chat endpoint (SPEC §9). A client sends the
-- whole conversation each time; each answered turn is kept under a hash of the conversation up to
-- its user message, with the receptionist's state after it, so that the next request continues
-- exactly where this one left off and a repeated request gets the same answer without acting twice.
CREATE TABLE chat_turns (
    turn_key     TEXT PRIMARY KEY,
    conversation TEXT NOT NULL,
    caller       TEXT,
    state        TEXT NOT NULL,
    reply        TEXT NOT NULL,
    ended        BIGINT NOT NULL,   -- 1 when the receptionist ended the conversation
    created_at   BIGINT NOT NULL
);
CREATE INDEX chat_turns_conversation ON chat_turns (conversation, created_at);
