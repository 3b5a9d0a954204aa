-- Rooms and their messages. IDs are per room, strictly increasing and gapless: an append takes
-- the room row's lock (INSERT .. ON CONFLICT DO UPDATE), so commits of one room happen in ID order.
-- A deleted room keeps its row (and so its last ID): when it comes back its IDs continue.
CREATE TABLE rooms (
    name       TEXT    PRIMARY KEY,
    last_id    BIGINT  NOT NULL,
    created_ms BIGINT  NOT NULL,
    topic      TEXT    NOT NULL DEFAULT '',
    deleted    BOOLEAN NOT NULL DEFAULT false
);

CREATE TABLE messages (
    room    TEXT   NOT NULL,
    id      BIGINT NOT NULL,
    author  TEXT   NOT NULL,
    body    TEXT   NOT NULL,
    wsid    TEXT   NOT NULL,
    sent_ms BIGINT NOT NULL,
    sender  TEXT,
    ref     TEXT,
    PRIMARY KEY (room, id)
);

-- A client Ref is unique per sender: a re-sent message is recognised, not stored twice.
CREATE UNIQUE INDEX messages_sender_ref ON messages (sender, ref) WHERE ref IS NOT NULL;
