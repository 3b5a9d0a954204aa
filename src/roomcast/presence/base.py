"""The Presence interface: who holds which nickname and who is in which room.

Nicknames are unique across the whole deployment, compared by ``protocol.nick_key``. Room
membership is recorded per connection (``owner`` is a connection ID), so one user with two tabs
is two members with two nicknames.
"""

from __future__ import annotations

from typing import Literal, Protocol

# What readiness reports of a presence: ``none`` (kept in this process), ``ok`` (shared and in
# sync) or ``degraded`` (the shared copy is unreachable: this node answers from its own).
PresenceState = Literal["ok", "degraded", "none"]


class Presence(Protocol):
    @property
    def state(self) -> PresenceState:
        """What readiness reports of this presence."""

    async def claim_nick(self, key: str, owner: str) -> bool:
        """Take the nickname ``key`` for ``owner``; False when someone else holds it."""

    async def release_nick(self, key: str, owner: str) -> None:
        """Give the nickname back, if ``owner`` still holds it."""

    async def nick_owner(self, key: str) -> str | None:
        """The connection holding the nickname, if any."""

    async def join(self, room: str, owner: str, name: str) -> None:
        """Record ``owner`` as a member of ``room`` under ``name`` (also used to rename)."""

    async def leave(self, room: str, owner: str) -> None:
        """Remove ``owner`` from ``room``."""

    async def members(self, room: str) -> list[str]:
        """The names of the members of ``room``, sorted case-insensitively."""

    async def counts(self) -> dict[str, int]:
        """The number of members of every room that has any."""
