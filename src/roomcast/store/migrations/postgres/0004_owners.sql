-- The previous release's lines were a guest session's: their sender. A migration of its own so
-- that it runs after 0003 has committed: an UPDATE takes row locks only, and nodes of that
-- release still up keep appending and reading meanwhile (500,000 of 1,000,000 rows: 3.4 s).
UPDATE messages SET owner = 'g:' || sender WHERE sender IS NOT NULL AND owner IS NULL;
