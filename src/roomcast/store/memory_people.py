"""The person-level half of the in-memory store (``PeopleStore``): a person's rooms and read
markers, mentions, direct conversations, blocks, chosen nicknames and the notification queue.

A mixin of ``MemoryStore``, which holds the history it counts in and the rooms and accounts it
reads; like the rest of that store it keeps nothing across a restart.
"""

from __future__ import annotations

import bisect
import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterable

from roomcast.store.base import RoomAccess, owner_key
from roomcast.store.people import (
    COUNT_CAP,
    NOTIFICATION_STATES,
    PENDING,
    Notification,
    PersonRoom,
)


@dataclasses.dataclass(slots=True)
class _Marker:
    """One of a person's rooms: its read marker, and whether the person is in it now."""

    read_id: int
    joined: bool


@dataclasses.dataclass(slots=True)
class _Queued:
    """A queued notification with its retry time and the end of its lease (who holds it is
    not kept: nothing asks)."""

    notification: Notification
    next_ms: int
    lease_until: int | None = None


class MemoryPeople(ABC):
    """``PeopleStore`` for ``MemoryStore``."""

    # The memory store's own, which this half reads and writes.
    _last_ids: dict[str, int]
    _topics: dict[str, str]
    _access: dict[str, RoomAccess]
    _account_keys: dict[str, str]

    def __init__(self) -> None:
        super().__init__()  # the next mixin's (the store's uploads)
        # Per person, its rooms in the order first joined.
        self._markers: dict[str, dict[str, _Marker]] = {}
        # The IDs of the lines mentioning a person in a room, ascending, by (person, room).
        self._mentions: dict[tuple[str, str], list[int]] = {}
        self._direct: set[str] = set()
        # Per blocker: blocked account ID -> name, in the order blocked.
        self._blocks: dict[str, dict[str, str]] = {}
        # account ID -> (chosen nickname, its key); and key -> account ID.
        self._nicks: dict[str, tuple[str, str]] = {}
        self._nick_keys: dict[str, str] = {}
        self._queue: dict[str, _Queued] = {}

    @abstractmethod
    def _check_open(self) -> None: ...

    @abstractmethod
    def _owners_after(self, room: str, after_id: int) -> Iterable[str | None]:
        """The owners of the room's live lines after ``after_id``, in order."""

    @abstractmethod
    def _find(self, room: str, message_id: int) -> int | None:
        """Where the live line ``message_id`` is in its room's history; None when it is not."""

    # -- rooms and read markers -----------------------------------------------------------------

    async def person_rooms(self, person: str) -> list[PersonRoom]:
        self._check_open()
        return [
            PersonRoom(
                room,
                self._last_ids.get(room, 0),
                marker.read_id,
                self._unread(person, room, marker.read_id),
                self._mentioned(person, room, marker.read_id),
                room in self._direct,
            )
            for room, marker in self._markers.get(person, {}).items()
            if marker.joined
        ]

    def _unread(self, person: str, room: str, read_id: int) -> int:
        count = 0
        for owner in self._owners_after(room, read_id):
            if owner != person:
                count += 1
                if count == COUNT_CAP:
                    break
        return count

    def _mentioned(self, person: str, room: str, read_id: int) -> int:
        ids = self._mentions.get((person, room), [])
        after = ids[bisect.bisect_right(ids, read_id) :]
        return min(COUNT_CAP, sum(1 for n in after if self._find(room, n) is not None))

    def _join(self, person: str, room: str) -> int:
        marker = self._markers.setdefault(person, {}).setdefault(room, _Marker(0, True))
        marker.joined = True
        return marker.read_id

    async def add_person_room(self, person: str, room: str) -> int:
        self._check_open()
        return self._join(person, room)

    async def add_first_person_room(self, person: str, room: str) -> None:
        await self.add_person_room(person, room)

    async def remove_person_room(self, person: str, room: str) -> None:
        self._check_open()
        marker = self._markers.get(person, {}).get(room)
        if marker is not None:
            marker.joined = False

    async def set_read(self, person: str, room: str, message_id: int) -> int:
        self._check_open()
        # A marker in a room the person never joined is kept too (not among its rooms).
        marker = self._markers.setdefault(person, {}).setdefault(room, _Marker(0, False))
        clamped = min(message_id, self._last_ids.get(room, 0))
        marker.read_id = max(marker.read_id, clamped)
        return marker.read_id

    async def read_marker(self, person: str, room: str) -> int:
        self._check_open()
        marker = self._markers.get(person, {}).get(room)
        return 0 if marker is None else marker.read_id

    async def add_mentions(self, room: str, message_id: int, persons: list[str]) -> None:
        self._check_open()
        for person in persons:
            ids = self._mentions.setdefault((person, room), [])
            index = bisect.bisect_left(ids, message_id)
            if index == len(ids) or ids[index] != message_id:
                ids.insert(index, message_id)

    def _forget_room_people(self, room: str) -> None:
        """A deleted room leaves everyone's rooms and forgets its mentions (markers stay: its
        IDs continue if it comes back)."""
        for markers in self._markers.values():
            marker = markers.get(room)
            if marker is not None:
                marker.joined = False
        self._mentions = {key: ids for key, ids in self._mentions.items() if key[1] != room}
        self._direct.discard(room)

    # -- direct conversations -------------------------------------------------------------------

    async def create_direct(self, room: str, members: dict[str, str]) -> bool:
        self._check_open()
        if room in self._topics:
            return False
        self._topics[room] = ""
        self._access[room] = RoomAccess(room, "", True, members=dict(members))
        self._direct.add(room)
        for account_id in members:
            self._join(owner_key(account_id, ""), room)
        return True

    async def direct_members(self, room: str) -> dict[str, str] | None:
        self._check_open()
        if room not in self._direct:
            return None
        return dict(self._access[room].members)

    # -- blocks ---------------------------------------------------------------------------------

    async def block(self, blocker_id: str, blocked_id: str, blocked_name: str) -> bool:
        self._check_open()
        blocked = self._blocks.setdefault(blocker_id, {})
        if blocked_id in blocked:
            return False
        blocked[blocked_id] = blocked_name
        return True

    async def unblock(self, blocker_id: str, blocked_id: str) -> bool:
        self._check_open()
        return self._blocks.get(blocker_id, {}).pop(blocked_id, None) is not None

    async def blocks(self, blocker_id: str) -> list[tuple[str, str]]:
        self._check_open()
        return list(self._blocks.get(blocker_id, {}).items())

    async def blockers(self, blocked_id: str, among: list[str]) -> set[str]:
        self._check_open()
        return {a for a in among if blocked_id in self._blocks.get(a, {})}

    # -- chosen nicknames -----------------------------------------------------------------------

    async def set_account_nick(self, account_id: str, nick: str | None, key: str | None) -> bool:
        self._check_open()
        if nick is not None and key is not None:
            for holder in (self._account_keys.get(key), self._nick_keys.get(key)):
                if holder is not None and holder != account_id:
                    return False
        old = self._nicks.pop(account_id, None)
        if old is not None:
            del self._nick_keys[old[1]]
        if nick is not None and key is not None:
            self._nicks[account_id] = (nick, key)
            self._nick_keys[key] = account_id
        return True

    async def account_nick(self, account_id: str) -> str | None:
        self._check_open()
        chosen = self._nicks.get(account_id)
        return None if chosen is None else chosen[0]

    # -- notifications --------------------------------------------------------------------------

    async def enqueue_notification(self, notification: Notification) -> None:
        self._check_open()
        self._queue.setdefault(notification.id, _Queued(notification, notification.due_ms))

    async def claim_notifications(
        self, now_ms: int, owner: str, lease_ms: int, limit: int
    ) -> list[Notification]:
        self._check_open()
        due = sorted(
            (
                queued
                for queued in self._queue.values()
                if queued.notification.state == PENDING
                and queued.notification.due_ms <= now_ms
                and queued.next_ms <= now_ms
                and (queued.lease_until is None or queued.lease_until <= now_ms)
            ),
            key=lambda queued: (queued.next_ms, queued.notification.id),
        )[: max(0, limit)]
        for queued in due:
            queued.lease_until = now_ms + lease_ms
        return [queued.notification for queued in due]

    async def finish_notification(
        self, notification_id: str, state: str, attempts: int, next_ms: int
    ) -> None:
        self._check_open()
        queued = self._queue.get(notification_id)
        if queued is not None:
            self._queue[notification_id] = _Queued(
                dataclasses.replace(queued.notification, state=state, attempts=attempts), next_ms
            )

    async def notification_counts(self) -> dict[str, int]:
        self._check_open()
        counts = dict.fromkeys(NOTIFICATION_STATES, 0)
        for queued in self._queue.values():
            counts[queued.notification.state] += 1
        return counts
