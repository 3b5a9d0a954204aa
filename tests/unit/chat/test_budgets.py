"""Rate budgets against a fake clock: refusals with their wait, refills, addresses, flooders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from roomcast.chat.budgets import BUDGETED, RateBudgets
from roomcast.chat.state import Member
from roomcast.ops.config import Settings
from roomcast.wire import protocol
from roomcast.wire.protocol import ErrorCode, ProtocolError, SendChat, SetTopic

Peers = Callable[[str], Any]


def budgets(clock: Any, **rates: Any) -> RateBudgets:
    chosen = {
        "rate_messages": "1/2", "rate_messages_per_ip": "0", "rate_joins": "0",
        "rate_nicks": "0", "flood_limit": 3,
    }  # fmt: skip
    return RateBudgets(Settings(**{**chosen, **rates}), clock)


def member(peer: Peers, wsid: str, remote: str = "") -> Member:
    return Member(peer(wsid), wsid, f"session-{wsid}", remote=remote)


def test_a_burst_then_one_a_second(clock: Any, peer: Peers) -> None:
    limits = budgets(clock)
    alice = member(peer, "a")
    limits.spend(alice, "messages", None)
    limits.spend(alice, "messages", None)
    with pytest.raises(ProtocolError) as caught:
        limits.spend(alice, "messages", "r")
    assert caught.value.code == ErrorCode.RATE_LIMITED
    assert caught.value.retry_after == pytest.approx(1.0)
    assert caught.value.ref == "r"
    clock.advance(1.0)
    limits.spend(alice, "messages", None)
    assert alice.strikes == 0


def test_one_address_shares_its_budget_across_connections(clock: Any, peer: Peers) -> None:
    limits = budgets(clock, rate_messages="0", rate_messages_per_ip="1/2")
    one, two = member(peer, "1", "9.9.9.9"), member(peer, "2", "9.9.9.9")
    limits.spend(one, "messages", None)
    limits.spend(two, "messages", None)
    with pytest.raises(ProtocolError):
        limits.spend(one, "messages", None)
    other = member(peer, "3", "8.8.8.8")
    limits.spend(other, "messages", None)


def test_a_flooder_is_closed_after_the_flood_limit(clock: Any, peer: Peers) -> None:
    limits = budgets(clock)
    flooder = member(peer, "f")
    for _ in range(2):
        limits.spend(flooder, "messages", None)
    for _ in range(3):
        with pytest.raises(ProtocolError):
            limits.spend(flooder, "messages", None)
    assert flooder.peer.closed[0] == protocol.CLOSE_POLICY_VIOLATION


def test_administration_shares_the_joins_budget() -> None:
    assert BUDGETED[SendChat] == "messages"
    assert BUDGETED[SetTopic] == "joins"


def test_an_idle_connection_holds_no_bucket_and_its_first_burst_is_whole(
    clock: Any, peer: Peers
) -> None:
    limits = budgets(clock)
    alice = member(peer, "a")
    assert alice.budgets is None
    clock.advance(3600)
    limits.spend(alice, "messages", None)
    assert set(alice.budgets or ()) == {"messages"}
    limits.spend(alice, "messages", None)
    with pytest.raises(ProtocolError):
        limits.spend(alice, "messages", None)
