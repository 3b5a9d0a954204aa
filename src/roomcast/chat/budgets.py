"""Rate budgets: how many chat lines, joins, renames and searches a connection may send, and per
address.

Each member has a token bucket per kind; chat lines also draw on their address's bucket. A
command over budget is answered with ``rate_limited``; a connection that keeps flooding after
``flood_limit`` refusals in a row is closed.
"""

from __future__ import annotations

import logging
from typing import Final

from roomcast.chat.state import Member
from roomcast.clock import Clock
from roomcast.ops.config import Settings
from roomcast.ratelimit import KeyedBuckets, Rate, TokenBucket
from roomcast.wire import protocol
from roomcast.wire.protocol import (
    CreateRoom,
    DeleteMessage,
    EditMessage,
    ErrorCode,
    FetchEdits,
    JoinRoom,
    MarkRead,
    Moderate,
    ProtocolError,
    React,
    Ref,
    SendChat,
    SetBlock,
    SetNick,
    SetRole,
    SetTopic,
    StartDirect,
    Typing,
)
from roomcast.wire.search_frames import SearchMessages

log = logging.getLogger(__name__)

# The budget each kind of command draws on; the others are free.
BUDGETED: Final[dict[type, str]] = {
    SendChat: "messages",
    # Changes to messages, and typing, are frames a person sends as often as lines.
    EditMessage: "messages",
    React: "messages",
    Typing: "messages",
    FetchEdits: "joins",
    MarkRead: "messages",
    StartDirect: "joins",
    SetBlock: "joins",
    JoinRoom: "joins",
    SetNick: "nicks",
    # Administration commands write to the store: they share the joins' budget.
    CreateRoom: "joins",
    SetTopic: "joins",
    SetRole: "joins",
    Moderate: "joins",
    DeleteMessage: "joins",
    # A search reads the whole history: a budget of its own.
    SearchMessages: "searches",
}


class RateBudgets:
    """The rates of one server, and the per-address bucket of chat lines."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._rates = {
            "messages": Rate.parse(settings.rate_messages),
            "joins": Rate.parse(settings.rate_joins),
            "nicks": Rate.parse(settings.rate_nicks),
            "searches": Rate.parse(settings.rate_searches),
        }
        self._messages_per_ip = KeyedBuckets(Rate.parse(settings.rate_messages_per_ip))
        self._flood_limit = settings.flood_limit
        self._monotonic = clock.monotonic

    def spend(self, member: Member, kind: str, ref: Ref | None) -> None:
        """Take one token of ``kind`` or raise ``rate_limited``; close persistent flooders."""
        now = self._monotonic()
        # A connection's bucket of a kind is made, full, when it first spends one: a bucket made
        # at connect time would be as full by then (it refills up to its burst), and an idle
        # connection holds none.
        budgets = member.budgets
        if budgets is None:
            budgets = member.budgets = {}
        bucket = budgets.get(kind)
        if bucket is None:
            bucket = budgets[kind] = TokenBucket(self._rates[kind], now)
        wait = bucket.take(now)
        if not wait and kind == "messages" and member.remote:
            wait = self._messages_per_ip.take(member.remote, now)
        if not wait:
            member.strikes = 0
            return
        member.strikes += 1
        if member.strikes >= self._flood_limit:
            log.warning("connection %s closed for flooding", member.wsid)
            member.peer.close(
                protocol.CLOSE_POLICY_VIOLATION, "flooding: too many rate-limited frames"
            )
        raise ProtocolError(
            ErrorCode.RATE_LIMITED,
            f"too many {kind}; try again in {wait:.1f} s",
            ref,
            retry_after=wait,
        )
