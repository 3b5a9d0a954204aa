"""PostgreSQL reads of history and rooms (``HistoryReads``), each on a pooled connection."""

from __future__ import annotations

from roomcast.store.base import RoomSummary
from roomcast.store.columns import MESSAGE
from roomcast.store.postgres.pool import Pool
from roomcast.wire.protocol import ChatMessage


class Reads:
    """The ``HistoryReads`` part of the PostgreSQL store."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def page(self, room: str, before: int | None, limit: int) -> list[ChatMessage]:
        rows = await self._pool.fetch(
            f"SELECT {MESSAGE} FROM messages WHERE room = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
            room,
            before if before is not None else 2**63 - 1,
            limit,
        )
        return [ChatMessage(*row) for row in reversed(rows)]

    async def after(self, room: str, after_id: int, limit: int) -> list[ChatMessage]:
        rows = await self._pool.fetch(
            f"SELECT {MESSAGE} FROM messages WHERE room = $1 AND id > $2 ORDER BY id LIMIT $3",
            room,
            after_id,
            limit,
        )
        return [ChatMessage(*row) for row in rows]

    async def last_id(self, room: str) -> int:
        rows = await self._pool.fetch("SELECT last_id FROM rooms WHERE name = $1", room)
        return int(rows[0][0]) if rows else 0

    async def rooms(self) -> list[RoomSummary]:
        rows = await self._pool.fetch(
            "SELECT name, last_id, topic, private FROM rooms WHERE NOT deleted"
            ' ORDER BY name COLLATE "C"'
        )
        return [RoomSummary(*row) for row in rows]

    async def room(self, name: str) -> RoomSummary | None:
        rows = await self._pool.fetch(
            "SELECT name, last_id, topic, private FROM rooms WHERE name = $1 AND NOT deleted",
            name,
        )
        return RoomSummary(*rows[0]) if rows else None
