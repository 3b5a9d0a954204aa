-- The server admin page (issue 18): an account can be disabled (it cannot log in, its sessions
-- and tokens stop working) or made a server admin there, beside the `admins` setting.
ALTER TABLE accounts ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE accounts ADD COLUMN admin BOOLEAN NOT NULL DEFAULT false;

-- Each node's numbers for the admin page, written every few seconds (`stats` is JSON); a node
-- that stopped writing is gone once its `seen_ms` is old.
CREATE TABLE node_stats (
    node    TEXT   PRIMARY KEY,
    seen_ms BIGINT NOT NULL,
    stats   TEXT   NOT NULL
);

-- Room names are case-insensitive (issue 18, D9): `Dev`, `DEV` and `dev` are one room, the one
-- whose spelling came first. A room's key is its name with the ASCII letters A-Z folded to a-z
-- (`protocol.room_key`; other letters compare as they are: the one folding every store computes
-- alike in SQL), and `room_names` records the spelling each key was first given; every name a
-- client or the API gives is looked up there (`HistoryAdmin.room_name`).
CREATE TABLE room_names (
    key  TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- Rooms of an earlier release whose names now collide: the oldest (by created_ms; rooms known
-- only by their roles, sanctions, people or audit entries after those with a row; then by name)
-- keeps its name, the others are renamed NAME-2, NAME-3, ... (cut so it stays within 64
-- characters) everywhere, with their history, IDs, roles and read markers, and the audit log
-- records each renaming (actor 'roomcast', action 'rename', target the old name). Merging two
-- logs would renumber one of them, and every client's resume point and reply with it.
CREATE TEMP TABLE legacy_rooms ON COMMIT DROP AS
WITH named (name, created_ms) AS (
    SELECT name, created_ms FROM rooms
    UNION ALL SELECT room, NULL FROM room_roles
    UNION ALL SELECT room, NULL FROM sanctions
    UNION ALL SELECT room, NULL FROM person_rooms
    UNION ALL SELECT room, NULL FROM audit_log
), firsts AS (
    SELECT name, min(created_ms) AS created_ms FROM named WHERE name <> '' GROUP BY name
), keyed AS (
    SELECT name, created_ms, translate(name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') AS key FROM firsts
)
SELECT name, key, row_number() OVER (
    PARTITION BY key ORDER BY created_ms IS NULL, created_ms, name COLLATE "C"
) AS rank
FROM keyed;

CREATE TEMP TABLE renamed_rooms ON COMMIT DROP AS
SELECT legacy.name AS old_name, kept.name AS kept_name,
       substr(legacy.name, 1, 64 - length('-' || legacy.rank)) || '-' || legacy.rank AS new_name,
       substr(legacy.key, 1, 64 - length('-' || legacy.rank)) || '-' || legacy.rank AS new_key
FROM legacy_rooms AS legacy
JOIN legacy_rooms AS kept ON kept.key = legacy.key AND kept.rank = 1
WHERE legacy.rank > 1;

INSERT INTO room_names (key, name) SELECT key, name FROM legacy_rooms WHERE rank = 1;
-- A NAME-2 that is itself taken stops the migration here (a UNIQUE violation): rename that
-- room by hand (roomcast history export/import) and start again.
INSERT INTO room_names (key, name) SELECT new_key, new_name FROM renamed_rooms;

UPDATE rooms SET name = (SELECT new_name FROM renamed_rooms WHERE old_name = name)
    WHERE name IN (SELECT old_name FROM renamed_rooms);
UPDATE messages SET room = (SELECT new_name FROM renamed_rooms WHERE old_name = room)
    WHERE room IN (SELECT old_name FROM renamed_rooms);
UPDATE reactions SET room = (SELECT new_name FROM renamed_rooms WHERE old_name = room)
    WHERE room IN (SELECT old_name FROM renamed_rooms);
UPDATE room_roles SET room = (SELECT new_name FROM renamed_rooms WHERE old_name = room)
    WHERE room IN (SELECT old_name FROM renamed_rooms);
UPDATE sanctions SET room = (SELECT new_name FROM renamed_rooms WHERE old_name = room)
    WHERE room IN (SELECT old_name FROM renamed_rooms);
UPDATE audit_log SET room = (SELECT new_name FROM renamed_rooms WHERE old_name = room)
    WHERE room IN (SELECT old_name FROM renamed_rooms);
UPDATE person_rooms SET room = (SELECT new_name FROM renamed_rooms WHERE old_name = room)
    WHERE room IN (SELECT old_name FROM renamed_rooms);
UPDATE mentions SET room = (SELECT new_name FROM renamed_rooms WHERE old_name = room)
    WHERE room IN (SELECT old_name FROM renamed_rooms);
UPDATE notifications SET room = (SELECT new_name FROM renamed_rooms WHERE old_name = room)
    WHERE room IN (SELECT old_name FROM renamed_rooms);

INSERT INTO audit_log (time_ms, actor, action, room, target, detail)
SELECT (extract(epoch FROM now()) * 1000)::bigint, 'roomcast', 'rename',
       new_name, old_name, 'room names are case-insensitive: ' || kept_name || ' kept the name'
FROM renamed_rooms ORDER BY old_name COLLATE "C";
