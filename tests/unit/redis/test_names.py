"""The names of a deployment in Redis: node IDs, room channels and the presence signal."""

from __future__ import annotations

from roomcast.redis.names import (
    DEFAULT_PREFIX,
    NO_NODE,
    NODE_ID_LENGTH,
    new_node_id,
    presence_signal,
    room_channel,
)


def test_node_ids_are_random_hex_of_the_fixed_length() -> None:
    ids = {new_node_id() for _ in range(100)}
    assert len(ids) == 100
    for node in ids:
        assert len(node) == NODE_ID_LENGTH
        int(node, 16)
    assert len(NO_NODE) == NODE_ID_LENGTH


def test_a_room_channel_and_a_presence_signal() -> None:
    assert room_channel(DEFAULT_PREFIX, "lobby") == "roomcast:r:lobby"
    assert room_channel("other:", "a b") == "other:r:a b"
    assert presence_signal(b"feedfacecafe") == b"Pfeedfacecafe"
    assert presence_signal(NO_NODE) == b"P------------"
