"""The chat state's own behaviour: the direct fan-out, a member's sender hash, its sends and
its places in rooms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from roomcast.chat.state import DirectFanout, Member, Subscription

Peers = Callable[[str], Any]


def test_direct_fanout_sends_each_payload_to_each_member(peer: Peers) -> None:
    fanout, alice, bob = DirectFanout(), peer("a"), peer("b")
    fanout.add(alice)
    fanout.add(bob)
    fanout.send(b'{"Type":"Chat","ID":1}')
    fanout.discard(alice)
    fanout.send(b'{"Type":"Chat","ID":2}')
    assert len(fanout) == 1
    assert [f["ID"] for f in alice.frames] == [1]
    assert [f["ID"] for f in bob.frames] == [1, 2]


def test_a_member_is_known_by_a_hash_of_its_session_and_sends_through_its_peer(
    peer: Peers,
) -> None:
    one = Member(peer("a"), "alice", "the-session-secret")
    again = Member(peer("b"), "alice", "the-session-secret")
    assert one.sender == again.sender
    assert "the-session-secret" not in one.sender
    assert len(one.sender) == 32
    one.send(b'{"Type":"Pong"}')
    assert one.peer.frames == [{"Type": "Pong"}]
    assert one.wsid == "a"


def test_a_member_keeps_its_rooms_in_the_order_joined_from_one_to_many_and_back(
    peer: Peers,
) -> None:
    member = Member(peer("a"), "alice", "secret")
    assert (member.room_names(), member.room_count(), member.subscription("r")) == ([], 0, None)
    assert member.unsubscribe("r") is None
    first, second, third = (Subscription(member, room) for room in ("r", "s", "t"))
    member.subscribe(first)
    assert member.place("r") is first
    assert member.subscription("s") is None
    with pytest.raises(KeyError):
        member.place("s")
    assert member.unsubscribe("s") is None
    for sub in (second, third):
        member.subscribe(sub)
    assert (member.room_names(), member.room_count()) == (["r", "s", "t"], 3)
    assert member.unsubscribe("r") is first
    assert member.unsubscribe("r") is None
    assert member.room_names() == ["s", "t"]
    assert member.unsubscribe("t") is third
    assert (member.room_names(), member.place("s")) == (["s"], second)
    member.subscribe(first)  # joined again: last in the order
    assert member.room_names() == ["s", "r"]
    assert member.unsubscribe("s") is second
    assert member.unsubscribe("r") is first
    assert (member.room_names(), member.room_count()) == ([], 0)
    with pytest.raises(KeyError):
        member.place("r")
