"""The chat domain: members, rooms, nicknames, fan-out and the hand-off to history.

The hub knows nothing of sockets. A connection is a ``Peer`` that accepts pre-built frame bytes;
the hub turns commands into store appends, broker publications and frames. Data flows one way:
a line is appended to the store, which assigns its ID; the stored message is published on the
broker; the broker delivers it back to every node with members in the room, and each node encodes
and frames it once and hands the same bytes to each member.

Ordering: a member's subscription to a room remembers the last ID it was sent. While a join or
resume replays history, live messages for that member are held back and released afterwards,
skipping what the replay already covered, so each message arrives exactly once and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from roomcast import __version__
from roomcast.auth import GUEST, Authenticator, Identity
from roomcast.broker import Broker
from roomcast.moderation.service import CONTROL_ID, Moderation, RoomPolicy
from roomcast.ops.config import Settings
from roomcast.ops.metrics import Metrics
from roomcast.presence import Presence
from roomcast.ratelimit import KeyedBuckets, Rate, TokenBucket
from roomcast.store import Appended, NewMessage, Store, StoreUnavailable
from roomcast.wire import protocol, websocket
from roomcast.wire.protocol import (
    ChatMessage,
    Command,
    CreateRoom,
    DeleteMessage,
    ErrorCode,
    FetchHistory,
    JoinRoom,
    LeaveRoom,
    Moderate,
    Ping,
    ProtocolError,
    Ref,
    SendChat,
    SetNick,
    SetRole,
    SetTopic,
)

log = logging.getLogger(__name__)

SYSTEM_AUTHOR = "system"
# Sessions whose last nickname is remembered after they disconnect, so a reconnect gets it back.
_REMEMBERED_SESSIONS = 10_000
# How long a node waits for a missing message ID from the broker before reading the store.
GAP_WAIT = 0.5
SYSTEM_WSID = "system"


class Peer(Protocol):
    """One client connection as the hub sees it."""

    @property
    def wsid(self) -> str: ...

    def send(self, frame: bytes) -> None:
        """Queue a complete WebSocket frame for this client; never blocks."""

    def close(self, code: int, reason: str) -> None:
        """Close the connection with a WebSocket close code; never blocks."""


class Fanout(Protocol):
    """The live members of one room on this node: a frame sent here reaches each of them."""

    def __len__(self) -> int: ...

    def send(self, frame: bytes) -> None:
        """Queue one frame for every member; never blocks."""

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

    def send(self, frame: bytes) -> None:
        for peer in self._peers.values():
            peer.send(frame)

    def add(self, peer: Peer) -> None:
        self._peers[peer.wsid] = peer

    def discard(self, peer: Peer) -> None:
        self._peers.pop(peer.wsid, None)


@dataclass(slots=True)
class Subscription:
    """A member's place in one room: the last ID sent, and live frames held during a replay."""

    member: Member
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
    rooms: dict[str, Subscription] = field(default_factory=dict)
    connected: bool = True
    userlist_diffs: bool = False
    remote: str = ""
    budgets: dict[str, TokenBucket] = field(default_factory=dict)
    strikes: int = 0
    identity: Identity = GUEST
    # Who sent a message, for idempotent re-sends: a hash of the session secret.
    sender: str = field(init=False)

    def __post_init__(self) -> None:
        self.sender = hashlib.sha256(self.session.encode()).hexdigest()[:32]

    @property
    def wsid(self) -> str:
        return self.peer.wsid


@dataclass(slots=True)
class Room:
    """A room with members on this node.

    Members whose join or resume is still replaying history are in ``replaying`` and collect live
    frames in their subscription; the others are in ``fanout``. ``delivered`` is the highest ID
    fanned out here; messages that arrive ahead of a gap (possible when several nodes publish) wait
    in ``early`` until the gap is filled, from the broker or, after ``GAP_WAIT`` seconds, from the
    store.
    """

    name: str
    fanout: Fanout
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    replaying: dict[str, Subscription] = field(default_factory=dict)
    delivered: int | None = None
    early: dict[int, bytes] = field(default_factory=dict)
    gap_timer: asyncio.TimerHandle | None = None
    userlist_timer: asyncio.TimerHandle | None = None
    names: list[str] = field(default_factory=list)
    policy: RoomPolicy | None = None


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _framed(payload: bytes) -> bytes:
    return websocket.text_frame(payload)


