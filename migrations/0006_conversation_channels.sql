-- Conversations of every channel (SPEC §9, §13): phone calls (keyed by their call control id) and
-- chat-endpoint conversations (`chat-<uuid>`: their latest turn in `chat_turns`), listed alike
-- for the owner; `caller` may be empty, as a chat customer's may be. Appointments name the
-- conversation that booked them.
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
CREATE INDEX appointments_conversation ON appointments (conversation_id);

-- A chat turn knows the turn it continued, so two conversations that began with the same words
-- become two conversations when they part; the latest turn of a conversation (one that no turn of
-- the same conversation continues) is the conversation, listed with the calls, so answering a
-- chat turn stays one write. `outcome` says how the receptionist ended it, `started_at` when the
-- conversation's first turn was answered.
ALTER TABLE chat_turns ADD COLUMN parent TEXT;
ALTER TABLE chat_turns ADD COLUMN outcome TEXT;
ALTER TABLE chat_turns ADD COLUMN started_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX chat_turns_parent ON chat_turns (parent);
CREATE INDEX chat_turns_started ON chat_turns (started_at);
