"""The person-level half of the SQLite store (``PeopleStore``): a person's rooms and read markers,
mentions, direct conversations, blocks, chosen nicknames and the notification queue (migration
0006).

As in access.py, reads run on the event loop's thread (``Reads.query``) and writes on the
writer's thread and connection, each in a transaction of its own (``Writer.run``); a claim of
notifications is such a transaction, so two claims never get the same one.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Any, Final, TypeVar

import orjson

from roomcast.store.base import owner_key, take_outcome
from roomcast.store.columns import values
from roomcast.store.people import (
    COUNT_CAP,
    NOTIFICATION_STATES,
    Notification,
    PersonRoom,
)
from roomcast.store.sqlite.reads import Reads
from roomcast.store.sqlite.rows import LIVE, OWNER
from roomcast.store.sqlite.writer import Writer

_NOTIFICATION: Final = (
    "id, account_id, account, room, message_id, author, excerpt, kind, time_ms, due_ms,"
    " attempts, state"
)
# A person's rooms now, in the order first joined.
_ROOMS: Final = (
    "SELECT p.room, coalesce(r.last_id, 0), p.read_id, coalesce(r.direct, 0)"
    " FROM person_rooms p LEFT JOIN rooms r ON r.name = p.room"
    " WHERE p.person = ? AND p.joined = 1 ORDER BY p.seq"
)
# Per room asked for ([room, read ID, first journaled ID], ?1): the live lines by others (?2)
# in ``messages`` after the marker and before the journaled ones, and the person's mentions of
# lines not deleted after the marker; each count stops at ?3.
_COUNTS: Final = f"""
WITH asked AS (
    SELECT key AS n, json_extract(value, '$[0]') AS room, json_extract(value, '$[1]') AS read_id,
        json_extract(value, '$[2]') AS upper
    FROM json_each(?1)
)
SELECT
    (SELECT count(*) FROM (
        SELECT 1 FROM messages
        WHERE room = a.room AND id > a.read_id AND id < a.upper AND {LIVE} AND {OWNER} IS NOT ?2
        LIMIT ?3)),
    (SELECT count(*) FROM (
        SELECT 1 FROM mentions m
        WHERE m.person = ?2 AND m.room = a.room AND m.id > a.read_id AND NOT EXISTS (
            SELECT 1 FROM messages d WHERE d.room = m.room AND d.id = m.id AND d.deleted = 1)
        LIMIT ?3))
