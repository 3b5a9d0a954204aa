"""In-process presence: nicknames and room members of a single node."""

from __future__ import annotations

from roomcast.presence.base import PresenceState


class MemoryPresence:
    """A ``Presence`` held in process memory."""

    def __init__(self) -> None:
        self._nicks: dict[str, str] = {}
        self._rooms: dict[str, dict[str, str]] = {}

    @property
    def state(self) -> PresenceState:
        return "none"

    async def claim_nick(self, key: str, owner: str) -> bool:
        holder = self._nicks.setdefault(key, owner)
        return holder == owner

    async def release_nick(self, key: str, owner: str) -> None:
        if self._nicks.get(key) == owner:
            del self._nicks[key]

    async def nick_owner(self, key: str) -> str | None:
        return self._nicks.get(key)

    async def join(self, room: str, owner: str, name: str) -> None:
        self._rooms.setdefault(room, {})[owner] = name

    async def leave(self, room: str, owner: str) -> None:
        members = self._rooms.get(room)
        if members is not None:
            members.pop(owner, None)
            if not members:
                del self._rooms[room]

    async def members(self, room: str) -> list[str]:
        return sorted(self._rooms.get(room, {}).values(), key=str.casefold)

    async def counts(self) -> dict[str, int]:
        return {room: len(members) for room, members in self._rooms.items()}
