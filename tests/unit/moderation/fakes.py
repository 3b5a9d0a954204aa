"""Fakes for moderation tests: the local rooms of a node, its members, the presence, the control bus
and the clock; the access store is the real memory store, which costs nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import orjson

from roomcast.auth.identity import GUEST, Identity
from roomcast.moderation import control
from roomcast.moderation.control import ControlEvent
from roomcast.moderation.service import Moderation
from roomcast.store.memory import MemoryStore


class FakeClock:
    def __init__(self) -> None:
        self.ms = 1_700_000_000_000

    def now_ms(self) -> int:
        return self.ms

    def monotonic(self) -> float:
        return self.ms / 1000


@dataclass
class FakeOccupant:
    wsid: str
    nick: str
    identity: Identity = GUEST
    remote: str = "10.0.0.1"
    frames: list[dict[str, Any]] = field(default_factory=list)

    def send(self, payload: bytes) -> None:
        self.frames.append(orjson.loads(payload))

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["Type"] == kind]


class FakeRooms:
    """``LocalRooms``: rooms of occupants, their mutes, and the background tasks."""

    def __init__(self) -> None:
        self.rooms: dict[str, dict[str, FakeOccupant]] = {}
        self.mutes: dict[tuple[str, str], int] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.closed: Callable[[str], None] | None = None

    def seat(self, room: str, occupant: FakeOccupant) -> FakeOccupant:
        self.rooms.setdefault(room, {})[occupant.wsid] = occupant
        return occupant

    def has_room(self, room: str) -> bool:
        return room in self.rooms

    def occupants(self, room: str) -> list[FakeOccupant]:
        return list(self.rooms.get(room, {}).values())

    def local_member(self, wsid: str) -> FakeOccupant | None:
        return next((o for r in self.rooms.values() for o in r.values() if o.wsid == wsid), None)

    def set_mute(self, room: str, wsid: str, until_ms: int) -> None:
        self.mutes[room, wsid] = until_ms

    async def remove(self, room: str, wsid: str) -> None:
        members = self.rooms.get(room, {})
        members.pop(wsid, None)
        if not members and room in self.rooms:
            del self.rooms[room]
            if self.closed is not None:
                self.closed(room)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self.tasks.append(asyncio.get_running_loop().create_task(coroutine))

    def on_room_closed(self, closed: Callable[[str], None]) -> None:
        self.closed = closed

    async def settle(self) -> None:
        while self.tasks:
            await self.tasks.pop(0)


class FakePresence:
    def __init__(self) -> None:
        self.rooms: dict[str, list[str]] = {}
        self.nicks: dict[str, str] = {}

    async def members(self, room: str) -> list[str]:
        return self.rooms.get(room, [])

    async def nick_owner(self, key: str) -> str | None:
        return self.nicks.get(key)


class FakeBus:
    """The control channel of a single node: records each event, decoded."""

    def __init__(self) -> None:
        self.published: list[tuple[str, ControlEvent]] = []

    def publish_control(self, room: str, payload: bytes) -> None:
        self.published.append((room, control.decode(payload)))


@dataclass
class Node:
    moderation: Moderation
    store: MemoryStore
    rooms: FakeRooms
    presence: FakePresence
    bus: FakeBus
    clock: FakeClock

    async def deliver_published(self) -> None:
        """Hand every published event back to this node, as the broker would, and apply it."""
        published, self.bus.published = self.bus.published, []
        for room, event in published:
            self.moderation.control(room, control.encode(event))
        await self.rooms.settle()
