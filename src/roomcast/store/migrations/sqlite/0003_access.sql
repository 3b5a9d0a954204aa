-- Identity and access control: accounts with their login sessions and API tokens (only hashes
-- of the secrets), room owners, roles and privacy, bans and mutes, and the moderation audit log.
ALTER TABLE rooms ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN owner_id TEXT;
ALTER TABLE rooms ADD COLUMN owner_name TEXT;

CREATE TABLE accounts (
    id            TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL,
    key           TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_ms    INTEGER NOT NULL
);

CREATE TABLE credentials (
    id          TEXT    PRIMARY KEY,
    kind        TEXT    NOT NULL,
    account_id  TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    secret_hash TEXT    NOT NULL UNIQUE,
    label       TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER
);
CREATE INDEX credentials_account ON credentials (account_id, kind);

CREATE TABLE room_roles (
    room       TEXT NOT NULL,
    account_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    PRIMARY KEY (room, account_id)
) WITHOUT ROWID;

CREATE TABLE sanctions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    room       TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    account_id TEXT,
    ip         TEXT,
    name       TEXT    NOT NULL,
    name_key   TEXT    NOT NULL,
    until_ms   INTEGER,
    by_name    TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX sanctions_room ON sanctions (room);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    room    TEXT    NOT NULL,
    target  TEXT    NOT NULL,
    detail  TEXT    NOT NULL
);
CREATE INDEX audit_log_room ON audit_log (room, id);
