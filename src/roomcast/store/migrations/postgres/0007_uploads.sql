-- The files a line carries, as its Chat frames list them: a JSON array of
-- [id, name, size, type, width, height], NULL when none (wire/attachments.py).
ALTER TABLE messages ADD COLUMN attachments TEXT;

-- Files shared in rooms. `complete` is set once every chunk is in; `attached` once a line
-- carries the file.
CREATE TABLE uploads (
    id         TEXT    PRIMARY KEY,
    room       TEXT    NOT NULL,
    owner      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    size       BIGINT  NOT NULL,
    digest     TEXT    NOT NULL,
    created_ms BIGINT  NOT NULL,
    inline     BOOLEAN NOT NULL DEFAULT false,
    width      INTEGER,
    height     INTEGER,
    attached   BOOLEAN NOT NULL DEFAULT false,
    complete   BOOLEAN NOT NULL DEFAULT false,
    thumb      BYTEA
);
CREATE INDEX uploads_owner ON uploads (owner);
CREATE INDEX uploads_room ON uploads (room);
CREATE INDEX uploads_unattached ON uploads (created_ms) WHERE NOT attached;

-- An upload's content in chunks of 256 KiB, `seq` from 0.
CREATE TABLE upload_chunks (
    upload_id TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    data      BYTEA   NOT NULL,
    PRIMARY KEY (upload_id, seq)
);