FROM asked a ORDER BY a.n
"""
# Above every message ID.
_NO_ID: Final = 2**63 - 1
_JOIN: Final = (
    "INSERT INTO person_rooms (person, room, joined) VALUES (?, ?, 1)"
    " ON CONFLICT (person, room) DO UPDATE SET joined = 1"
)
_MARKER: Final = "SELECT read_id FROM person_rooms WHERE person = ? AND room = ? AND joined = 1"


_T = TypeVar("_T")


class People:
    """The ``PeopleStore`` part of the SQLite store."""

    def __init__(self, reads: Reads, writer: Writer) -> None:
        self._reads = reads
        self._writer = writer
        # Writes to each person's rooms queued and not yet run (``_change``), whether or not
        # their callers still wait for them.
        self._changing: dict[str, int] = {}

    async def _write_rooms(self, person: str, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """``work``'s result, run on the writer and counted in flight for ``person`` until it
        has run. The caller's wait is shielded: one that stops waiting (its connection went away)
        leaves the write to go on, and counted, as the writer still runs it."""
        ended = self._change(person)
        written = asyncio.ensure_future(self._writer.run(work))
        written.add_done_callback(take_outcome)
        written.add_done_callback(lambda _: ended())
        return await asyncio.shield(written)

    def _change(self, person: str) -> Callable[[], None]:
        """Count one write to ``person``'s rooms in flight: the call that ends it."""
        changing = self._changing
        changing[person] = changing.get(person, 0) + 1

        def done() -> None:
            left = changing[person] - 1
            if left:
                changing[person] = left
            else:
                del changing[person]

        return done

    # -- rooms and read markers -----------------------------------------------------------------

    async def person_rooms(self, person: str) -> list[PersonRoom]:
        """Two queries and a wait for the writer, however many rooms: the rooms, the lines of
        theirs still in the journal, then the counts of all of them."""
        await self._written()
        rooms = await self._reads.query(_ROOMS, (person,))
        if not rooms:
            return []
        read_ids = {room: read_id for room, _, read_id, _ in rooms}
        first: dict[str, int] = {}
        journaled: dict[str, int] = {}
        for room, message_id, owner in await self._writer.journaled_owners(read_ids.keys()):
            first[room] = min(first.get(room, _NO_ID), message_id)
            if message_id > read_ids[room] and owner != person:
                journaled[room] = journaled.get(room, 0) + 1
        asked = [[room, read_ids[room], first.get(room, _NO_ID)] for room in read_ids]
        counts = await self._reads.query(_COUNTS, (orjson.dumps(asked).decode(), person, COUNT_CAP))
        return [
            PersonRoom(
                room,
                last_id,
                read_id,
                min(COUNT_CAP, unread + journaled.get(room, 0)),
                mentions,
                bool(direct),
            )
            for (room, last_id, read_id, direct), (unread, mentions) in zip(
                rooms, counts, strict=True
            )
        ]

    async def add_person_room(self, person: str, room: str) -> int:
        """The person's read marker in ``room``, one of its rooms from now on. A room it is in
        already (a member coming back, another tab) needs no write: when none of the person's
        rooms is being written, the loop's own connection reads its marker, and only a room it
        is not in goes to the writer thread. In a reconnect storm that hop was one for every
        client resuming."""
        if person not in self._changing:
            rows = await self._reads.query(_MARKER, (person, room))
            if rows:
                return int(rows[0][0])

        def join(conn: sqlite3.Connection) -> int:
            (marker,) = conn.execute(_JOIN + " RETURNING read_id", (person, room)).fetchone()
            return int(marker)

        return await self._write_rooms(person, join)

    async def add_first_person_room(self, person: str, room: str) -> None:
        written = self._writer.run_later(lambda conn: conn.execute(_JOIN, (person, room)))
        ended = self._change(person)
        written.add_done_callback(lambda _: ended())

    async def _written(self) -> None:
        """Wait for ``add_first_person_room``'s writes, if any are not committed yet, so a read
        sees them (a guest coming back at once with the session it was just given)."""
        if self._writer.writing_later:
            await self._writer.run(lambda conn: None)

    async def remove_person_room(self, person: str, room: str) -> None:
        await self._write_rooms(
            person,
            lambda conn: conn.execute(
                "UPDATE person_rooms SET joined = 0 WHERE person = ? AND room = ?", (person, room)
            ),
        )

    async def set_read(self, person: str, room: str, message_id: int) -> int:
        def mark(conn: sqlite3.Connection) -> int:
            # A marker in a room the person never joined is kept too (not among its rooms).
            (marker,) = conn.execute(
                "INSERT INTO person_rooms (person, room, read_id, joined) VALUES (?1, ?2,"
                " max(0, min(?3, coalesce((SELECT last_id FROM rooms WHERE name = ?2), 0))), 0)"
                " ON CONFLICT (person, room) DO UPDATE SET read_id = max(read_id, excluded.read_id)"
                " RETURNING read_id",
                (person, room, message_id),
            ).fetchone()
            return int(marker)

        return await self._write_rooms(person, mark)

    async def read_marker(self, person: str, room: str) -> int:
        await self._written()
        rows = await self._reads.query(
            "SELECT read_id FROM person_rooms WHERE person = ? AND room = ?", (person, room)
        )
        return int(rows[0][0]) if rows else 0

    async def add_mentions(self, room: str, message_id: int, persons: list[str]) -> None:
        await self._writer.run(
            lambda conn: conn.executemany(
                "INSERT INTO mentions (person, room, id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [(person, room, message_id) for person in persons],
            )
        )

    # -- direct conversations -------------------------------------------------------------------

    async def create_direct(self, room: str, members: dict[str, str]) -> bool:
        def create(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "INSERT INTO rooms (name, last_id, created_ms, private, direct)"
                " VALUES (?, 0, ?, 1, 1)"
                " ON CONFLICT (name) DO UPDATE SET deleted = 0, topic = '', private = 1,"
                " direct = 1, owner_id = NULL, owner_name = NULL WHERE deleted = 1",
                (room, time.time_ns() // 1_000_000),
            )
            if cursor.rowcount != 1:
                return False
            conn.executemany(
                "INSERT INTO room_roles (room, account_id, name, role) VALUES (?, ?, ?, 'member')"
                " ON CONFLICT (room, account_id) DO UPDATE SET name = excluded.name,"
                " role = excluded.role",
                [(room, account_id, name) for account_id, name in members.items()],
            )
            conn.executemany(_JOIN, [(owner_key(account_id, ""), room) for account_id in members])
            return True

        return await self._writer.run(create)

    async def direct_members(self, room: str) -> dict[str, str] | None:
        rows = await self._reads.query(
            "SELECT m.account_id, m.name FROM rooms r"
            " LEFT JOIN room_roles m ON m.room = r.name AND m.role = 'member'"
            " WHERE r.name = ? AND r.direct = 1 AND r.deleted = 0",
            (room,),
        )
        if not rows:
            return None
        return {account_id: name for account_id, name in rows if account_id is not None}

    # -- blocks ---------------------------------------------------------------------------------

    async def block(self, blocker_id: str, blocked_id: str, blocked_name: str) -> bool:
        def add(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "INSERT INTO blocks (blocker, blocked, name) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (blocker_id, blocked_id, blocked_name),
            )
            return cursor.rowcount == 1

        return await self._writer.run(add)

    async def unblock(self, blocker_id: str, blocked_id: str) -> bool:
        def lift(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "DELETE FROM blocks WHERE blocker = ? AND blocked = ?", (blocker_id, blocked_id)
            )
            return cursor.rowcount == 1

        return await self._writer.run(lift)

    async def blocks(self, blocker_id: str) -> list[tuple[str, str]]:
        rows = await self._reads.query(
            "SELECT blocked, name FROM blocks WHERE blocker = ? ORDER BY seq", (blocker_id,)
        )
        return [(blocked, name) for blocked, name in rows]

    async def blockers(self, blocked_id: str, among: list[str]) -> set[str]:
        rows = await self._reads.query(
            "SELECT blocker FROM blocks WHERE blocked = ?"
            " AND blocker IN (SELECT value FROM json_each(?))",
            (blocked_id, orjson.dumps(among).decode()),
        )
        return {blocker for (blocker,) in rows}

    # -- chosen nicknames -----------------------------------------------------------------------

    async def set_account_nick(self, account_id: str, nick: str | None, key: str | None) -> bool:
        def choose(conn: sqlite3.Connection) -> bool:
            if nick is None or key is None:
                conn.execute("DELETE FROM account_nicks WHERE account_id = ?", (account_id,))
                return True
            taken = conn.execute(
                "SELECT 1 FROM accounts WHERE key = ?1 AND id != ?2 UNION ALL"
                " SELECT 1 FROM account_nicks WHERE key = ?1 AND account_id != ?2",
                (key, account_id),
            ).fetchone()
            if taken is not None:
                return False
            conn.execute(
                "INSERT INTO account_nicks (account_id, nick, key) VALUES (?, ?, ?)"
                " ON CONFLICT (account_id) DO UPDATE SET nick = excluded.nick, key = excluded.key",
                (account_id, nick, key),
            )
            return True

        return await self._writer.run(choose)

    async def account_nick(self, account_id: str) -> str | None:
        rows = await self._reads.query(
            "SELECT nick FROM account_nicks WHERE account_id = ?", (account_id,)
        )
        return str(rows[0][0]) if rows else None

    # -- notifications --------------------------------------------------------------------------

    async def enqueue_notification(self, notification: Notification) -> None:
        await self._writer.run(
            lambda conn: conn.execute(
                f"INSERT INTO notifications ({_NOTIFICATION}, next_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (*values(notification), notification.due_ms),
            )
        )

    async def claim_notifications(
        self, now_ms: int, owner: str, lease_ms: int, limit: int
    ) -> list[Notification]:
        def claim(conn: sqlite3.Connection) -> list[Notification]:
            rows = conn.execute(
                f"SELECT {_NOTIFICATION} FROM notifications"
                " WHERE state = 'pending' AND next_ms <= ?1 AND due_ms <= ?1"
                " AND (lease_until IS NULL OR lease_until <= ?1) ORDER BY next_ms, id LIMIT ?2",
                (now_ms, limit),
            ).fetchall()
            conn.executemany(
                "UPDATE notifications SET lease_owner = ?, lease_until = ? WHERE id = ?",
                [(owner, now_ms + lease_ms, row[0]) for row in rows],
            )
            return [Notification(*row) for row in rows]

        return await self._writer.run(claim)

    async def finish_notification(
        self, notification_id: str, state: str, attempts: int, next_ms: int
    ) -> None:
        await self._writer.run(
            lambda conn: conn.execute(
                "UPDATE notifications SET state = ?, attempts = ?, next_ms = ?,"
                " lease_owner = NULL, lease_until = NULL WHERE id = ?",
                (state, attempts, next_ms, notification_id),
            )
        )

    async def notification_counts(self) -> dict[str, int]:
        rows: list[tuple[Any, ...]] = await self._reads.query(
            "SELECT state, count(*) FROM notifications GROUP BY state",
            (),
            inline=False,  # every notification kept
        )
        return {**dict.fromkeys(NOTIFICATION_STATES, 0), **dict(rows)}
