"""PostgreSQL person-level state (``PeopleStore``): a person's rooms and read markers, mentions,
direct conversations, blocks, chosen nicknames and the notification queue, each call one
statement or one transaction on a pooled connection.

A person's rooms come in one query, their unread and mention counts in LATERAL subqueries that
stop at ``COUNT_CAP`` rows. A direct conversation is a private room with its people as invited
members (``room_roles``), made in one transaction that only the first of racing nodes wins.
Notifications are claimed with ``FOR UPDATE SKIP LOCKED``: concurrent claims on any nodes never
take the same one.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from roomcast.store.base import owner_key
from roomcast.store.columns import values
from roomcast.store.people import (
    COUNT_CAP,
    NOTIFICATION_STATES,
    PENDING,
    Notification,
    PersonRoom,
)
from roomcast.store.postgres.events import LIVE
from roomcast.store.postgres.pool import Pool
from roomcast.store.postgres.sql import LOCK_NAME_KEY, NOW_MS, affected

_FIELDS: Final = [f.name for f in dataclasses.fields(Notification)]
_NOTIFICATION: Final = ", ".join(_FIELDS)

# $1 person: the rooms joined, in the order first joined, with the live lines of others after
# the read marker and the person's mentions in live lines after it, each counted to the cap.
_ROOMS: Final = f"""
SELECT p.room, coalesce(r.last_id, 0), p.read_id, u.n, k.n, coalesce(r.direct, false)
FROM person_rooms p
LEFT JOIN rooms r ON r.name = p.room
CROSS JOIN LATERAL (
  SELECT count(*) AS n FROM (
    SELECT 1 FROM messages m
    WHERE m.room = p.room AND m.id > p.read_id AND {LIVE} AND m.owner IS DISTINCT FROM p.person
    LIMIT {COUNT_CAP}) x
) u
CROSS JOIN LATERAL (
  SELECT count(*) AS n FROM (
    SELECT 1 FROM mentions t JOIN messages m ON m.room = t.room AND m.id = t.id
    WHERE t.room = p.room AND t.person = p.person AND t.id > p.read_id AND {LIVE}
    LIMIT {COUNT_CAP}) x
) k
WHERE p.person = $1 AND p.joined
ORDER BY p.ord
"""

# $1 person, $2 room, $3 message ID: the marker moves forward only, to the room's last ID at most.
_SET_READ: Final = """
INSERT INTO person_rooms AS p (person, room, read_id, joined)
VALUES ($1, $2, greatest(0, least($3, (SELECT coalesce(max(last_id), 0) FROM rooms
                                        WHERE name = $2))), false)
ON CONFLICT (person, room) DO UPDATE SET read_id = greatest(p.read_id, excluded.read_id)
RETURNING read_id
"""

# $1 room: made a direct conversation unless it is one (a racing node waits for the row's lock,
# then finds it one).
_DIRECT_ROOM: Final = f"""
INSERT INTO rooms AS r (name, last_id, created_ms, private, direct)
VALUES ($1, 0, {NOW_MS}, true, true)
ON CONFLICT (name) DO UPDATE SET deleted = false, private = true, direct = true, topic = '',
  owner_id = NULL, owner_name = NULL
WHERE NOT r.direct
"""
# $1 room, $2 account IDs, $3 their names.
_DIRECT_MEMBERS: Final = """
INSERT INTO room_roles (room, account_id, name, role)
SELECT $1, u.id, u.name, 'member' FROM unnest($2::text[], $3::text[]) AS u(id, name)
ON CONFLICT (room, account_id) DO UPDATE SET name = excluded.name, role = excluded.role
"""
# $1 room, $2 persons.
_JOIN_ALL: Final = """
INSERT INTO person_rooms AS p (person, room) SELECT unnest($2::text[]), $1
ON CONFLICT (person, room) DO UPDATE SET joined = true
"""

# $1 account, $2 nickname, $3 its key: kept unless another account has that key.
_SET_NICK: Final = """
INSERT INTO account_nicks AS n (account_id, nick, key)
SELECT id, $2, $3 FROM accounts
WHERE id = $1
  AND NOT EXISTS (SELECT 1 FROM accounts WHERE key = $3 AND id <> $1)
  AND NOT EXISTS (SELECT 1 FROM account_nicks WHERE key = $3 AND account_id <> $1)
