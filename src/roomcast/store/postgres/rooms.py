"""PostgreSQL room administration: creating and deleting rooms, restoring exported history
(``HistoryAdmin``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from roomcast.store.columns import MESSAGE, import_bounds
from roomcast.store.postgres.pool import Pool
from roomcast.store.postgres.sql import NOW_MS, affected
from roomcast.wire.protocol import ChatMessage, room_key

# An imported line's columns: its state as exported (it has no owner: nobody may edit it).
_IMPORTED: Final = f"{MESSAGE}, reply_to, thread, edited_ms, deleted"


def _imported(m: ChatMessage) -> tuple[object, ...]:
    return (
        m.room, m.id, m.author, m.text, m.wsid, m.sent_ms,
        m.reply_to, m.thread, m.edited_ms, m.deleted,
    )  # fmt: skip


class RoomAdmin:
    """The ``HistoryAdmin`` part of the PostgreSQL store."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def room_name(self, name: str, *, claim: bool) -> str:
        key = room_key(name)
        if claim and await self._pool.fetch(
            "INSERT INTO room_names (key, name) VALUES ($1, $2)"
            " ON CONFLICT (key) DO NOTHING RETURNING name",
            key,
            name,
        ):
            return name
        # A new statement: its snapshot sees the spelling a concurrent claim committed.
        rows = await self._pool.fetch("SELECT name FROM room_names WHERE key = $1", key)
        return name if not rows else str(rows[0]["name"])

    async def create_room(self, name: str, topic: str = "") -> bool:
        (status,) = await self._pool.transaction(
            (
                "INSERT INTO rooms AS r (name, last_id, created_ms, topic)"
                f" VALUES ($1, 0, {NOW_MS}, $2)"
                " ON CONFLICT (name) DO UPDATE SET deleted = false, topic = excluded.topic"
                " WHERE r.deleted",
                (name, topic),
            )
        )
        return affected(status) == 1

    async def delete_room(self, name: str) -> bool:
        async with self._pool.connection() as conn, conn.transaction():
            status = await conn.execute(
                "UPDATE rooms SET deleted = true, topic = '', private = false, direct = false,"
                " owner_id = NULL, owner_name = NULL WHERE name = $1 AND NOT deleted",
                name,
            )
            if affected(status) != 1:
                return False
            for table in ("messages", "reactions", "room_roles", "sanctions", "mentions"):
                await conn.execute(f"DELETE FROM {table} WHERE room = $1", name)
            # It leaves everyone's rooms; their read markers stay, as its IDs go on.
            await conn.execute("UPDATE person_rooms SET joined = false WHERE room = $1", name)
            return True

    async def import_messages(self, messages: Sequence[ChatMessage]) -> int:
        if not messages:
            return 0
        bounds = import_bounds(messages)
        rooms = sorted(bounds)
        _, inserted = await self._pool.transaction(
            (
                # Rooms first, in name order, as appends lock them: no deadlock between the two.
                "INSERT INTO rooms AS r (name, last_id, created_ms)"
                " SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])"
                " ON CONFLICT (name) DO UPDATE"
                " SET last_id = greatest(r.last_id, excluded.last_id), deleted = false",
                (rooms, [bounds[r][0] for r in rooms], [bounds[r][1] for r in rooms]),
            ),
            (
                # Their words folded in SQL (migration 0006's roomcast_fold), as imports are rare.
                f"INSERT INTO messages ({_IMPORTED}, words)"
                " SELECT u.*, CASE WHEN NOT u.deleted"
                " THEN to_tsvector('simple', roomcast_fold(u.body)) END"
                " FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[],"
                " $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[],"
                f" $10::boolean[]) AS u({_IMPORTED}) ON CONFLICT (room, id) DO NOTHING",
                [list(column) for column in zip(*map(_imported, messages), strict=True)],
            ),
        )
        return affected(inserted)
