"""The MessageStore interface: where history lives and where message IDs are assigned.

The store is the source of truth for order: a message gets its room-local ID when it is committed,
and only a committed message is fanned out or acknowledged. Appends are submitted without waiting
(the caller gets a future) so one connection can pipeline many lines, and implementations batch
them into few commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from roomcast.protocol import ChatMessage, Ref


class StoreUnavailable(Exception):
    """The store cannot take or give messages right now (down, full or overloaded)."""


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message before it is stored. ``sender`` and ``ref`` make re-sends idempotent."""

    room: str
    author: str
    text: str
    wsid: str
    sent_ms: int
    sender: str | None = None
    ref: Ref | None = None


@dataclass(frozen=True, slots=True)
class Appended:
    """The stored message; ``duplicate`` when the same sender had already sent that ``ref``."""

    message: ChatMessage
    duplicate: bool


@dataclass(frozen=True, slots=True)
class RoomSummary:
    """A room the store knows: its newest message ID (0 when none) and its topic ("" when unset)."""

    name: str
    last_id: int
    topic: str = ""


class MessageStore(Protocol):
    """Durable, ordered, per-room message history."""

    async def open(self) -> None:
        """Connect, apply migrations, start background writers."""

    async def close(self) -> None:
        """Commit everything submitted so far, then release resources."""

    def append(self, message: NewMessage) -> asyncio.Future[Appended]:
        """Submit a message; the future resolves once it is durably committed.

        The future fails with ``StoreUnavailable`` when the message was not stored. Futures of
        one store resolve in submission order.
        """

    async def page(self, room: str, before: int | None, limit: int) -> list[ChatMessage]:
        """Up to ``limit`` messages with ID < ``before`` (the newest when None), oldest first."""

    async def after(self, room: str, after_id: int, limit: int) -> list[ChatMessage]:
        """Up to ``limit`` messages with ID > ``after_id``, oldest first."""

    async def last_id(self, room: str) -> int:
        """The ID of the room's newest message; 0 when it has none."""

    async def rooms(self) -> list[RoomSummary]:
        """Every room that exists (created, or with at least one message, and not deleted)."""

    async def room(self, name: str) -> RoomSummary | None:
        """The room ``name`` when it exists (in the sense of ``rooms``), else None."""

    async def create_room(self, name: str, topic: str = "") -> bool:
        """Make the room exist before anyone posts to it; False when it already exists."""

    async def delete_room(self, name: str) -> bool:
        """Delete the room and its whole history; False when it does not exist.

        IDs are never reused: a message posted to the room afterwards (which brings it back)
        continues after the old last ID, so members still connected keep receiving in order.
        """

    async def import_messages(self, messages: Sequence[ChatMessage]) -> int:
        """Store messages with the IDs they carry (restoring an export); return how many were new.

        A message whose room already holds its ID is skipped, so importing twice changes nothing.
        Each room's last ID becomes at least its highest imported ID; a deleted room comes back.
        Raises ``StoreUnavailable`` when nothing could be stored.
        """


def ref_key(ref: Ref | None) -> str | None:
    """Store form of a Ref: the integer 5 and the string "5" are different refs."""
    if ref is None:
        return None
    return f"i:{ref}" if isinstance(ref, int) else f"s:{ref}"
