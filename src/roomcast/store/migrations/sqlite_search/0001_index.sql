-- The search index of a store's database, in a database of its own (store/sqlite/search_index.py).
-- docs: one row per indexed line; its rowid grows as lines are taken in (the newest highest).
CREATE TABLE docs (
    rowid  INTEGER PRIMARY KEY,
    room   TEXT    NOT NULL,
    id     INTEGER NOT NULL,
    author TEXT    NOT NULL,
    UNIQUE (room, id)
);
-- The words of each line (body) and its room's token (tag: 'r' || hex(room)), by docs rowid.
CREATE VIRTUAL TABLE fts USING fts5(body, tag, tokenize = "unicode61 remove_diacritics 2");
-- Per room: every event up to `indexed` is in the index; `purged` once a deleted room's lines
-- were taken out.
CREATE TABLE watermarks (
    room    TEXT    PRIMARY KEY,
    indexed INTEGER NOT NULL,
    purged  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
