"""The frames of a room's change events, as the wire contract spells them."""

from __future__ import annotations

import orjson

from roomcast.wire.events import DeletedEvent, EditedEvent, ReactionEvent, encode_event
from roomcast.wire.text import encode_text

T = 1_764_633_600_000  # 2025-12-02T00:00:00.000Z


def test_each_event_names_its_target_and_has_its_own_id() -> None:
    assert orjson.loads(encode_event(EditedEvent("r", 8, 7, "fixed", "alice", T))) == {
        "Type": "Edited",
        "Room": "r",
        "ID": 8,
        "Target": 7,
        "Message": encode_text("fixed"),
        "Author": "alice",
        "Time": "2025-12-02T00:00:00.000Z",
    }
    assert orjson.loads(encode_event(DeletedEvent("r", 9, 7, "mod", T))) == {
        "Type": "Deleted",
        "Room": "r",
        "ID": 9,
        "Target": 7,
        "By": "mod",
    }
    # Removed is always there, false included.
    assert orjson.loads(encode_event(ReactionEvent("r", 10, 7, "👍", "bob", False, T))) == {
        "Type": "Reaction",
        "Room": "r",
        "ID": 10,
        "Target": 7,
        "Emoji": "👍",
        "Name": "bob",
        "Removed": False,
    }
