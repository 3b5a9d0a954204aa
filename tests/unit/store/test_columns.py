"""What the SQL stores share: parameters from records and the bounds of an import."""

from __future__ import annotations

from roomcast.store.base import AuditEntry
from roomcast.store.columns import import_bounds, values
from roomcast.wire.protocol import ChatMessage


def test_values_are_the_fields_in_declaration_order() -> None:
    entry = AuditEntry(5, "alice", "mute", "lobby", "bob", "spam")
    assert values(entry) == (5, "alice", "mute", "lobby", "bob", "spam")


def test_import_bounds_are_the_highest_id_and_the_earliest_time_per_room() -> None:
    messages = [
        ChatMessage("a", 3, "x", "t", "w", 30),
        ChatMessage("a", 9, "x", "t", "w", 10),
        ChatMessage("b", 1, "x", "t", "w", 50),
    ]
    assert import_bounds(messages) == {"a": (9, 10), "b": (1, 50)}
    assert import_bounds([]) == {}
