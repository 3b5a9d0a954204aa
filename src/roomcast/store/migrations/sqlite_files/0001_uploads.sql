-- The files of the SQLite store, in their own database beside it (`<db>-files`): an upload
-- streaming in never holds the write lock that chat lines commit under.
-- `complete` is set once every chunk is in; `attached` once a line carries the file.
CREATE TABLE uploads (
    id         TEXT    PRIMARY KEY,
    room       TEXT    NOT NULL,
    owner      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    digest     TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    inline     INTEGER NOT NULL DEFAULT 0,
    width      INTEGER,
    height     INTEGER,
    attached   INTEGER NOT NULL DEFAULT 0,
    complete   INTEGER NOT NULL DEFAULT 0,
    thumb      BLOB
);
CREATE INDEX uploads_owner ON uploads (owner);
CREATE INDEX uploads_room ON uploads (room);
CREATE INDEX uploads_unattached ON uploads (created_ms) WHERE attached = 0;

-- An upload's content in chunks of 256 KiB, `seq` from 0 (a rowid table: rows this large do not
-- belong in a WITHOUT ROWID one).
CREATE TABLE upload_chunks (
    upload_id TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    data      BLOB    NOT NULL,
    UNIQUE (upload_id, seq)
);
