"""The memory store's room names: the spelling each room key was first given."""

from __future__ import annotations

from roomcast.wire.text import room_key


class MemoryRoomNames:
    """``HistoryAdmin.room_name`` for the memory store (a part of ``MemoryStore``)."""

    def __init__(self) -> None:
        super().__init__()
        self._names: dict[str, str] = {}

    async def room_name(self, name: str, *, claim: bool) -> str:
        key = room_key(name)
        return self._names.setdefault(key, name) if claim else self._names.get(key, name)
