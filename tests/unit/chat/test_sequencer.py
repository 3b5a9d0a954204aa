"""Per-room ordering: in ID order, once each, gaps filled from the store, replays released."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from roomcast.chat import sequencer
from roomcast.chat.background import Background
from roomcast.chat.sequencer import Sequencer
from roomcast.chat.state import DirectFanout, Member, Room, Subscription
from roomcast.ops.metrics import Metrics
from roomcast.store import NewMessage
from roomcast.store.memory import MemoryStore
from roomcast.wire import protocol
from roomcast.wire.protocol import ChatMessage

Peers = Callable[[str], Any]


def chat(message_id: int) -> bytes:
    return protocol.encode_chat(ChatMessage("r", message_id, "x", f"m{message_id}", "w", 0))


class World:
    def __init__(self) -> None:
        self.store = MemoryStore()
        self.metrics = Metrics()
        self.rooms: dict[str, Room] = {}
        self.background = Background()
        self.sequencer = Sequencer(self.store, self.metrics, self.rooms.get, self.background)

    def room(self, *peers: Any, delivered: int | None = 0) -> Room:
        room = self.rooms["r"] = Room("r", DirectFanout(), delivered=delivered)
        for peer in peers:
            room.fanout.add(peer)
        return room


def ids(peer: Any) -> list[int]:
    return [f["ID"] for f in peer.of("Chat")]


async def test_messages_go_out_in_id_order_once_each(peer: Peers) -> None:
    world, alice = World(), peer("a")
    world.room(alice)
    for message_id in (2, 1, 1, 4, 3, 2):
        world.sequencer.deliver("r", message_id, chat(message_id))
    assert ids(alice) == [1, 2, 3, 4]
    assert world.metrics.messages_delivered == 4
    assert world.rooms["r"].early == {}


def test_a_room_that_has_not_started_counting_takes_the_first_message_it_sees(
    peer: Peers,
) -> None:
    world, alice = World(), peer("a")
    world.room(alice, delivered=None)
    world.sequencer.deliver("r", 7, chat(7))
    assert ids(alice) == [7]


def test_rooms_without_members_here_are_ignored(peer: Peers) -> None:
    World().sequencer.deliver("nowhere", 1, chat(1))


async def test_a_gap_the_broker_never_fills_is_read_from_the_store(
    peer: Peers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sequencer, "GAP_WAIT", 0.01)
    world, alice = World(), peer("a")
    world.room(alice)
    await world.store.append(NewMessage("r", "bob", "lost", "w", 0))
    world.sequencer.deliver("r", 2, chat(2))
    assert ids(alice) == []
    await asyncio.sleep(0.05)
    await world.background.wait(1)
    assert ids(alice) == [1, 2]
    assert [f["Author"] for f in alice.of("Chat")] == ["bob", "x"]  # 1 from the store
    assert world.rooms["r"].gap_timer is None


async def test_no_gap_timer_once_the_node_is_closing(peer: Peers) -> None:
    world = World()
    room = world.room(peer("a"))
    world.background.closing = True
    world.sequencer.deliver("r", 3, chat(3))
    assert room.gap_timer is None


def test_a_replaying_member_gets_what_was_held_beyond_its_backlog(peer: Peers) -> None:
    world, watcher, joiner = World(), peer("w"), peer("j")
    room = world.room(watcher)
    member = Member(joiner, "j", "session-of-joiner")
    sub = room.replaying["j"] = Subscription(member, "r")
    for message_id in (1, 2, 3):
        world.sequencer.deliver("r", message_id, chat(message_id))
    assert ids(joiner) == []
    sub.last_id = 2  # its backlog covered 1 and 2
    assert world.sequencer.release(room, sub) == 1
    assert ids(joiner) == [3]
    assert sub.held is None
    assert ids(watcher) == [1, 2, 3]
