"""PostgreSQL reads of history and rooms (``HistoryReads``), each one query on a pooled
connection: a page of lines comes with their reactions and reply counts in the same query."""

from __future__ import annotations

from typing import Final

import asyncpg

from roomcast.store.base import RoomSummary
from roomcast.store.postgres.events import EVENT, LINE, LIVE, event, line
from roomcast.store.postgres.pool import Pool
from roomcast.wire.protocol import ChatMessage, LogEvent, ReactionSummary

# $1 room, $2 before, $3 limit (and $4 the thread root): the newest live lines before $2, with
# their reactions (emoji and names side by side, by emoji in order of first use, then by who
# reacted first) and their live replies, oldest first.
# The state of each line ``p`` of a query (``with_state`` reads it).
WITH_STATE: Final = """
SELECT p.*,
  array(SELECT r.emoji FROM reactions r WHERE r.room = p.room AND r.target = p.id
        ORDER BY r.since, r.id) AS emojis,
  array(SELECT r.name FROM reactions r WHERE r.room = p.room AND r.target = p.id
        ORDER BY r.since, r.id) AS names,
  (SELECT count(*) FROM messages t
   WHERE t.room = p.room AND t.thread = p.id AND NOT t.deleted) AS replies
"""
_PAGE: Final = f"""{WITH_STATE}
FROM (SELECT {LINE} FROM messages WHERE room = $1 AND id < $2 AND {LIVE}{{}}
      ORDER BY id DESC LIMIT $3) p
ORDER BY p.id
"""
_ALL_PAGE: Final = _PAGE.format("")
_THREAD_PAGE: Final = _PAGE.format(" AND (id = $4 OR thread = $4)")
# $1 room, $2 after, $3 limit: the oldest live lines after $2, with their state.
_NEWER: Final = f"""{WITH_STATE}
FROM (SELECT {LINE} FROM messages WHERE room = $1 AND id > $2 AND {LIVE}
      ORDER BY id LIMIT $3) p
ORDER BY p.id
"""

# $1 room, $2 line: the line's original text, then each edit's, with their times.
_VERSIONS: Final = """
SELECT v.body, v.sent_ms FROM messages m, LATERAL (
  SELECT coalesce(m.original, m.body) AS body, m.sent_ms, m.id
  UNION ALL
  SELECT e.body, e.sent_ms, e.id FROM messages e
  WHERE e.room = m.room AND e.target = m.id AND e.kind = 'edit'
) v
WHERE m.room = $1 AND m.id = $2 AND m.kind IS NULL AND NOT m.deleted
ORDER BY v.id
"""


class Reads:
    """The ``HistoryReads`` part of the PostgreSQL store."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def page(
        self, room: str, before: int | None, limit: int, thread: int | None = None
    ) -> list[ChatMessage]:
        start = before if before is not None else 2**63 - 1
        if thread is None:
            rows = await self._pool.fetch(_ALL_PAGE, room, start, limit)
        else:
            rows = await self._pool.fetch(_THREAD_PAGE, room, start, limit, thread)
        return [with_state(row) for row in rows]

    async def newer(self, room: str, after_id: int, limit: int) -> list[ChatMessage]:
        return [with_state(row) for row in await self._pool.fetch(_NEWER, room, after_id, limit)]

    async def after(self, room: str, after_id: int, limit: int) -> list[LogEvent]:
        rows = await self._pool.fetch(
            f"SELECT {EVENT} FROM messages WHERE room = $1 AND id > $2 ORDER BY id LIMIT $3",
            room,
            after_id,
            limit,
        )
        return [event(row) for row in rows]

    async def message(self, room: str, message_id: int) -> ChatMessage | None:
        rows = await self._pool.fetch(
            f"SELECT {LINE} FROM messages WHERE room = $1 AND id = $2 AND {LIVE}",
            room,
            message_id,
        )
        return line(rows[0]) if rows else None

    async def versions(self, room: str, message_id: int) -> list[tuple[str, int]] | None:
        rows = await self._pool.fetch(_VERSIONS, room, message_id)
        return [(row[0], row[1]) for row in rows] or None

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


def with_state(row: asyncpg.Record) -> ChatMessage:
    """The line of a row read with ``WITH_STATE``: its reactions and live replies."""
    reactions: dict[str, list[str]] = {}
    for emoji, name in zip(row["emojis"], row["names"], strict=True):
        reactions.setdefault(emoji, []).append(name)
    summary = tuple(ReactionSummary(e, tuple(n)) for e, n in reactions.items())
    return line(row, summary, row["replies"])
