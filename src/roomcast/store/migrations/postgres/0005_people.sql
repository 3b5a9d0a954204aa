-- People: what belongs to a person (``a:<account id>`` or ``g:<sender>``, a line's ``owner``)
-- rather than to a connection. Every ADD COLUMN is instant (no volatile default): no rewrite,
-- whatever the size of the table; every new table starts empty.

-- The names a line's @name words resolved to (NULL when none), as its ``Chat`` frame lists them.
ALTER TABLE messages ADD COLUMN mentions TEXT[];

-- A direct conversation: a private room whose invited members (``room_roles``, role 'member')
-- are its people. A deleted room is no longer one.
ALTER TABLE rooms ADD COLUMN direct BOOLEAN NOT NULL DEFAULT false;

-- A person's rooms: ``ord`` is the order first joined (kept on leaving and coming back), and the
-- read marker ``read_id`` outlives a Leave (``joined`` false).
CREATE TABLE person_rooms (
    person  TEXT      NOT NULL,
    room    TEXT      NOT NULL,
    ord     BIGSERIAL NOT NULL,
    read_id BIGINT    NOT NULL DEFAULT 0,
    joined  BOOLEAN   NOT NULL DEFAULT true,
    PRIMARY KEY (person, room)
);
-- A deleted room leaves everyone's rooms.
CREATE INDEX person_rooms_room ON person_rooms (room);

-- Line ``id`` of ``room`` mentions ``person``: counted after the person's read marker.
CREATE TABLE mentions (
    room   TEXT   NOT NULL,
    person TEXT   NOT NULL,
    id     BIGINT NOT NULL,
    PRIMARY KEY (room, person, id)
);

-- Blocks between accounts, in the order made (``ord``).
CREATE TABLE blocks (
    blocker_id   TEXT      NOT NULL,
    blocked_id   TEXT      NOT NULL,
    blocked_name TEXT      NOT NULL,
    ord          BIGSERIAL NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);

-- An account's chosen nickname; its ``key`` (``nick_key``) is unique among these and, by the
-- store's checks under an advisory lock, differs from every other account's ``accounts.key``.
CREATE TABLE account_nicks (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    nick       TEXT NOT NULL,
    key        TEXT NOT NULL UNIQUE
);

-- The durable queue of webhook notifications. A pending one may be claimed once ``due_ms`` and
-- ``next_ms`` (its retry time) have passed, unless it is leased: ``lease_owner`` holds it until
-- ``lease_until`` (and never gets it back by claiming: it is still at work on it).
CREATE TABLE notifications (
    id          TEXT    PRIMARY KEY,
    account_id  TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    room        TEXT    NOT NULL,
    message_id  BIGINT  NOT NULL,
    author      TEXT    NOT NULL,
    excerpt     TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    time_ms     BIGINT  NOT NULL,
    due_ms      BIGINT  NOT NULL,
    attempts    INTEGER NOT NULL,
    state       TEXT    NOT NULL,
    next_ms     BIGINT  NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT
);
CREATE INDEX notifications_next ON notifications (next_ms) WHERE state = 'pending';
