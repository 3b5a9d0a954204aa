-- People: what belongs to a person (store.people) rather than to a connection. A person is
-- `store.base.owner_key`: 'a:<account id>' or 'g:<guest session>'.

-- A line's @mentions as the Chat frame lists them: a JSON array of names, NULL when none (a line
-- with mentions is journaled with the wide rows, see sqlite/journal.py).
ALTER TABLE messages ADD COLUMN mentions TEXT;

-- A direct conversation is a private room (its members are room_roles with role 'member').
ALTER TABLE rooms ADD COLUMN direct INTEGER NOT NULL DEFAULT 0;

-- A person's rooms and read markers. `seq` gives the order first joined; a Leave clears `joined`
-- and keeps the row, so the marker survives leaving and coming back.
CREATE TABLE person_rooms (
    seq     INTEGER PRIMARY KEY,
    person  TEXT    NOT NULL,
    room    TEXT    NOT NULL,
    read_id INTEGER NOT NULL DEFAULT 0,
    joined  INTEGER NOT NULL,
    UNIQUE (person, room)
);

-- Who each line mentions; counted per person and room after the read marker, by key.
CREATE TABLE mentions (
    person TEXT    NOT NULL,
    room   TEXT    NOT NULL,
    id     INTEGER NOT NULL,
    PRIMARY KEY (person, room, id)
) WITHOUT ROWID;

-- Blocks between accounts; `seq` gives the order they were made.
CREATE TABLE blocks (
    seq     INTEGER PRIMARY KEY,
    blocker TEXT    NOT NULL,
    blocked TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    UNIQUE (blocker, blocked)
);
CREATE INDEX blocks_blocked ON blocks (blocked, blocker);

-- An account's chosen nickname; its key is unique among chosen nicknames (and, as the store
-- checks, among account names other than the account's own).
CREATE TABLE account_nicks (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    nick       TEXT NOT NULL,
    key        TEXT NOT NULL UNIQUE
);

-- The durable queue of webhook notifications (store.people.Notification). A pending one is
-- claimed once `next_ms` (at first its `due_ms`) passed and no lease is running.
CREATE TABLE notifications (
    id          TEXT    PRIMARY KEY,
    account_id  TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    room        TEXT    NOT NULL,
    message_id  INTEGER NOT NULL,
    author      TEXT    NOT NULL,
    excerpt     TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    time_ms     INTEGER NOT NULL,
    due_ms      INTEGER NOT NULL,
    attempts    INTEGER NOT NULL,
    state       TEXT    NOT NULL,
    next_ms     INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER
);
CREATE INDEX notifications_pending ON notifications (next_ms) WHERE state = 'pending';
