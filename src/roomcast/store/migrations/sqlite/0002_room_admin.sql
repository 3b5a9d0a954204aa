-- Room administration: a topic, and deletion that keeps the row (and so the room's last ID),
-- so a deleted room that comes back continues its IDs and connected members stay in order.
ALTER TABLE rooms ADD COLUMN topic TEXT NOT NULL DEFAULT '';
ALTER TABLE rooms ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
