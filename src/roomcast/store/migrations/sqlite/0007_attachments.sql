-- The files a line carries, as its Chat frames list them: a JSON array of
-- [id, name, size, type, width, height], NULL when none (wire/attachments.py). The files
-- themselves are in the sibling database `<db>-files` (migrations/sqlite_files).
ALTER TABLE messages ADD COLUMN attachments TEXT;
