"""The chat node: connections come in, their commands are carried out, messages go out.

The hub is the glue of the chat domain and knows nothing of sockets: a connection is a ``Peer``
that takes the JSON payload of each frame. Data flows one way: a line is appended to the store,
which assigns its ID; the stored message is published on the broker; the broker delivers it back
to every node with members in the room, and each node's sequencer hands its payload once to the
room's fan-out, which frames it once for all members.

Its collaborators are given to it by whoever wires the server: the registry of members and
rooms, the authenticator, moderation (which admits members to rooms and carries out the
moderation commands) and the clock. It is the broker's listener.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from roomcast import __version__
from roomcast.auth import GUEST, Authenticator, Identity
from roomcast.broker import Broker
from roomcast.chat import searching
from roomcast.chat.backlog import read_backlog
from roomcast.chat.budgets import BUDGETED, RateBudgets
from roomcast.chat.conversation import Conversation
from roomcast.chat.direct import DIRECT_PREFIX, Direct
from roomcast.chat.files import Files
from roomcast.chat.lines import SYSTEM_AUTHOR, ChatLines
from roomcast.chat.mentions import GUEST_NOTIFY_PREFIX, Mentions
from roomcast.chat.nicknames import Nicknames
from roomcast.chat.people import People, is_person_channel
from roomcast.chat.person_commands import PersonCommands
from roomcast.chat.probe import BrokerProbe, is_probe_channel
from roomcast.chat.registry import Registry
from roomcast.chat.room_names import first_spelling, room_of
from roomcast.chat.sequencer import Sequencer
from roomcast.chat.state import Member, Peer
from roomcast.chat.typing import CONTROL_PREFIX, Typing
from roomcast.clock import Clock
from roomcast.moderation.service import Moderation
from roomcast.ops.config import Settings
from roomcast.ops.metrics import Metrics
from roomcast.presence import Presence
from roomcast.store import OutcomeUnknown, Store, StoreUnavailable
from roomcast.wire import protocol
from roomcast.wire.member_frames import ListMembers
from roomcast.wire.protocol import (
    ChatMessage,
    Command,
    CreateRoom,
    DeleteMessage,
    EditMessage,
    ErrorCode,
    FetchEdits,
    FetchHistory,
    JoinRoom,
    LeaveRoom,
    MarkRead,
    Moderate,
    Ping,
    ProtocolError,
    React,
    Ref,
    SendChat,
    SetBlock,
    SetNick,
    SetRole,
    SetTopic,
    StartDirect,
)
from roomcast.wire.protocol import Typing as TypingCommand
from roomcast.wire.search_frames import SearchMessages

log = logging.getLogger(__name__)

# Error codes that a dependency's outage sends (each outage is logged once, by its OutageLog).
_OUTAGE_CODES: Final = frozenset({ErrorCode.STORE_UNAVAILABLE, ErrorCode.OUTCOME_UNKNOWN})
# A session token a client may bring back: 16-64 letters, digits, "-" or "_" (``\w`` is
# ``str.isalnum`` and "_"), checked in one match rather than a test per character.
_SESSION: Final = re.compile(r"[\w-]{16,64}")


class Hub:
    """The chat domain of this node, wired to a store, a broker and a presence."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        broker: Broker,
        presence: Presence,
        *,
        registry: Registry,
        auth: Authenticator,
        moderation: Moderation,
        clock: Clock,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.broker = broker
        self.presence = presence
        self.registry = registry
        self.auth = auth
        self.moderation = moderation
        self.metrics = metrics or Metrics()
        self._now_ms = clock.now_ms
        self._background = registry.background
        self.sequencer = Sequencer(store, self.metrics, registry.room, self._background)
        # The broker's listener: a stored message of a room with members here goes straight to
        # the sequencer, a call less on every line.
        self.deliver: Callable[[str, int, bytes], None] = self.sequencer.deliver
        self.nicknames = Nicknames(store, presence)
        self._budgets = RateBudgets(settings, clock)
        self.files = Files(store, clock, settings.upload_unattached_ttl, self._background.spawn)
        self._lines = ChatLines(
            store, broker, self.metrics, clock, settings.max_text_chars, self.send_error, self.files
        )
        self.conversation = Conversation(store, broker, moderation, clock, self.files)
        self._typing = Typing(broker, registry.room, clock)
        self._typing_here = self._typing.typing_here
        registry.on_member_left(self._typing.stopped)
        self.people = People(store, broker, self._background.spawn, moderation.readable)
        self.direct = Direct(store, self.people)
        self._direct_rooms = self.direct.rooms
        registry.on_room_closed(self.direct.forget)
        delay_ms = int(settings.notify_delay * 1000) if settings.notify_webhook_url else None
        self.mentions = Mentions(
            store, presence, registry, self.people, broker, moderation, notify_delay_ms=delay_ms
        )
        self.probe = BrokerProbe(broker, secrets.token_hex(6))
        self._person_commands = PersonCommands(
            store, presence, registry, moderation, self.nicknames, self.people, self.direct
        )

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.open()
        await self.broker.start(self)

    async def stop(self) -> None:
        """Close every member with 1001, then flush the store and disconnect the broker."""
        self.closing = True
        for member in self.registry.members():
            member.peer.close(protocol.CLOSE_GOING_AWAY, "server shutting down")
        self.registry.stop_timers()
        await self._background.wait(self.settings.shutdown_timeout)
        await self.broker.stop()
        await self.store.close()

    @property
    def closing(self) -> bool:
        """True once shutdown has begun: no new timers, no new admissions."""
        return self._background.closing

    @closing.setter
    def closing(self, value: bool) -> None:
        self._background.closing = value

    @property
    def member_count(self) -> int:
        return self.registry.member_count

    def local_rooms(self) -> dict[str, int]:
        """Rooms with members on this node, and how many."""
        return self.registry.local_rooms()

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
        room_name = await first_spelling(self.store, protocol.validate_room(room))
        if session is not None and not _valid_session(session):
            session = None
        registry = self.registry
        previous = registry.by_session(session) if session else None
        member = Member(
            peer,
            nick="",
            session=session or secrets.token_urlsafe(18),
            userlist_diffs=userlist_diffs,
            remote=remote,
            identity=identity,
        )
        registry.add(member)
        if previous is not None and previous.connected:
            # The same client came back while its old connection is still open: replace it.
            previous.peer.close(protocol.CLOSE_SESSION_REPLACED, "session resumed elsewhere")
            await self.disconnect(previous)
        nick_error = await self.nicknames.name_new(member, nick)
        if nick_error is None and identity.account_id is not None and nick:
            self._person_commands.renamed_account(member)
        registry.own_session(member)
        peer.send(
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
        for mistake in (*url_mistakes, *([nick_error] if nick_error else [])):
            self.send_error(peer, mistake)
        try:
            await self.people.arrived(member, returning=previous is not None or session is not None)
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
        self.registry.drop(member)
        self.people.gone(member)
        self.nicknames.remember(member)
        for room_name in member.room_names():
            await self.registry.leave(member, room_name)
        await self.nicknames.release(member)

    # -- commands -------------------------------------------------------------------------------

    def dispatch(self, member: Member, command: Command) -> Awaitable[None] | None:
        """Carry out one client command; client mistakes come back as Error frames.

        Chat lines and pings are handled at once and give None. Commands that wait for the store
        or the presence give an awaitable, which the caller runs to completion before it
        dispatches the connection's next command, so each connection's commands keep their order.
        """
        try:
            kind = BUDGETED.get(type(command))
            if kind is not None:
                self._budgets.spend(member, kind, command.ref)
            if isinstance(command, SendChat):
                if command.author is None or command.author == member.nick:
                    room = room_of(member, command.room, command.ref)
                    if (
                        command.reply_to is None
                        and command.thread is None
                        and "@" not in command.text
                        and room not in self._direct_rooms
                        and not command.attachments
                    ):
                        self._lines.send(member, room, command)
                        if self._typing_here:
                            self._typing.stopped(member, room)
                        return None
            elif isinstance(command, Ping):
                member.peer.send(protocol.encode_pong(command.ref, self._now_ms()))
                return None
            elif isinstance(command, TypingCommand):
                room = room_of(member, command.room, None)
                if room not in self._direct_rooms:  # there, a block may drop it: the store says
                    self._typing.typed(member, room, command.stop)
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
                case SendChat(author=author, ref=ref):
                    if author is not None and author != member.nick:
                        # The tutorial's client names itself in every line: a new Author is a
                        # rename.
                        try:
                            self._budgets.spend(member, "nicks", ref)
                            await self._person_commands.rename(member, author, ref)
                        except ProtocolError as exc:
                            self.send_error(member.peer, exc)
                    await self._send_line(member, command)
                case SetNick(name=name, ref=ref):
                    await self._person_commands.rename(member, name, ref)
                case JoinRoom(room=room, since=since, ref=ref):
                    await self._join(member, room, since, ref)
                case LeaveRoom(room=room, ref=ref):
                    room = room_of(member, room, ref)
                    await self.registry.leave(member, room)
                    await self.people.left(member, room)
                    member.peer.send(protocol.encode_left(room, ref))
                case FetchHistory(room=room, ref=ref):
                    room = room_of(member, room, ref)
                    await self.conversation.history(member, room, command)
                case EditMessage() | DeleteMessage() | React() | FetchEdits():
                    room = room_of(member, command.room, command.ref)
                    if room in self._direct_rooms and isinstance(command, EditMessage | React):
                        await self.direct.check_line(member, room, command.ref)
                    await self.conversation.handle(member, command)
                case TypingCommand(room=room, stop=stop):
                    if await self.direct.may_write(member, room) or stop:
                        self._typing.typed(member, room, stop)
                case SearchMessages():
                    await searching.answer(self.store, member, command)
                case ListMembers():
                    await self.registry.userlists.page(member, command)
                case MarkRead() | StartDirect() | SetBlock():
                    await self._person_commands.handle(member, command)
                case CreateRoom() | SetTopic() | SetRole() | Moderate():
                    spelled = await self.store.room_name(command.room, claim=True)
                    await self.moderation.handle(member, dataclasses.replace(command, room=spelled))
        except ProtocolError as exc:
            self.send_error(member.peer, exc)
        except StoreUnavailable as exc:  # OutcomeUnknown: a change that may yet be applied
            ref, unknown = getattr(command, "ref", None), isinstance(exc, OutcomeUnknown)
            code = ErrorCode.OUTCOME_UNKNOWN if unknown else ErrorCode.STORE_UNAVAILABLE
            self.send_error(member.peer, ProtocolError(code, str(exc), ref))

    def send_error(self, peer: Peer, error: ProtocolError) -> None:
        """Send an ``Error`` frame; count it, and log its code (never the client's text). A
        refusal for lack of the store is at DEBUG: its writer logs the outage itself."""
        self.metrics.error(error.code)
        level = logging.DEBUG if error.code in _OUTAGE_CODES else logging.INFO
        log.log(level, "connection %s error %s", peer.wsid, error.code)
        peer.send(protocol.encode_error(error))

    async def _send_line(self, member: Member, command: SendChat) -> None:
        """A line that needs more than the fast path: a reply, a mention, a direct line, files."""
        room = room_of(member, command.room, command.ref)
        await self.conversation.check_line(room, command)
        direct = None
        if room in self._direct_rooms:
            direct = await self.direct.check_line(member, room, command.ref)
        mentioned = await self.mentions.resolve(room, command.text)
        files = await self.files.claim(member, room, command)  # the last check: it claims them
        if mentioned or direct is not None:

            def tell(message: ChatMessage) -> None:
                self._background.spawn(self.mentions.tell(member, message, mentioned, direct))

            names = tuple(dict.fromkeys(who.name for who in mentioned))
            self._lines.send(member, room, command, names, tell, files)
        else:
            self._lines.send(member, room, command, attachments=files)
        self._typing.stopped(member, room)

    async def post(self, room: str, text: str, author: str = SYSTEM_AUTHOR) -> ChatMessage:
        """Store and deliver a message that comes from the server itself (or its API)."""
        return await self._lines.post(room, text, author)

    async def broadcast(self, text: str) -> list[ChatMessage]:
        """Post a system message to every known room: those with history and those with members.

        The text is checked first: with no room at all, a bad text is refused all the same."""
        protocol.validate_text(text, self.settings.max_text_chars)
        names = {summary.name for summary in await self.store.rooms()}
        names.update((await self.presence.counts()).keys())
        names.update(self.registry.local_rooms())
        return [await self.post(name, text) for name in sorted(names)]

    # -- the broker's listener ------------------------------------------------------------------

    def control(self, room: str, payload: bytes) -> None:
        """A control event (typing, or moderation's) about a room with members here."""
        if is_person_channel(room):
            self.people.control(room, payload)
        elif is_probe_channel(room):
            self.probe.arrived(payload)
        elif payload.startswith(CONTROL_PREFIX):
            self._typing.control(room, payload)
        elif payload.startswith(GUEST_NOTIFY_PREFIX):
            self.mentions.control_guest(payload)
        else:
            self.moderation.control(room, payload)

    def presence_changed(self, room: str) -> None:
        """Another node changed the room's members."""
        self.registry.userlists.changed(room)

    def resubscribed(self) -> None:
        """Catch up every local room from the store, then refresh user lists."""
        for room in self.registry.rooms():
            self._background.spawn(self.sequencer.backfill(room))
            self.registry.userlists.changed(room.name)

    # -- rooms ----------------------------------------------------------------------------------

    async def _join(
        self, member: Member, room_name: str, since: int | None, ref: Ref | None
    ) -> None:
        registry = self.registry
        room_name = await self.store.room_name(room_name, claim=True)
        if member.subscription(room_name) is not None:
            joined = registry.room(room_name)
            last_id = (joined.delivered if joined is not None else None) or 0
            member.peer.send(protocol.encode_joined(room_name, last_id, ref))
            return
        if member.room_count() >= self.settings.max_rooms_per_connection:
            raise ProtocolError(
                ErrorCode.TOO_MANY_ROOMS,
                f"a connection may be in at most {self.settings.max_rooms_per_connection} rooms",
                ref,
            )
        if room_name.startswith(DIRECT_PREFIX) and await self.direct.entered(room_name) is None:
            raise ProtocolError(ErrorCode.FORBIDDEN, "dm. names are for direct conversations", ref)
        policy = await self.moderation.admit(member, room_name, ref)
        if not member.connected or member.subscription(room_name) is not None:
            if not registry.has_room(room_name):
                self.moderation.forget(room_name)
            return
        muted_until = policy.mute_until(member.identity, member.remote, self._now_ms())
        room = await registry.enter(member, room_name, muted_until)
        sub = member.place(room_name)
        try:
            read_id = await self.people.joined(member, room_name)
            backlog = await read_backlog(
                self.store,
                room_name,
                since,
                page=self.settings.history_on_join,
                resume_limit=self.settings.resume_limit,
            )
        except StoreUnavailable:
            await registry.leave(member, room_name)
            raise
        if room.delivered is None:
            room.delivered = backlog.last_id
        if room.delivered < backlog.newest:
            # The backlog goes past what this node has fanned out (the store moved on meanwhile,
            # or a publication was lost when a node died between commit and publish): catch the
            # room up first, or the fan-out would send this member part of its backlog again.
            await self.sequencer.backfill(room)
        if not member.connected or member.subscription(room_name) is not sub:
            return
        frames = backlog.frames()
        send = member.peer.send
        send(
            protocol.encode_joined(
                room_name,
                backlog.last_id,
                ref,
                backlog=len(frames),
                truncated=backlog.truncated,
                read_id=read_id,
            )
        )
        direct = await self.direct.entered(room_name)
        send(
            self.moderation.room_payload(
                policy,
                member.identity,
                direct=None if direct is None else sorted(direct.values(), key=str.casefold),
            )
        )
        for frame in frames:
            send(frame)
        sub.last_id = backlog.resume_point
        released = self.sequencer.release(room, sub)
        self.metrics.messages_delivered += len(frames) + released
        del room.replaying[member.wsid]
        room.fanout.add(member.peer)


def _valid_session(token: str) -> bool:
    return _SESSION.fullmatch(token) is not None
