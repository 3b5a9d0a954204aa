-- Conversations: edits, deletions and reactions are rows of ``messages`` too (events of the
-- room's log, with the room's next ID), and lines carry their reply, thread, owner and state.
-- ``kind`` is NULL for a line, else 'edit', 'delete', 'react' or 'unreact' of line ``target``
-- (an event's ``author`` is who made it, its ``body`` the new text or the emoji). A line's
-- ``owner`` may edit it (``store.base.owner_key``); ``original`` is its text before the first
-- edit and ``edited_ms`` the time of the last; a deleted line keeps its row with its text gone.
-- Every ADD COLUMN is without a volatile default: instant, whatever the size of the table (the
-- owners of older lines are filled in by 0004, which locks no table).
ALTER TABLE messages ADD COLUMN kind TEXT;
ALTER TABLE messages ADD COLUMN target BIGINT;
ALTER TABLE messages ADD COLUMN reply_to BIGINT;
ALTER TABLE messages ADD COLUMN thread BIGINT;
ALTER TABLE messages ADD COLUMN owner TEXT;
ALTER TABLE messages ADD COLUMN edited_ms BIGINT;
ALTER TABLE messages ADD COLUMN original TEXT;
ALTER TABLE messages ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT false;

-- The reply counts of thread roots, and the edit events of a line (its versions).
CREATE INDEX messages_thread ON messages (room, thread) WHERE thread IS NOT NULL;
CREATE INDEX messages_target ON messages (room, target) WHERE target IS NOT NULL;

-- The reactions on lines now: ``id`` is the ID of the event that added one (names come in that
-- order), ``since`` that of the first of its emoji still there (emoji come in that order).
CREATE TABLE reactions (
    room   TEXT   NOT NULL,
    target BIGINT NOT NULL,
    emoji  TEXT   NOT NULL,
    owner  TEXT   NOT NULL,
    name   TEXT   NOT NULL,
    id     BIGINT NOT NULL,
    since  BIGINT NOT NULL,
    PRIMARY KEY (room, target, emoji, owner)
);
