-- Identity and access control: accounts with their login sessions and API tokens (only hashes
-- of the secrets), room owners, roles and privacy, bans and mutes, and the moderation audit log.
ALTER TABLE rooms ADD COLUMN private BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE rooms ADD COLUMN owner_id TEXT;
ALTER TABLE rooms ADD COLUMN owner_name TEXT;

CREATE TABLE accounts (
    id            TEXT   PRIMARY KEY,
    name          TEXT   NOT NULL,
    key           TEXT   NOT NULL UNIQUE,
    password_hash TEXT   NOT NULL,
    created_ms    BIGINT NOT NULL
);

CREATE TABLE credentials (
    id          TEXT   PRIMARY KEY,
    kind        TEXT   NOT NULL,
    account_id  TEXT   NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    secret_hash TEXT   NOT NULL UNIQUE,
    label       TEXT   NOT NULL,
    created_ms  BIGINT NOT NULL,
    expires_ms  BIGINT
);
CREATE INDEX credentials_account ON credentials (account_id, kind);

CREATE TABLE room_roles (
    room       TEXT NOT NULL,
    account_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    PRIMARY KEY (room, account_id)
);

CREATE TABLE sanctions (
    id         BIGSERIAL PRIMARY KEY,
    room       TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    account_id TEXT,
    ip         TEXT,
    name       TEXT   NOT NULL,
    name_key   TEXT   NOT NULL,
    until_ms   BIGINT,
    by_name    TEXT   NOT NULL,
    reason     TEXT   NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX sanctions_room ON sanctions (room);

CREATE TABLE audit_log (
    id      BIGSERIAL PRIMARY KEY,
    time_ms BIGINT NOT NULL,
    actor   TEXT   NOT NULL,
    action  TEXT   NOT NULL,
    room    TEXT   NOT NULL,
    target  TEXT   NOT NULL,
    detail  TEXT   NOT NULL
);
CREATE INDEX audit_log_room ON audit_log (room, id);
