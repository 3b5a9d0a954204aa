"""Which of a connection's rooms a frame names, in any spelling, and the first spelling of a
room when the store is down."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from roomcast.chat.room_names import first_spelling, room_of
from roomcast.store import StoreUnavailable
from roomcast.store.memory import MemoryStore
from roomcast.wire.protocol import ErrorCode, ProtocolError


def member(*rooms: str) -> Any:
    return SimpleNamespace(rooms=dict.fromkeys(rooms))


def test_a_frame_names_a_joined_room_in_any_spelling() -> None:
    joined = member("Dev", "ops")
    assert room_of(joined, None, None) == "Dev"  # no room: the first
    assert room_of(joined, "Dev", None) == "Dev"
    assert room_of(joined, "DEV", None) == "Dev"
    assert room_of(joined, "OPS", None) == "ops"
    with pytest.raises(ProtocolError) as refused:
        room_of(joined, "Devs", 7)
    assert (refused.value.code, refused.value.ref) == (ErrorCode.NOT_IN_ROOM, 7)
    with pytest.raises(ProtocolError):
        room_of(member(), None, None)


async def test_first_spelling_claims_and_survives_an_outage() -> None:
    store = MemoryStore()
    await store.open()
    assert await first_spelling(store, "Dev") == "Dev"
    assert await first_spelling(store, "dev") == "Dev"

    class Down(MemoryStore):
        async def room_name(self, name: str, *, claim: bool) -> str:
            raise StoreUnavailable("down")

    assert await first_spelling(Down(), "dev") == "dev"
