"""The chat state's own behaviour: the direct fan-out, a member's sender hash and its sends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from roomcast.chat.state import DirectFanout, Member

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
