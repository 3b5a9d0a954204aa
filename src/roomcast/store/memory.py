"""In-memory message store: no persistence, for tests, demos and measuring what durability costs.

It keeps the newest ``max_per_room`` messages of each room and forgets everything on exit. IDs and
idempotent re-sends behave exactly as in the durable stores.
"""

from __future__ import annotations

import asyncio
import bisect
from collections import OrderedDict, deque
from collections.abc import Sequence

from roomcast.protocol import ChatMessage
from roomcast.store.base import Appended, NewMessage, RoomSummary, StoreUnavailable, ref_key


class MemoryStore:
    """A ``MessageStore`` held in process memory."""

    def __init__(self, *, max_per_room: int = 10_000, max_refs: int = 100_000) -> None:
        self._rooms: dict[str, deque[ChatMessage]] = {}
        self._last_ids: dict[str, int] = {}
        self._topics: dict[str, str] = {}
        self._refs: OrderedDict[tuple[str | None, str], ChatMessage] = OrderedDict()
        self._max_per_room = max_per_room
        self._max_refs = max_refs
        self._closed = False

    async def open(self) -> None:
        self._closed = False

    async def close(self) -> None:
        self._closed = True

    def append(self, message: NewMessage) -> asyncio.Future[Appended]:
        future: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()
        if self._closed:
            future.set_exception(StoreUnavailable("the store is closed"))
            return future
        key = ref_key(message.ref)
        if key is not None:
            earlier = self._refs.get((message.sender, key))
            if earlier is not None:
                future.set_result(Appended(earlier, duplicate=True))
                return future
        message_id = self._last_ids.get(message.room, 0) + 1
        self._last_ids[message.room] = message_id
        self._topics.setdefault(message.room, "")
        stored = ChatMessage(
            message.room, message_id, message.author, message.text, message.wsid, message.sent_ms
        )
        history = self._rooms.get(message.room)
        if history is None:
            history = self._rooms[message.room] = deque(maxlen=self._max_per_room)
        history.append(stored)
        if key is not None:
            self._refs[(message.sender, key)] = stored
            if len(self._refs) > self._max_refs:
                self._refs.popitem(last=False)
        future.set_result(Appended(stored, duplicate=False))
        return future

    def _ids(self, room: str) -> tuple[list[ChatMessage], list[int]]:
        history = list(self._rooms.get(room, ()))
        return history, [m.id for m in history]

    async def page(self, room: str, before: int | None, limit: int) -> list[ChatMessage]:
        history, ids = self._ids(room)
        end = len(ids) if before is None else bisect.bisect_left(ids, before)
        return history[max(0, end - limit) : end]

    async def after(self, room: str, after_id: int, limit: int) -> list[ChatMessage]:
        history, ids = self._ids(room)
        start = bisect.bisect_right(ids, after_id)
        return history[start : start + limit]

    async def last_id(self, room: str) -> int:
        return self._last_ids.get(room, 0)

    async def rooms(self) -> list[RoomSummary]:
        return [
            RoomSummary(name, self._last_ids.get(name, 0), topic)
            for name, topic in sorted(self._topics.items())
        ]

    async def room(self, name: str) -> RoomSummary | None:
        topic = self._topics.get(name)
        return None if topic is None else RoomSummary(name, self._last_ids.get(name, 0), topic)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreUnavailable("the store is closed")

    async def create_room(self, name: str, topic: str = "") -> bool:
        self._check_open()
        if name in self._topics:
            return False
        self._topics[name] = topic
        return True

    async def delete_room(self, name: str) -> bool:
        self._check_open()
        if self._topics.pop(name, None) is None:
            return False
        self._rooms.pop(name, None)
        for key in [key for key, message in self._refs.items() if message.room == name]:
            del self._refs[key]
        return True

    async def import_messages(self, messages: Sequence[ChatMessage]) -> int:
        self._check_open()
        by_room: dict[str, list[ChatMessage]] = {}
        for message in messages:
            by_room.setdefault(message.room, []).append(message)
        added = 0
        for room, incoming in by_room.items():
            history = list(self._rooms.get(room, ()))
            present = {m.id for m in history}
            for message in incoming:
                if message.id not in present:
                    present.add(message.id)
                    history.append(message)
                    added += 1
            history.sort(key=lambda m: m.id)
            self._rooms[room] = deque(history, maxlen=self._max_per_room)
            self._last_ids[room] = max(self._last_ids.get(room, 0), history[-1].id)
            self._topics.setdefault(room, "")
        return added
