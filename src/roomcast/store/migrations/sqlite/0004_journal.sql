-- The message journal: each commit of the writer appends its messages here as one row (a JSON
-- array of message rows), which costs a few pages however many rooms the messages fall in. The
-- writer moves them into `messages`, sorted by room, in larger batches and deletes the journal
-- rows in the same transaction; a store that opens the database first moves whatever is left.
CREATE TABLE message_journal (
    seq   INTEGER PRIMARY KEY,
    batch BLOB    NOT NULL
);
