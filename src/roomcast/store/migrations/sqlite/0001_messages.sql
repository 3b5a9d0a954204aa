-- Rooms and their messages. IDs are per room, strictly increasing, assigned at commit.
CREATE TABLE rooms (
    name       TEXT PRIMARY KEY,
    last_id    INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE messages (
    room    TEXT    NOT NULL,
    id      INTEGER NOT NULL,
    author  TEXT    NOT NULL,
    body    TEXT    NOT NULL,
    wsid    TEXT    NOT NULL,
    sent_ms INTEGER NOT NULL,
    sender  TEXT,
    ref     TEXT,
    PRIMARY KEY (room, id)
) WITHOUT ROWID;

-- A client Ref is unique per sender: a re-sent message is recognised, not stored twice.
CREATE UNIQUE INDEX messages_sender_ref ON messages (sender, ref) WHERE ref IS NOT NULL;
