"""User lists: coalesced per room, full lists or diffs, and the other nodes are told."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from roomcast.chat.background import Background
from roomcast.chat.state import DirectFanout, Member, Room, Subscription
from roomcast.chat.userlists import UserLists
from roomcast.presence.memory import MemoryPresence

Peers = Callable[[str], Any]


class Announcements:
    def __init__(self) -> None:
        self.rooms: list[str] = []

    def announce(self, room: str) -> None:
        self.rooms.append(room)


class World:
    def __init__(self) -> None:
        self.presence = MemoryPresence()
        self.broker = Announcements()
        self.rooms: dict[str, Room] = {"r": Room("r", DirectFanout())}
        self.background = Background()
        self.lists = UserLists(0.01, self.presence, self.broker, self.rooms.get, self.background)

    async def seat(self, peer: Any, nick: str, *, diffs: bool = False) -> Member:
        member = Member(peer, nick, f"session-{nick}", userlist_diffs=diffs)
        self.rooms["r"].subscriptions[peer.wsid] = Subscription(member)
        await self.presence.join("r", peer.wsid, nick)
        return member

    async def flushed(self) -> None:
        await asyncio.sleep(0.05)
        await self.background.wait(1)


async def test_changes_are_coalesced_into_one_full_list(peer: Peers) -> None:
    world, alice = World(), peer("a")
    await world.seat(alice, "alice")
    await world.seat(peer("b"), "bob")
    world.lists.members_changed("r")
    world.lists.changed("r")
    world.lists.changed("r")
    await world.flushed()
    [only] = alice.of("userlist")
    assert [u["Name"] for u in only["Users"]] == ["alice", "bob"]
    assert world.broker.rooms == ["r"]  # the other nodes hear once per change made here


async def test_diff_members_get_one_full_list_then_what_changed(peer: Peers) -> None:
    world, watcher = World(), peer("w")
    await world.seat(watcher, "watcher", diffs=True)
    world.lists.changed("r")
    await world.flushed()
    await world.seat(peer("o"), "olga")
    world.lists.changed("r")
    await world.flushed()
    world.lists.changed("r")  # nothing changed: no Presence frame
    await world.flushed()
    assert len(watcher.of("userlist")) == 1
    assert [(p["Joined"], p["Left"]) for p in watcher.of("Presence")] == [(["olga"], [])]


async def test_nothing_is_scheduled_for_rooms_not_here_or_when_closing(peer: Peers) -> None:
    world = World()
    world.lists.changed("elsewhere")
    world.background.closing = True
    world.lists.changed("r")
    assert world.rooms["r"].userlist_timer is None
