"""What moderation needs from the rest of a node, as narrow interfaces: the access part of the
store, the presence, the broker's control channel, and a view of this node's rooms (which the
chat registry implements). Moderation knows nothing else of them.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Protocol

from roomcast.auth.identity import Identity
from roomcast.store import Account, AuditEntry, RoomAccess, Sanction


class AccessStore(Protocol):
    """The store's room rules, sanctions, deletions, account lookup and audit log."""

    async def room_access(self, name: str) -> RoomAccess: ...

    async def sanctions(self, room: str, now_ms: int) -> list[Sanction]: ...

    async def claim_room(
        self, name: str, owner_id: str, owner_name: str, private: bool, topic: str
    ) -> bool: ...

    async def set_topic(self, name: str, topic: str) -> None: ...

    async def set_role(self, room: str, account_id: str, name: str, role: str | None) -> None: ...

    async def add_sanction(self, sanction: Sanction) -> int: ...

    async def lift_sanctions(
        self, room: str, kind: str, *, account_id: str | None, name_key: str
    ) -> int: ...

    async def account_by_key(self, key: str) -> Account | None: ...

    async def add_audit(self, entry: AuditEntry) -> None: ...


class RoomPresence(Protocol):
    """Who is in a room and who holds a nickname, across all nodes."""

    async def members(self, room: str) -> list[str]: ...

    async def nick_owner(self, key: str) -> str | None: ...


class ControlBus(Protocol):
    """The broker's control channel: reaches every node with members in the room."""

    def publish_control(self, room: str, payload: bytes) -> None: ...


class Occupant(Protocol):
    """A connection on this node, as moderation sees it."""

    @property
    def wsid(self) -> str: ...

    @property
    def nick(self) -> str: ...

    @property
    def identity(self) -> Identity: ...

    @property
    def remote(self) -> str:
        """The client's address: what a guest is banned or muted by."""

    def send(self, payload: bytes) -> None:
        """Queue one frame's JSON payload for the client; never blocks."""


class LocalRooms(Protocol):
    """The rooms with members on this node."""

    def has_room(self, room: str) -> bool: ...

    def occupants(self, room: str) -> Sequence[Occupant]:
        """The room's members on this node (none when it has none here)."""

    def local_member(self, wsid: str) -> Occupant | None:
        """The connection ``wsid`` when it is on this node."""

    def set_mute(self, room: str, wsid: str, until_ms: int) -> None:
        """Refuse the member's chat lines in ``room`` until ``until_ms`` (0: let it talk)."""

    async def remove(self, room: str, wsid: str) -> None:
        """Take the member out of ``room`` (a kick, a ban); it stays connected."""

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run ``coroutine`` in the background; the node's shutdown waits for it."""

    def on_room_closed(self, closed: Callable[[str], None]) -> None:
        """Call ``closed`` with a room's name when its last member on this node leaves."""