ON CONFLICT (account_id) DO UPDATE SET nick = excluded.nick, key = excluded.key
"""

# The notification's fields, then when it is first tried. Queued twice, it is kept once.
_ENQUEUE: Final = f"""
INSERT INTO notifications ({_NOTIFICATION}, next_ms)
VALUES ({", ".join(f"${n}" for n in range(1, len(_FIELDS) + 2))})
ON CONFLICT (id) DO NOTHING
"""

# $1 now, $2 owner, $3 lease length, $4 limit: the oldest due, unleased (or whose lease ended:
# its claimer died or stalled), leased to $2.
_CLAIM: Final = f"""
WITH claimed AS (
  UPDATE notifications SET lease_owner = $2, lease_until = $1 + $3
  WHERE id IN (
    SELECT id FROM notifications
    WHERE state = '{PENDING}' AND next_ms <= $1 AND due_ms <= $1
      AND (lease_owner IS NULL OR lease_until <= $1)
    ORDER BY next_ms, id
    LIMIT $4
    FOR UPDATE SKIP LOCKED)
  RETURNING {_NOTIFICATION}
)
SELECT * FROM claimed ORDER BY due_ms, id
"""


class People:
    """The ``PeopleStore`` part of the PostgreSQL store."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    # -- Rooms and read markers -----------------------------------------------------------------

    async def person_rooms(self, person: str) -> list[PersonRoom]:
        rows = await self._pool.fetch(_ROOMS, person)
        return [PersonRoom(*row) for row in rows]

    async def add_person_room(self, person: str, room: str) -> int:
        rows = await self._pool.fetch(
            "INSERT INTO person_rooms (person, room) VALUES ($1, $2)"
            " ON CONFLICT (person, room) DO UPDATE SET joined = true RETURNING read_id",
            person,
            room,
        )
        return int(rows[0][0])

    async def add_first_person_room(self, person: str, room: str) -> None:
        # Waited for: the pool's connections could run a later write of the person first.
        await self.add_person_room(person, room)

    async def remove_person_room(self, person: str, room: str) -> None:
        await self._pool.transaction(
            (
                "UPDATE person_rooms SET joined = false WHERE person = $1 AND room = $2",
                (person, room),
            )
        )

    async def set_read(self, person: str, room: str, message_id: int) -> int:
        rows = await self._pool.fetch(_SET_READ, person, room, message_id)
        return int(rows[0][0])

    async def read_marker(self, person: str, room: str) -> int:
        rows = await self._pool.fetch(
            "SELECT read_id FROM person_rooms WHERE person = $1 AND room = $2", person, room
        )
        return int(rows[0][0]) if rows else 0

    async def add_mentions(self, room: str, message_id: int, persons: list[str]) -> None:
        if persons:
            await self._pool.transaction(
                (
                    "INSERT INTO mentions (room, person, id) SELECT $1, unnest($3::text[]), $2"
                    " ON CONFLICT DO NOTHING",
                    (room, message_id, persons),
                )
            )

    # -- Direct conversations -------------------------------------------------------------------

    async def create_direct(self, room: str, members: dict[str, str]) -> bool:
        ids = list(members)
        async with self._pool.connection() as conn, conn.transaction():
            if affected(await conn.execute(_DIRECT_ROOM, room)) != 1:
                return False
            await conn.execute(_DIRECT_MEMBERS, room, ids, list(members.values()))
            await conn.execute(_JOIN_ALL, room, [owner_key(i, "") for i in ids])
            return True

    async def direct_members(self, room: str) -> dict[str, str] | None:
        rows = await self._pool.fetch(
            "SELECT m.account_id, m.name FROM rooms r"
            " LEFT JOIN room_roles m ON m.room = r.name AND m.role = 'member'"
            ' WHERE r.name = $1 AND r.direct AND NOT r.deleted ORDER BY m.name COLLATE "C"',
            room,
        )
        if not rows:
            return None
        return {row[0]: row[1] for row in rows if row[0] is not None}

    # -- Blocks ---------------------------------------------------------------------------------

    async def block(self, blocker_id: str, blocked_id: str, blocked_name: str) -> bool:
        (status,) = await self._pool.transaction(
            (
                "INSERT INTO blocks (blocker_id, blocked_id, blocked_name) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING",
                (blocker_id, blocked_id, blocked_name),
            )
        )
        return affected(status) == 1

    async def unblock(self, blocker_id: str, blocked_id: str) -> bool:
        (status,) = await self._pool.transaction(
            (
                "DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2",
                (blocker_id, blocked_id),
            )
        )
        return affected(status) == 1

    async def blocks(self, blocker_id: str) -> list[tuple[str, str]]:
        rows = await self._pool.fetch(
            "SELECT blocked_id, blocked_name FROM blocks WHERE blocker_id = $1 ORDER BY ord",
            blocker_id,
        )
        return [(row[0], row[1]) for row in rows]

    async def blockers(self, blocked_id: str, among: list[str]) -> set[str]:
        rows = await self._pool.fetch(
            "SELECT blocker_id FROM blocks WHERE blocked_id = $1 AND blocker_id = ANY($2::text[])",
            blocked_id,
            among,
        )
        return {row[0] for row in rows}

    # -- Chosen nicknames -----------------------------------------------------------------------

    async def set_account_nick(self, account_id: str, nick: str | None, key: str | None) -> bool:
        if nick is None or key is None:
            await self._pool.transaction(
                ("DELETE FROM account_nicks WHERE account_id = $1", (account_id,))
            )
            return True
        _, status = await self._pool.transaction(
            (LOCK_NAME_KEY, (key,)), (_SET_NICK, (account_id, nick, key))
        )
        return affected(status) == 1

    async def account_nick(self, account_id: str) -> str | None:
        rows = await self._pool.fetch(
            "SELECT nick FROM account_nicks WHERE account_id = $1", account_id
        )
        return str(rows[0][0]) if rows else None

    # -- Notifications --------------------------------------------------------------------------

    async def enqueue_notification(self, notification: Notification) -> None:
        await self._pool.transaction((_ENQUEUE, (*values(notification), notification.due_ms)))

    async def claim_notifications(
        self, now_ms: int, owner: str, lease_ms: int, limit: int
    ) -> list[Notification]:
        rows = await self._pool.fetch(_CLAIM, now_ms, owner, lease_ms, limit)
        return [Notification(*row) for row in rows]

    async def finish_notification(
        self, notification_id: str, state: str, attempts: int, next_ms: int
    ) -> None:
        await self._pool.transaction(
            (
                "UPDATE notifications SET state = $2, attempts = $3, next_ms = $4,"
                " lease_owner = NULL, lease_until = NULL WHERE id = $1",
                (notification_id, state, attempts, next_ms),
            )
        )

    async def notification_counts(self) -> dict[str, int]:
        rows = await self._pool.fetch("SELECT state, count(*) FROM notifications GROUP BY state")
        counts = dict.fromkeys(NOTIFICATION_STATES, 0)
        counts.update({row[0]: int(row[1]) for row in rows})
        return counts
