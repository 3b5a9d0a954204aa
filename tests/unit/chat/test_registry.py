"""The registry: entering and leaving rooms, and the local-rooms view moderation acts on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from roomcast.chat.registry import Registry
from roomcast.chat.state import DirectFanout, Member
from roomcast.presence.memory import MemoryPresence

Peers = Callable[[str], Any]


class Subscriptions:
    """The broker calls the registry makes."""

    def __init__(self) -> None:
        self.rooms: set[str] = set()
        self.announced: list[str] = []

    def subscribe(self, room: str) -> None:
        self.rooms.add(room)

    def unsubscribe(self, room: str) -> None:
        self.rooms.discard(room)

    def announce(self, room: str) -> None:
        self.announced.append(room)


def registry() -> tuple[Registry, Subscriptions, MemoryPresence]:
    broker, presence = Subscriptions(), MemoryPresence()
    made = Registry(
        broker,  # type: ignore[arg-type]
        presence,
        fanout=DirectFanout,
        userlist_interval=0.01,
    )
    return made, broker, presence


def member(peer: Peers, wsid: str, registry: Registry) -> Member:
    made = Member(peer(wsid), wsid, f"session-of-{wsid}")
    registry.add(made)
    return made


async def test_the_first_member_opens_a_room_and_the_last_closes_it(peer: Peers) -> None:
    rooms, broker, presence = registry()
    closed: list[str] = []
    rooms.on_room_closed(closed.append)
    alice, bob = member(peer, "a", rooms), member(peer, "b", rooms)
    room = await rooms.enter(alice, "r", 0)
    assert await rooms.enter(bob, "r", 0) is room
    assert broker.rooms == {"r"}
    assert rooms.local_rooms() == {"r": 2}
    assert set(room.replaying) == {"a", "b"}  # until their replays are released
    assert await presence.members("r") == ["a", "b"]
    await rooms.leave(alice, "r")
    assert closed == []
    await rooms.remove("r", "b")
    assert closed == ["r"]
    assert broker.rooms == set()
    assert rooms.room("r") is None
    assert broker.announced == ["r"] * 4
    assert bob.room_names() == []
    rooms.stop_timers()
    await asyncio.sleep(0.05)


async def test_the_local_rooms_view(peer: Peers) -> None:
    rooms, _, _ = registry()
    alice = member(peer, "a", rooms)
    await rooms.enter(alice, "r", 0)
    assert rooms.has_room("r")
    assert not rooms.has_room("s")
    assert rooms.occupants("r") == [alice]
    assert rooms.occupants("s") == []
    rooms.set_mute("r", "a", 1234)
    rooms.set_mute("s", "a", 99)  # not there: nothing to do
    assert alice.place("r").muted_until == 1234
    assert rooms.local_member("a") is alice
    rooms.stop_timers()


async def test_sessions_and_credentials_find_their_connections(peer: Peers) -> None:
    rooms, _, _ = registry()
    alice = member(peer, "a", rooms)
    rooms.own_session(alice)
    assert rooms.by_session(alice.session) is alice
    assert rooms.members_of("nothing") == []
    rooms.drop(alice)
    assert rooms.by_session(alice.session) is None
    assert rooms.member_count == 0
