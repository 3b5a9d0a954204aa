"""The chat domain's state: connections as members, rooms, and a member's place in a room.

A connection is a ``Peer`` that takes the JSON payload of one server frame at a time; the room's
members on this node are a ``Fanout`` that takes each payload once for all of them. Framing is
the transport's business: nothing here knows of sockets or WebSocket frames.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from typing import Final, Protocol

from roomcast.auth import GUEST, Identity
from roomcast.ratelimit import TokenBucket
from roomcast.store import owner_key

# The broker "room" of a person's own events: this and the person's owner key (``people``).
PERSON_PREFIX: Final = "~p:"
# Where the owner key starts in a person's channel, and a guest's sender in it (``g:<sender>``).
_OWNER_AT: Final = len(PERSON_PREFIX)
_GUEST_SENDER_AT: Final = _OWNER_AT + len("g:")


def session_sender(session: str) -> str:
    """Who a session's lines are sent by (``Member.sender``): a hash of its secret."""
    return hashlib.sha256(session.encode()).hexdigest()[:32]


class Peer(Protocol):
    """One client connection as the chat domain sees it."""

    @property
    def wsid(self) -> str: ...

    def send(self, payload: bytes) -> None:
        """Queue one frame's JSON payload for this client; never blocks."""

    def close(self, code: int, reason: str) -> None:
        """Close the connection with a WebSocket close code; never blocks."""


class Fanout(Protocol):
    """The live members of one room on this node: a payload sent here reaches each of them."""

    def __len__(self) -> int: ...

    def send(self, payload: bytes) -> None:
        """Queue one frame's JSON payload for every member; never blocks."""

    def add(self, peer: Peer) -> None:
        """Include ``peer`` from now on; what it was sent on its own goes out first."""

    def discard(self, peer: Peer) -> None:
        """Stop sending to ``peer``."""


class DirectFanout:
    """A ``Fanout`` that calls ``send`` of each member: for peers without a batching writer."""

    __slots__ = ("_peers",)

    def __init__(self) -> None:
        self._peers: dict[str, Peer] = {}

    def __len__(self) -> int:
        return len(self._peers)

    def send(self, payload: bytes) -> None:
        for peer in self._peers.values():
            peer.send(payload)

    def add(self, peer: Peer) -> None:
        self._peers[peer.wsid] = peer

    def discard(self, peer: Peer) -> None:
        self._peers.pop(peer.wsid, None)


@dataclass(slots=True)
class Subscription:
    """A member's place in one room: the last ID sent, and live payloads held during a replay.

    ``muted_until`` (ms, 0 when not muted) is set by moderation through the registry.
    """

    member: Member
    room: str
    last_id: int = 0
    held: list[tuple[int, bytes]] | None = field(default_factory=list)
    has_userlist: bool = False
    muted_until: int = 0


@dataclass(slots=True)
class Member:
    """A connected client: its nickname, session and rooms (in the order joined)."""

    peer: Peer
    nick: str
    session: str
    # Its subscriptions: the one itself while it is in one room (most connections), a dict by
    # room once it is in more, None in none. A dict of one is 184 bytes (docs/decisions.md).
    _subscriptions: Subscription | dict[str, Subscription] | None = field(default=None, init=False)
    connected: bool = True
    userlist_diffs: bool = False
    remote: str = ""
    # The rate buckets, made at the first budgeted command: an idle connection holds no dict.
    budgets: dict[str, TokenBucket] | None = None
    strikes: int = 0
    identity: Identity = GUEST
    # The channel of its person's events (``PERSON_PREFIX`` and the owner key): one string that
    # the member, the node's people and the broker's subscription share. ``owner`` and a
    # guest's ``sender`` are cut from it at each use rather than held: 164 bytes less per idle
    # guest connection (docs/decisions.md).
    person_channel: str = field(init=False)
    # A signed-in member's ``sender``; None for a guest, whose channel ends with it.
    _account_sender: str | None = field(init=False)

    def __post_init__(self) -> None:
        sender = session_sender(self.session)
        self.person_channel = PERSON_PREFIX + owner_key(self.identity.account_id, sender)
        self._account_sender = None if self.identity.account_id is None else sender

    def subscription(self, room: str) -> Subscription | None:
        """Its place in ``room`` (the name as the store spells it), or None when not in it."""
        subs = self._subscriptions
        if isinstance(subs, Subscription):
            return subs if subs.room == room else None
        return None if subs is None else subs.get(room)

    def place(self, room: str) -> Subscription:
        """Its place in ``room``, a room it is in (``KeyError`` when it is not)."""
        subs = self._subscriptions  # as ``subscription``, one call less: on the chat line's path
        if isinstance(subs, Subscription):
            if subs.room == room:
                return subs
        elif subs is not None and (sub := subs.get(room)) is not None:
            return sub
        raise KeyError(room)

    def room_names(self) -> list[str]:
        """The rooms it is in, in the order joined."""
        subs = self._subscriptions
        if subs is None:
            return []
        if isinstance(subs, Subscription):
            return [subs.room]
        return list(subs)

    def room_count(self) -> int:
        subs = self._subscriptions
        if subs is None:
            return 0
        return 1 if isinstance(subs, Subscription) else len(subs)

    def subscribe(self, sub: Subscription) -> None:
        """Add its place in ``sub.room``, a room it is not in yet."""
        subs = self._subscriptions
        if subs is None:
            self._subscriptions = sub
        elif isinstance(subs, Subscription):
            self._subscriptions = {subs.room: subs, sub.room: sub}
        else:
            subs[sub.room] = sub

    def unsubscribe(self, room: str) -> Subscription | None:
        """Remove and return its place in ``room``; None when it is not in it."""
        subs = self._subscriptions
        if subs is None:
            return None
        if isinstance(subs, Subscription):
            if subs.room != room:
                return None
            self._subscriptions = None
            return subs
        sub = subs.pop(room, None)
        if len(subs) == 1:
            self._subscriptions = next(iter(subs.values()))
        return sub

    @property
    def owner(self) -> str:
        """Whose its messages are (who may edit them): the account, or for a guest the session."""
        return self.person_channel[_OWNER_AT:]

    @property
    def sender(self) -> str:
        """Who sent a message, for idempotent re-sends: a hash of the session secret."""
        return self._account_sender or self.person_channel[_GUEST_SENDER_AT:]

    @property
    def wsid(self) -> str:
        return self.peer.wsid

    def send(self, payload: bytes) -> None:
        self.peer.send(payload)


@dataclass(slots=True)
class Room:
    """A room with members on this node.

    Members whose join or resume is still replaying history are in ``replaying`` and collect live
    payloads in their subscription; the others are in ``fanout``. ``delivered`` is the highest ID
    fanned out here; messages that arrive ahead of a gap (possible when several nodes publish)
    wait in ``early`` until the gap is filled (see ``sequencer``).
    """

    name: str
    fanout: Fanout
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    replaying: dict[str, Subscription] = field(default_factory=dict)
    delivered: int | None = None
    early: dict[int, bytes] = field(default_factory=dict)
    gap_timer: asyncio.TimerHandle | None = None
    userlist_timer: asyncio.TimerHandle | None = None
    # The wait before the scheduled (or the last) user-list update, and when the last one was
    # sent (event-loop time): a room whose members keep changing waits longer each time.
    userlist_delay: float = 0.0
    userlist_sent_at: float = float("-inf")
    names: list[str] = field(default_factory=list)
