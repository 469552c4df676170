-- Conversations of every channel (SPEC §9, §13): phone calls (keyed by their call control id) and
-- chat-endpoint conversations (keyed `chat-<uuid>`), listed alike for the owner. A chat customer
-- may not have given a number yet, so `caller` may be empty. Appointments name the conversation
-- that booked them.
CREATE TABLE conversations_v2 (
    id         TEXT PRIMARY KEY,
    channel    TEXT NOT NULL,
    caller     TEXT,
    state      TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('active', 'ended')),
    outcome    TEXT,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO conversations_v2 (id, channel, caller, state, status, outcome, started_at, updated_at)
    SELECT call_control_id, 'voice', caller, state, status, outcome, started_at, updated_at FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_v2 RENAME TO conversations;
CREATE INDEX conversations_started ON conversations (started_at);
CREATE INDEX conversations_caller ON conversations (caller, started_at);

-- Which conversation booked an appointment (none for the CLI, the console and older rows).
ALTER TABLE appointments ADD COLUMN conversation_id TEXT;

-- A chat turn knows the turn it continued, so two conversations that began with the same words
-- become two conversations when they part.
ALTER TABLE chat_turns ADD COLUMN parent TEXT;
CREATE INDEX chat_turns_parent ON chat_turns (parent);
