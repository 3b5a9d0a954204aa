"""Which of a connection's rooms a frame names, in any spelling, and the first spelling of a
room when the store is down."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from roomcast.chat.room_names import first_spelling, room_of
from roomcast.chat.state import Member, Subscription
from roomcast.store import StoreUnavailable
from roomcast.store.memory import MemoryStore
from roomcast.wire.protocol import ErrorCode, ProtocolError

Peers = Callable[[str], Any]


def member(peer: Peers, *rooms: str) -> Member:
    joined = Member(peer("w"), "someone", "secret")
    for room in rooms:
        joined.subscribe(Subscription(joined, room))
    return joined


def test_a_frame_names_a_joined_room_in_any_spelling(peer: Peers) -> None:
    joined = member(peer, "Dev", "ops")
    assert room_of(joined, None, None) == "Dev"  # no room: the first
    assert room_of(joined, "Dev", None) == "Dev"
    assert room_of(joined, "DEV", None) == "Dev"
    assert room_of(joined, "OPS", None) == "ops"
    with pytest.raises(ProtocolError) as refused:
        room_of(joined, "Devs", 7)
    assert (refused.value.code, refused.value.ref) == (ErrorCode.NOT_IN_ROOM, 7)
    with pytest.raises(ProtocolError):
        room_of(member(peer), None, None)


async def test_first_spelling_claims_and_survives_an_outage() -> None:
    store = MemoryStore()
    await store.open()
    assert await first_spelling(store, "Dev") == "Dev"
    assert await first_spelling(store, "dev") == "Dev"

    class Down(MemoryStore):
        async def room_name(self, name: str, *, claim: bool) -> str:
            raise StoreUnavailable("down")

    assert await first_spelling(Down(), "dev") == "dev"