class Hub:
    """Rooms and members of this node, wired to a store, a broker and a presence."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        broker: Broker,
        presence: Presence,
        *,
        clock: Callable[[], int] = now_ms,
        fanout: Callable[[], Fanout] = DirectFanout,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.broker = broker
        self.presence = presence
        self._clock = clock
        self._new_fanout = fanout
        self._rooms: dict[str, Room] = {}
        self._members: dict[str, Member] = {}
        self._sessions: dict[str, Member] = {}
        self._session_nicks: OrderedDict[str, str] = OrderedDict()
        self._background: set[asyncio.Task[None]] = set()
        self._rates = {
            "messages": Rate.parse(settings.rate_messages),
            "joins": Rate.parse(settings.rate_joins),
            "nicks": Rate.parse(settings.rate_nicks),
        }
        self._messages_per_ip = KeyedBuckets(Rate.parse(settings.rate_messages_per_ip))
        self.closing = False
        self.metrics = metrics or Metrics()
        self.auth = Authenticator(settings, store)
        self.moderation = Moderation(self)

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.open()
        await self.broker.start(self)

    async def stop(self) -> None:
        """Close every member with 1001, then flush the store and disconnect the broker."""
        self.closing = True
        for member in list(self._members.values()):
            member.peer.close(protocol.CLOSE_GOING_AWAY, "server shutting down")
        for room in self._rooms.values():
            if room.userlist_timer is not None:
                room.userlist_timer.cancel()
        if self._background:
            await asyncio.wait(self._background, timeout=self.settings.shutdown_timeout)
        await self.broker.stop()
        await self.store.close()

    @property
    def member_count(self) -> int:
        return len(self._members)

    def local_rooms(self) -> dict[str, int]:
        """Rooms with members on this node, and how many."""
        return {name: len(room.subscriptions) for name, room in self._rooms.items()}

    def live_room(self, name: str) -> Room | None:
        """The room, when it has members on this node."""
        return self._rooms.get(name)

    def local_member(self, wsid: str) -> Member | None:
        return self._members.get(wsid)

    def members_of(self, credential_id: str) -> list[Member]:
        """This node's connections that logged in with the session or token ``credential_id``."""
        return [m for m in self._members.values() if m.identity.credential_id == credential_id]

    async def remove_from_room(self, member: Member, room: str) -> None:
        """Take ``member`` out of ``room`` (a kick, a ban); it stays connected."""
        await self._leave(member, room)

    # -- connections ----------------------------------------------------------------------------

    async def connect(
        self,
        peer: Peer,
        *,
        room: str | None,
        nick: str | None = None,
        since: int | None = None,
        session: str | None = None,
        userlist_diffs: bool = False,
        remote: str = "",
        url_mistakes: Sequence[ProtocolError] = (),
        identity: Identity = GUEST,
    ) -> Member:
        """Admit a new connection: Status first, then its first room, backlog and user list.

        Raises ``ProtocolError`` (before anything is sent) when the room name is invalid.
        """
        room_name = protocol.validate_room(room)
        if session is not None and not _valid_session(session):
            session = None
        previous = self._sessions.get(session) if session else None
        now = time.monotonic()
        member = Member(
            peer,
            nick="",
            session=session or secrets.token_urlsafe(18),
            userlist_diffs=userlist_diffs,
            remote=remote,
            budgets={kind: TokenBucket(rate, now) for kind, rate in self._rates.items()},
            identity=identity,
        )
        self._members[peer.wsid] = member
        if previous is not None and previous.connected:
            # The same client came back while its old connection is still open: replace it.
            previous.peer.close(protocol.CLOSE_SESSION_REPLACED, "session resumed elsewhere")
            await self.disconnect(previous)
        remembered = self._session_nicks.get(member.session)
        nick_error: ProtocolError | None = None
        if not nick and not remembered and identity.name is not None:
            # An account's own name is its nickname unless it asks for another.
            with contextlib.suppress(ProtocolError):
                member.nick = await self._claim(member, protocol.validate_nick(identity.name))
        if nick:
            try:
                member.nick = await self._claim(member, protocol.validate_nick(nick))
            except ProtocolError as exc:
                nick_error = exc
        elif remembered:
            # The session's own earlier name (a guest name too) comes back if it is still free.
            with contextlib.suppress(ProtocolError):
                member.nick = await self._claim(member, remembered)
        if not member.nick:
            member.nick = await self._claim_guest(member)
        self._sessions[member.session] = member
        peer.send(
            _framed(
                protocol.encode_status(
                    peer.wsid,
                    f"Connected to {room_name} as {member.nick}",
                    nick=member.nick,
                    room=room_name,
                    session=member.session,
                    version=__version__,
                    user=identity.name if identity.account_id is not None else None,
                    admin=identity.admin,
                )
            )
        )
        for mistake in (*url_mistakes, *([nick_error] if nick_error else [])):
            self.send_error(peer, mistake)
        try:
            await self._join(member, room_name, since, ref=None)
        except BaseException:
            await self.disconnect(member)
            raise
        return member

    async def disconnect(self, member: Member) -> None:
        """Forget a connection: leave its rooms, free its nickname."""
        if not member.connected:
            return
        member.connected = False
        self._members.pop(member.wsid, None)
        if self._sessions.get(member.session) is member:
            del self._sessions[member.session]
        self._session_nicks[member.session] = member.nick
        self._session_nicks.move_to_end(member.session)
        if len(self._session_nicks) > _REMEMBERED_SESSIONS:
            self._session_nicks.popitem(last=False)
        for room_name in list(member.rooms):
            await self._leave(member, room_name)
        await self.presence.release_nick(protocol.nick_key(member.nick), member.wsid)

    # -- commands -------------------------------------------------------------------------------

    def dispatch(self, member: Member, command: Command) -> Awaitable[None] | None:
        """Carry out one client command; client mistakes come back as Error frames.

        Chat lines and pings are handled at once and give None. Commands that wait for the store
        or the presence give an awaitable, which the caller runs to completion before it
        dispatches the connection's next command, so each connection's commands keep their order.
        """
        try:
            kind = _BUDGETED.get(type(command))
            if kind is not None:
                self._spend(member, kind, command.ref)
            if isinstance(command, SendChat):
                if command.author is None or command.author == member.nick:
                    self._send_chat(member, command)
                    return None
            elif isinstance(command, Ping):
                member.peer.send(_framed(protocol.encode_pong(command.ref, self._clock())))
                return None
        except ProtocolError as exc:
            self.send_error(member.peer, exc)
            return None
        return self._carry_out(member, command)

    async def handle(self, member: Member, command: Command) -> None:
        """``dispatch`` and wait for the command to be carried out."""
        pending = self.dispatch(member, command)
        if pending is not None:
            await pending

    async def _carry_out(self, member: Member, command: Command) -> None:
        try:
            match command:
                case SendChat(author=str(author), ref=ref):
                    # The tutorial's client names itself in every line: a new Author is a rename.
                    try:
                        self._spend(member, "nicks", ref)
                        await self._rename(member, author, ref)
                    except ProtocolError as exc:
                        self.send_error(member.peer, exc)
                    self._send_chat(member, command)
                case SetNick(name=name, ref=ref):
                    await self._rename(member, name, ref)
                case JoinRoom(room=room, since=since, ref=ref):
                    await self._join(member, room, since, ref)
                case LeaveRoom(room=room, ref=ref):
                    if room not in member.rooms:
                        raise ProtocolError(ErrorCode.NOT_IN_ROOM, f"not in room {room!r}", ref)
                    await self._leave(member, room)
                    member.peer.send(_framed(protocol.encode_left(room, ref)))
                case FetchHistory():
                    await self._history(member, command)
                case CreateRoom() | SetTopic() | SetRole() | Moderate() | DeleteMessage():
                    await self.moderation.handle(member, command)
        except ProtocolError as exc:
            self.send_error(member.peer, exc)
        except StoreUnavailable as exc:
            ref = getattr(command, "ref", None)
            self.send_error(member.peer, ProtocolError(ErrorCode.STORE_UNAVAILABLE, str(exc), ref))

    def _spend(self, member: Member, kind: str, ref: Ref | None) -> None:
        """Take one token of ``kind`` or raise ``rate_limited``; close persistent flooders."""
        now = time.monotonic()
        wait = member.budgets[kind].take(now)
        if not wait and kind == "messages" and member.remote:
            wait = self._messages_per_ip.take(member.remote, now)
        if not wait:
            member.strikes = 0
            return
        member.strikes += 1
        if member.strikes >= self.settings.flood_limit:
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

    def send_error(self, peer: Peer, error: ProtocolError) -> None:
        """Send an ``Error`` frame; count it, and log its code (never the client's text)."""
        self.metrics.error(error.code)
        log.info("connection %s error %s", peer.wsid, error.code)
        peer.send(_framed(protocol.encode_error(error)))

    def _room_of(self, member: Member, room: str | None, ref: Ref | None) -> str:
        if room is None:
            if not member.rooms:
                raise ProtocolError(ErrorCode.NOT_IN_ROOM, "not in any room; Join one first", ref)
            return next(iter(member.rooms))
        if room not in member.rooms:
            raise ProtocolError(ErrorCode.NOT_IN_ROOM, f"not in room {room!r}", ref)
        return room

    def _send_chat(self, member: Member, command: SendChat) -> None:
        room = self._room_of(member, command.room, command.ref)
        muted_until = member.rooms[room].muted_until
        if muted_until and muted_until > self._clock():
            raise ProtocolError(ErrorCode.MUTED, f"you are muted in {room!r}", command.ref)
        self.metrics.messages_received += 1
        started = time.perf_counter()
        # Positional: a record built with keywords costs four times as much, on every line.
        new = NewMessage(
            room, member.nick, command.text, member.wsid, self._clock(), member.sender, command.ref
        )
        self.store.submit(new, lambda outcome: self._stored(member, command.ref, outcome, started))

    def _stored(
        self,
        member: Member,
        ref: Ref | None,
        outcome: Appended | StoreUnavailable,
        started: float,
    ) -> None:
        self.metrics.store_write_seconds.observe(time.perf_counter() - started)
        if isinstance(outcome, StoreUnavailable):
            if member.connected:
                self.send_error(
                    member.peer, ProtocolError(ErrorCode.STORE_UNAVAILABLE, str(outcome), ref)
                )
            return
        message = outcome.message
        if not outcome.duplicate:
            self.broker.publish(message.room, message.id, protocol.encode_chat(message))
        if ref is not None and member.connected:
            member.peer.send(_framed(protocol.encode_ack(message.id, message.room, ref)))

    async def post(self, room: str, text: str, author: str = SYSTEM_AUTHOR) -> ChatMessage:
        """Store and deliver a message that comes from the server itself (or its API)."""
        room = protocol.validate_room(room)
        text = protocol.validate_text(text, self.settings.max_text_chars)
        if author != SYSTEM_AUTHOR:
            author = protocol.validate_nick(author)
        self.metrics.messages_received += 1
        started = time.perf_counter()
        appended = await self.store.append(
            NewMessage(room, author, text, SYSTEM_WSID, self._clock())
        )
        self.metrics.store_write_seconds.observe(time.perf_counter() - started)
        message = appended.message
        self.broker.publish(room, message.id, protocol.encode_chat(message))
        return message

    async def broadcast(self, text: str) -> list[ChatMessage]:
        """Post a system message to every known room: those with history and those with members."""
        names = {summary.name for summary in await self.store.rooms()}
        names.update((await self.presence.counts()).keys())
        names.update(self._rooms)
        return [await self.post(name, text) for name in sorted(names)]

    # -- fan-out --------------------------------------------------------------------------------

    def deliver(self, room_name: str, message_id: int, payload: bytes) -> None:
        """Broker callback: fan out in ID order, each message framed once for all members."""
        room = self._rooms.get(room_name)
        if room is None:
            return
        if message_id == CONTROL_ID:
            self.moderation.control(room, payload)
            return
        delivered = room.delivered
        if delivered is not None and message_id != delivered + 1:
            if message_id > delivered:
                room.early[message_id] = payload
                self._watch_gap(room)
            return
        self._fan_out(room, message_id, payload)
        if room.early:
            self._drain_early(room)

    def _fan_out(self, room: Room, message_id: int, payload: bytes) -> None:
        room.delivered = message_id
        frame = websocket.text_frame(payload)
        room.fanout.send(frame)
        for sub in room.replaying.values():
            assert sub.held is not None
            sub.held.append((message_id, frame))
        self.metrics.messages_delivered += len(room.fanout)

    def _drain_early(self, room: Room) -> None:
        assert room.delivered is not None
        while (payload := room.early.pop(room.delivered + 1, None)) is not None:
            self._fan_out(room, room.delivered + 1, payload)
        for stale in [i for i in room.early if i <= room.delivered]:
            del room.early[stale]
        if not room.early and room.gap_timer is not None:
            room.gap_timer.cancel()
            room.gap_timer = None

    def _watch_gap(self, room: Room) -> None:
        if room.gap_timer is None and not self.closing:
            room.gap_timer = asyncio.get_running_loop().call_later(
                GAP_WAIT, lambda: self._spawn(self._backfill(room))
            )

    async def _backfill(self, room: Room) -> None:
        """Fetch from the store what the broker did not bring, and fan it out in order."""
        room.gap_timer = None
        while self._rooms.get(room.name) is room and room.delivered is not None:
            try:
                missed = await self.store.after(room.name, room.delivered, 500)
            except StoreUnavailable:
                self._watch_gap(room)
                return
            for message in missed:
                if message.id == room.delivered + 1:
                    self._fan_out(room, message.id, protocol.encode_chat(message))
            self._drain_early(room)
            if len(missed) < 500:
                if room.early:
                    self._watch_gap(room)
                return

    def presence_changed(self, room: str) -> None:
        """Broker callback: another node changed the room's members."""
        if room in self._rooms:
            self._userlist_changed(room)

    def resubscribed(self) -> None:
        """Broker callback: catch up every local room from the store, then refresh user lists."""
        for room in list(self._rooms.values()):
            self._spawn(self._backfill(room))
            self._userlist_changed(room.name)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run ``coroutine`` in the background; ``stop`` waits for it."""
        self._spawn(coroutine)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- rooms ----------------------------------------------------------------------------------

    async def _join(
        self, member: Member, room_name: str, since: int | None, ref: Ref | None
    ) -> None:
        if room_name in member.rooms:
            last_id = self._rooms[room_name].delivered or 0
            member.peer.send(_framed(protocol.encode_joined(room_name, last_id, ref)))
            return
        if len(member.rooms) >= self.settings.max_rooms_per_connection:
            raise ProtocolError(
                ErrorCode.TOO_MANY_ROOMS,
                f"a connection may be in at most {self.settings.max_rooms_per_connection} rooms",
                ref,
            )
        policy = await self.moderation.admit(member, room_name, ref)
        if not member.connected or room_name in member.rooms:
            return
        room = self._rooms.get(room_name)
        if room is None:
            room = self._rooms[room_name] = Room(room_name, self._new_fanout())
            self.broker.subscribe(room_name)
        if room.policy is None:
            room.policy = policy
        policy = room.policy
        sub = Subscription(member, muted_until=self.moderation.mute_until(policy, member))
        room.subscriptions[member.wsid] = sub
        room.replaying[member.wsid] = sub
        member.rooms[room_name] = sub
        await self.presence.join(room_name, member.wsid, member.nick)
        self._members_changed(room_name)
        try:
            last_id = await self.store.last_id(room_name)
            if room.delivered is None:
                room.delivered = last_id
            if since is None:
                backlog = await self.store.page(room_name, None, self.settings.history_on_join)
            else:
                since = min(since, last_id)
                backlog = await self.store.after(room_name, since, self.settings.resume_limit)
        except StoreUnavailable:
            await self._leave(member, room_name)
            raise
        newest = max(last_id, backlog[-1].id if backlog else 0)
        if room.delivered is not None and room.delivered < newest:
            # The backlog goes past what this node has fanned out (the store moved on meanwhile,
            # or a publication was lost when a node died between commit and publish): catch the
            # room up first, or the fan-out would send this member part of its backlog again.
            await self._backfill(room)
        if not member.connected or member.rooms.get(room_name) is not sub:
            return
        truncated = since is not None and bool(backlog) and backlog[-1].id < last_id
        member.peer.send(
            _framed(
                protocol.encode_joined(
                    room_name, last_id, ref, backlog=len(backlog), truncated=truncated
                )
            )
        )
        member.peer.send(self.moderation.room_frame(policy, member.identity))
        if since is not None:
            sub.last_id = since
        for message in backlog:
            member.peer.send(_framed(protocol.encode_chat(message)))
            sub.last_id = message.id
        held, sub.held = sub.held or [], None
        released = 0
        for message_id, frame in held:
            if message_id > sub.last_id:
                sub.last_id = message_id
                member.peer.send(frame)
                released += 1
        self.metrics.messages_delivered += len(backlog) + released
        del room.replaying[member.wsid]
        room.fanout.add(member.peer)

    async def _leave(self, member: Member, room_name: str) -> None:
        sub = member.rooms.pop(room_name, None)
        room = self._rooms.get(room_name)
        if sub is None or room is None:
            return
        room.subscriptions.pop(member.wsid, None)
        room.replaying.pop(member.wsid, None)
        room.fanout.discard(member.peer)
        if not room.subscriptions:
            del self._rooms[room_name]
            self.broker.unsubscribe(room_name)
            for timer in (room.gap_timer, room.userlist_timer):
                if timer is not None:
                    timer.cancel()
        await self.presence.leave(room_name, member.wsid)
        self._members_changed(room_name)

    async def _history(self, member: Member, command: FetchHistory) -> None:
        room = self._room_of(member, command.room, command.ref)
        page = await self.store.page(room, command.before, command.limit + 1)
        more = len(page) > command.limit
        if more:
            page = page[1:]
        member.peer.send(_framed(protocol.encode_history(room, page, more, command.ref)))

    # -- nicknames ------------------------------------------------------------------------------

    async def _claim(self, member: Member, name: str) -> str:
        """Take a valid nickname for ``member``, or raise ``nick_taken``/``nick_registered``."""
        key = protocol.nick_key(name)
        await self._check_registered(member, key, name, None)
        if not await self.presence.claim_nick(key, member.wsid):
            raise ProtocolError(ErrorCode.NICK_TAKEN, f"nickname {name!r} is taken")
        return name

    async def _check_registered(self, member: Member, key: str, name: str, ref: Ref | None) -> None:
        """Refuse a nickname that is (or looks like) another user's registered account name."""
        account = await self.store.account_by_key(key)
        if account is not None and account.id != member.identity.account_id:
            raise ProtocolError(
                ErrorCode.NICK_REGISTERED, f"nickname {name!r} belongs to a registered user", ref
            )

    async def _claim_guest(self, member: Member) -> str:
        digits = 4
        while True:
            for _ in range(8):
                name = protocol.GUEST_PREFIX + secrets.token_hex(digits // 2 + 1)[:digits]
                if await self.presence.claim_nick(protocol.nick_key(name), member.wsid):
                    return name
            digits += 2

    async def _rename(self, member: Member, wanted: str, ref: Ref | None) -> None:
        try:
            name = protocol.validate_nick(wanted)
        except ProtocolError as exc:
            raise ProtocolError(exc.code, exc.message, ref) from None
        old = member.nick
        if name == old:
            member.peer.send(_framed(protocol.encode_nick(name, old, ref)))
            return
        old_key, new_key = protocol.nick_key(old), protocol.nick_key(name)
        if new_key != old_key:
            await self._check_registered(member, new_key, name, ref)
        if new_key != old_key and not await self.presence.claim_nick(new_key, member.wsid):
            raise ProtocolError(ErrorCode.NICK_TAKEN, f"nickname {name!r} is taken", ref)
        member.nick = name
        if new_key != old_key:
            await self.presence.release_nick(old_key, member.wsid)
        for room_name in member.rooms:
            await self.presence.join(room_name, member.wsid, name)
            self._members_changed(room_name)
        member.peer.send(_framed(protocol.encode_nick(name, old, ref)))

    # -- user lists -----------------------------------------------------------------------------

    def _members_changed(self, room_name: str) -> None:
        """This node changed the room's members: refresh its user lists here and elsewhere."""
        self.broker.announce(room_name)
        self._userlist_changed(room_name)

    def _userlist_changed(self, room_name: str) -> None:
        """Coalesce user-list updates per room.

        At most one update per ``userlist_interval``, stretched in proportion for rooms of more
        than 100 local members (capped at 2 s), so a join storm costs O(n) frames, not O(n^2).
        The flush reads the current state, so the last update always tells the truth.
        """
        room = self._rooms.get(room_name)
        if room is None or room.userlist_timer is not None or self.closing:
            return
        interval = self.settings.userlist_interval
        delay = min(interval * max(1.0, len(room.subscriptions) / 100), max(interval, 2.0))
        room.userlist_timer = asyncio.get_running_loop().call_later(
            delay, lambda: self._spawn(self._flush_userlist(room))
        )

    async def _flush_userlist(self, room: Room) -> None:
        room.userlist_timer = None
        if self._rooms.get(room.name) is not room:
            return
        try:
            names = await self.presence.members(room.name)
        except Exception:
            log.exception("user list of %s could not be read", room.name)
            self._userlist_changed(room.name)
            return
        previous, room.names = room.names, names
        full: bytes | None = None
        diff: bytes | None = None
        for sub in room.subscriptions.values():
            if sub.member.userlist_diffs and sub.has_userlist:
                if diff is None:
                    old, new = set(previous), set(names)
                    joined = [n for n in names if n not in old]
                    left = [n for n in previous if n not in new]
                    diff = (
                        _framed(protocol.encode_presence(room.name, joined, left))
                        if (joined or left)
                        else b""
                    )
                if diff:
                    sub.member.peer.send(diff)
            else:
                if full is None:
                    full = _framed(protocol.encode_userlist(room.name, names))
                sub.member.peer.send(full)
                sub.has_userlist = True


_BUDGETED: dict[type, str] = {
    SendChat: "messages",
    JoinRoom: "joins",
    SetNick: "nicks",
    # Administration commands write to the store: they share the joins' budget.
    CreateRoom: "joins",
    SetTopic: "joins",
    SetRole: "joins",
    Moderate: "joins",
    DeleteMessage: "joins",
}


def _valid_session(token: str) -> bool:
    return 16 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)
