-- Conversations: edits, deletions and reactions are events of the room's log, rows of `messages`
-- with the room's next ID like chat lines; a line keeps its current state beside its original.
--   kind      NULL for a chat line, else the event's: 'edit', 'delete', 'react' or 'unreact'
--   target    an event's message
--   reply_to, thread  a line's, as its author sent it
--   owner     who may edit the line (store.base.owner_key), NULL when that is the guest session
--             that sent it: `coalesce(owner, 'g:' || sender)` (so a guest's line, the most common
--             kind, stores no owner, and lines of earlier releases stay editable from the session
--             that sent them); an event's asker
--   edited_ms, original  a line's last edit and its text before the first one
--   deleted   1 for a deleted line (its text, its edits' text and its reactions are gone)
ALTER TABLE messages ADD COLUMN kind TEXT;
ALTER TABLE messages ADD COLUMN target INTEGER;
ALTER TABLE messages ADD COLUMN reply_to INTEGER;
ALTER TABLE messages ADD COLUMN thread INTEGER;
ALTER TABLE messages ADD COLUMN owner TEXT;
ALTER TABLE messages ADD COLUMN edited_ms INTEGER;
ALTER TABLE messages ADD COLUMN original TEXT;
ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;

-- A thread root's live replies are counted, and an edited line's versions found, by index.
CREATE INDEX messages_thread ON messages (room, thread) WHERE thread IS NOT NULL;
CREATE INDEX messages_target ON messages (room, target) WHERE target IS NOT NULL;

-- The reactions on live lines now: one row per person (owner) and emoji. `id` is the event that
-- added it (names come in the order of reacting); `first_id` the event that put the emoji on the
-- message while it has been there since (emoji come in the order of first use).
CREATE TABLE reactions (
    room     TEXT    NOT NULL,
    target   INTEGER NOT NULL,
    emoji    TEXT    NOT NULL,
    owner    TEXT    NOT NULL,
    name     TEXT    NOT NULL,
    id       INTEGER NOT NULL,
    first_id INTEGER NOT NULL,
    PRIMARY KEY (room, target, emoji, owner)
) WITHOUT ROWID;
