"""The moderation tests' node: the service wired to fakes and the memory store."""

from __future__ import annotations

import pytest

from roomcast.moderation.service import Moderation
from roomcast.store.memory import MemoryStore
from unit.moderation.fakes import FakeBus, FakeClock, FakePresence, FakeRooms, Node


@pytest.fixture
async def node() -> Node:
    store, rooms, presence, bus, clock = (
        MemoryStore(),
        FakeRooms(),
        FakePresence(),
        FakeBus(),
        FakeClock(),
    )
    await store.open()
    moderation = Moderation(
        store,
        presence,
        bus,
        rooms,
        clock=clock,
        is_admin=lambda name: name == "root",
        kick_seconds=60,
    )
    return Node(moderation, store, rooms, presence, bus, clock)
