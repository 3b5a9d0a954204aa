"""The room of a direct conversation is a function of its set of people."""

from __future__ import annotations

from roomcast.chat.direct import DIRECT_PREFIX, direct_room_name
from roomcast.wire.protocol import validate_room


def test_the_same_people_get_the_same_room_in_any_order() -> None:
    room = direct_room_name({"id-a", "id-b"})
    assert room == direct_room_name({"id-b", "id-a"})
    assert room.startswith(DIRECT_PREFIX)
    assert validate_room(room) == room
    assert room != direct_room_name({"id-a", "id-b", "id-c"})
    assert room != direct_room_name({"id-a", "id-c"})
