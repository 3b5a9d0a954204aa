"""Who is typing, through the hub and the memory broker: never the receiver itself, coalesced,
gone on Stop, on a line, on leaving and after the expiry."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from roomcast.chat.hub import Hub
from roomcast.chat.typing import TYPING_EXPIRY, TYPING_INTERVAL
from roomcast.wire.protocol import LeaveRoom, SendChat, Typing

from .conftest import FakeClock, RecordingPeer

Peers = Callable[[str], RecordingPeer]


def names(peer: RecordingPeer) -> list[list[str]]:
    return [f["Names"] for f in peer.of("Typing")]


async def test_others_see_who_types_and_the_typer_does_not(hub: Hub, peer: Peers) -> None:
    alice_peer, bob_peer = peer("a"), peer("b")
    alice = await hub.connect(alice_peer, room="r", nick="alice")
    await hub.connect(bob_peer, room="r", nick="bob")
    await hub.handle(alice, Typing("r"))
    await asyncio.sleep(0)
    assert names(bob_peer) == [["alice"]]
    assert names(alice_peer) == []
    await hub.handle(alice, Typing("r"))  # still typing: nothing new to tell
    await hub.handle(alice, Typing("r", stop=True))
    await asyncio.sleep(TYPING_INTERVAL + 0.1)  # coalesced: at most one frame a second
    assert names(bob_peer) == [["alice"], []]


async def test_a_line_and_a_leave_end_typing(hub: Hub, peer: Peers) -> None:
    alice_peer, bob_peer, carol_peer = peer("a"), peer("b"), peer("c")
    alice = await hub.connect(alice_peer, room="r", nick="alice")
    bob = await hub.connect(bob_peer, room="r", nick="bob")
    await hub.connect(carol_peer, room="r", nick="carol")
    await hub.handle(alice, Typing("r"))
    await hub.handle(bob, Typing("r"))
    await asyncio.sleep(TYPING_INTERVAL + 0.1)
    assert names(carol_peer)[-1] == ["alice", "bob"]
    assert names(alice_peer)[-1] == ["bob"]
    await hub.handle(alice, SendChat("done", room="r"))
    await hub.handle(bob, LeaveRoom("r"))
    await asyncio.sleep(TYPING_INTERVAL + 0.1)
    assert names(carol_peer)[-1] == []


async def test_a_typer_that_goes_quiet_expires(hub: Hub, peer: Peers, clock: FakeClock) -> None:
    alice_peer, bob_peer, carol_peer = peer("a"), peer("b"), peer("c")
    alice = await hub.connect(alice_peer, room="r", nick="alice")
    bob = await hub.connect(bob_peer, room="r", nick="bob")
    await hub.connect(carol_peer, room="r", nick="carol")
    await hub.handle(alice, Typing("r"))
    await asyncio.sleep(0)
    clock.advance(TYPING_EXPIRY + 1)
    await hub.handle(bob, Typing("r"))  # the next look at the room drops alice
    await asyncio.sleep(0)
    assert names(carol_peer) == [["alice"], ["bob"]]


async def test_typing_needs_the_room(hub: Hub, peer: Peers) -> None:
    alice_peer = peer("a")
    alice = await hub.connect(alice_peer, room="r", nick="alice")
    await hub.handle(alice, Typing("elsewhere"))
    assert alice_peer.of("Error")[-1]["Code"] == "not_in_room"
