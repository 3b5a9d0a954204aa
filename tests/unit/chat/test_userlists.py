"""User lists: coalesced per room, full lists or diffs, and the other nodes are told; a big
room's lists are cut at ``userlist_max`` names and ``Members`` pages the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from roomcast.chat import userlists
from roomcast.chat.background import Background
from roomcast.chat.state import DirectFanout, Member, Room, Subscription
from roomcast.chat.userlists import UserLists
from roomcast.presence.memory import MemoryPresence
from roomcast.wire.errors import ErrorCode, ProtocolError
from roomcast.wire.member_frames import ListMembers

Peers = Callable[[str], Any]


class Announcements:
    def __init__(self) -> None:
        self.rooms: list[str] = []

    def announce(self, room: str) -> None:
        self.rooms.append(room)


class World:
    def __init__(self, most: int = 500) -> None:
        self.presence = MemoryPresence()
        self.broker = Announcements()
        self.rooms: dict[str, Room] = {"r": Room("r", DirectFanout())}
        self.background = Background()
        self.lists = UserLists(
            0.01, most, self.presence, self.broker, self.rooms.get, self.background
        )

    async def seat(self, peer: Any, nick: str, *, diffs: bool = False) -> Member:
        member = Member(peer, nick, f"session-{nick}", userlist_diffs=diffs)
        sub = self.rooms["r"].subscriptions[peer.wsid] = Subscription(member, "r")
        member.subscribe(sub)
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


async def test_a_big_room_lists_the_first_names_and_the_count(peer: Peers) -> None:
    world, full, diff = World(most=3), peer("f"), peer("d")
    await world.seat(full, "Fay")
    await world.seat(diff, "dan", diffs=True)
    for nick in ("bea", "Carl", "eve"):
        await world.seat(peer(nick), nick)
    world.lists.changed("r")
    await world.flushed()
    first = {"Type": "userlist", "Room": "r", "Count": 5}
    names = [{"Name": n} for n in ("bea", "Carl", "dan")]  # sorted case-insensitively
    assert full.of("userlist") == diff.of("userlist") == [{**first, "Users": names}]
    await world.seat(peer("al"), "al")
    world.lists.changed("r")
    await world.flushed()
    # A join: the diff form gets its name alone, the full form the first names again.
    assert diff.of("Presence") == [{"Type": "Presence", "Room": "r", "Joined": ["al"], "Left": []}]
    assert full.of("userlist")[-1]["Count"] == 6
    assert [u["Name"] for u in full.of("userlist")[-1]["Users"]] == ["al", "bea", "Carl"]


async def test_a_room_at_the_limit_keeps_the_whole_list_without_count(peer: Peers) -> None:
    world, alice = World(most=2), peer("a")
    await world.seat(alice, "alice")
    await world.seat(peer("b"), "bob")
    world.lists.changed("r")
    await world.flushed()
    assert alice.of("userlist") == [
        {"Type": "userlist", "Room": "r", "Users": [{"Name": "alice"}, {"Name": "bob"}]}
    ]


async def test_members_pages_through_every_name_once(peer: Peers) -> None:
    world, asker = World(most=2), peer("a")
    member = await world.seat(asker, "Ann")
    for nick in ("bo", "Cy", "di", "Ed"):
        await world.seat(peer(nick), nick)
    world.lists.changed("r")
    await world.flushed()
    seen: list[str] = []
    after: str | None = None
    for ref in range(1, 10):
        await world.lists.page(member, ListMembers("r", after, 2, ref))
        page = asker.of("Members")[-1]
        assert (page["Room"], page["Count"], page["Ref"], page.get("After")) == ("r", 5, ref, after)
        seen += page["Names"]
        if not page["More"]:
            break
        after = page["Names"][-1]
    assert seen == ["Ann", "bo", "Cy", "di", "Ed"]
    assert ref == 3
    # After is a position, not a member: any spelling, any case.
    await world.lists.page(member, ListMembers(None, "CZ", 200))
    assert asker.of("Members")[-1]["Names"] == ["di", "Ed"]
    await world.lists.page(member, ListMembers("r", "zz", 200))
    assert asker.of("Members")[-1] == {"Type": "Members", "Room": "r", "Names": [], "Count": 5,
                                       "More": False, "After": "zz"}  # fmt: skip


async def test_only_a_member_of_the_room_may_page_it(peer: Peers) -> None:
    world = World()
    outsider = Member(peer("x"), "xena", "session-xena")
    with pytest.raises(ProtocolError) as refused:
        await world.lists.page(outsider, ListMembers("r", None, 200, "p"))
    assert (refused.value.code, refused.value.ref) == (ErrorCode.NOT_IN_ROOM, "p")


async def test_a_member_without_a_list_yet_is_answered_from_the_presence(peer: Peers) -> None:
    world, asker = World(), peer("a")
    member = await world.seat(asker, "ann")
    await world.lists.page(member, ListMembers("r"))  # no flush yet: Room.names is empty
    assert (asker.of("Members")[-1]["Names"], asker.of("Members")[-1]["Count"]) == (["ann"], 1)
    world.lists.changed("r")
    await world.flushed()
    await world.seat(peer("b"), "bob")  # not flushed: the member's list says one name
    await world.lists.page(member, ListMembers("r"))
    assert asker.of("Members")[-1]["Names"] == ["ann"]


async def test_a_busy_room_waits_twice_as_long_each_update_and_a_quiet_one_does_not(
    peer: Peers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(userlists, "BUSY_SECONDS", 0.3)
    world, alice = World(), peer("a")  # userlist_interval 0.01
    room = world.rooms["r"]
    await world.seat(alice, "alice")

    async def one_join(n: int) -> float:
        await world.seat(peer(f"p{n}"), f"p{n}")
        world.lists.changed("r")
        delay = room.userlist_delay
        await asyncio.sleep(delay + 0.02)
        await world.background.wait(1)
        return delay

    assert [await one_join(n) for n in range(6)] == [0.01, 0.02, 0.04, 0.08, 0.16, 0.3]
    assert [len(u["Users"]) for u in alice.of("userlist")] == [2, 3, 4, 5, 6, 7]  # none lost
    await asyncio.sleep(0.35)  # a quiet spell as long as BUSY_SECONDS
    assert await one_join(6) == 0.01
    assert len(alice.of("userlist")[-1]["Users"]) == 8
