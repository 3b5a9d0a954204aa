"""The search half of the in-memory store (``SearchStore``), and its ``newer`` history read.

A mixin of ``MemoryStore``: every kept line of every room the reader may read is evaluated by
``search.matches`` (the store keeps at most ``max_per_room`` lines per room).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterator
from typing import Any, Final

from roomcast.store.base import RoomAccess
from roomcast.store.search import (
    DEFAULT_SEARCH_LIMIT,
    Query,
    Reader,
    SearchPage,
    page_of,
    readable_room,
)
from roomcast.wire.protocol import ChatMessage

# Where a kept row (``memory._Row``) has its kind (None for a line) and its deleted flag.
_KIND: Final = 5
_DELETED: Final = 12


class MemorySearch(ABC):
    """``SearchStore`` for ``MemoryStore``."""

    # The memory store's own, which this half reads.
    _topics: dict[str, str]
    _access: dict[str, RoomAccess]
    _rooms: dict[str, deque[tuple[Any, ...]]]

    @abstractmethod
    def _current(self, room: str, row: Any) -> ChatMessage:
        """A kept line in its current state."""

    def _live_lines(self, room: str) -> Iterator[ChatMessage]:
        """The room's live lines in their current state, oldest first."""
        for row in self._rooms.get(room, ()):
            if row[_KIND] is None and not row[_DELETED]:
                yield self._current(room, row)

    def _readable(self, reader: Reader, room: str) -> bool:
        access = self._access.get(room)
        if access is None:
            return True
        members = {**access.members, **access.moderators}
        return readable_room(reader, access.private, access.owner_id, members)

    async def search(
        self,
        query: Query,
        reader: Reader,
        *,
        room: str | None = None,
        author: str | None = None,
        before: int | None = None,
        limit: int = DEFAULT_SEARCH_LIMIT,
    ) -> SearchPage:
        rooms = [room] if room is not None else list(self._topics)
        lines = (
            line
            for name in rooms
            if name in self._topics and self._readable(reader, name)
            for line in self._live_lines(name)
        )
        return page_of(query, lines, room=room, author=author, before=before, limit=limit)

    async def newer(self, room: str, after_id: int, limit: int) -> list[ChatMessage]:
        found: list[ChatMessage] = []
        for line in self._live_lines(room):
            if line.id > after_id:
                found.append(line)
                if len(found) == limit:
                    break
        return found
