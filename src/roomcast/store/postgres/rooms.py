"""PostgreSQL room administration: creating and deleting rooms, restoring exported history
(``HistoryAdmin``)."""

from __future__ import annotations

from collections.abc import Sequence

from roomcast.store.columns import MESSAGE, import_bounds
from roomcast.store.postgres.pool import Pool
from roomcast.store.postgres.sql import NOW_MS, affected
from roomcast.wire.protocol import ChatMessage


class RoomAdmin:
    """The ``HistoryAdmin`` part of the PostgreSQL store."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

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
                "UPDATE rooms SET deleted = true, topic = '', private = false,"
                " owner_id = NULL, owner_name = NULL WHERE name = $1 AND NOT deleted",
                name,
            )
            if affected(status) != 1:
                return False
            for table in ("messages", "room_roles", "sanctions"):
                await conn.execute(f"DELETE FROM {table} WHERE room = $1", name)
            return True

    async def import_messages(self, messages: Sequence[ChatMessage]) -> int:
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
                f"INSERT INTO messages ({MESSAGE})"
                " SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[],"
                " $5::text[], $6::bigint[]) ON CONFLICT (room, id) DO NOTHING",
                [
                    [m.room for m in messages],
                    [m.id for m in messages],
                    [m.author for m in messages],
                    [m.text for m in messages],
                    [m.wsid for m in messages],
                    [m.sent_ms for m in messages],
                ],
            ),
        )
        return affected(inserted)
