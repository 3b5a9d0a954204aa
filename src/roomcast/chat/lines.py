"""Chat lines on their way in: the mute check, the append to the store (which assigns the ID),
the publication on the broker and the ``Ack`` to the sender. The broker brings each line back to
every node with members in its room, where the sequencer fans it out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from roomcast.broker import Broker
from roomcast.chat.files import Files
from roomcast.chat.state import Member, Peer
from roomcast.clock import Clock
from roomcast.ops.metrics import Metrics
from roomcast.store import Appended, MessageStore, NewMessage, OutcomeUnknown, StoreUnavailable
from roomcast.wire import protocol
from roomcast.wire.attachments import Attachment
from roomcast.wire.protocol import ChatMessage, ErrorCode, ProtocolError, SendChat

SYSTEM_AUTHOR: Final = "system"
SYSTEM_WSID: Final = "system"
_UNKNOWN_TEXT: Final = (
    "the line may have been stored; re-send it with the same Ref on the same session"
)


class ChatLines:
    """Takes chat lines from members and from the server itself."""

    def __init__(
        self,
        store: MessageStore,
        broker: Broker,
        metrics: Metrics,
        clock: Clock,
        max_text_chars: int,
        report: Callable[[Peer, ProtocolError], None],
        files: Files,
    ) -> None:
        """``report``: how a mistake is sent to a client (an ``Error`` frame, counted);
        ``files`` gives back the uploads a line claimed when it was not stored."""
        self._store = store
        self._broker = broker
        self._metrics = metrics
        self._now_ms = clock.now_ms
        self._max_text_chars = max_text_chars
        self._report = report
        self._files = files

    def send(
        self,
        member: Member,
        room: str,
        command: SendChat,
        mentions: tuple[str, ...] = (),
        then: Callable[[ChatMessage], None] | None = None,
        attachments: tuple[Attachment, ...] = (),
    ) -> None:
        """Store ``member``'s line in ``room`` (one of its rooms); ``muted`` when it may not.

        ``mentions``: the names its ``@name`` words resolved to; ``then`` is called with the
        stored line once it is published (not for a re-sent one); ``attachments``: the uploads
        its ``Attachments`` claimed.
        """
        muted_until = member.place(room).muted_until
        if muted_until and muted_until > self._now_ms():
            raise ProtocolError(ErrorCode.MUTED, f"you are muted in {room!r}", command.ref)
        self._metrics.messages_received += 1
        started = time.perf_counter()
        # Positional: a record built with keywords costs four times as much, on every line.
        new = NewMessage(
            room,
            member.nick,
            command.text,
            member.wsid,
            self._now_ms(),
            member.sender,
            command.ref,
            member.owner,
            command.reply_to,
            command.thread,
            mentions,
            attachments,
        )
        self._store.submit(
            new, lambda outcome: self._stored(member, command, outcome, started, then)
        )

    def _stored(
        self,
        member: Member,
        command: SendChat,
        outcome: Appended | StoreUnavailable,
        started: float,
        then: Callable[[ChatMessage], None] | None = None,
    ) -> None:
        self._metrics.store_write_seconds.observe(time.perf_counter() - started)
        ref = command.ref
        if isinstance(outcome, StoreUnavailable):
            self._refused(member, command, outcome)
            return
        message = outcome.message
        if not outcome.duplicate:
            self._broker.publish(message.room, message.id, protocol.encode_chat(message))
            if then is not None:
                then(message)
        if ref is not None and member.connected:
            member.peer.send(protocol.encode_ack(message.id, message.room, ref))

    def _refused(self, member: Member, command: SendChat, outcome: StoreUnavailable) -> None:
        """Tell the sender its line was not stored, or may have been (``OutcomeUnknown``: then
        the line may hold its attachments, so they stay claimed)."""
        if isinstance(outcome, OutcomeUnknown):
            error = ProtocolError(ErrorCode.OUTCOME_UNKNOWN, _UNKNOWN_TEXT, command.ref)
        else:
            if command.attachments:
                self._files.release_soon(command.attachments)
            error = ProtocolError(ErrorCode.STORE_UNAVAILABLE, str(outcome), command.ref)
        if member.connected:
            self._report(member.peer, error)

    async def post(self, room: str, text: str, author: str = SYSTEM_AUTHOR) -> ChatMessage:
        """Store and deliver a message that comes from the server itself (or its API)."""
        room = await self._store.room_name(protocol.validate_room(room), claim=True)
        text = protocol.validate_text(text, self._max_text_chars)
        if author != SYSTEM_AUTHOR:
            author = protocol.validate_nick(author)
        self._metrics.messages_received += 1
        started = time.perf_counter()
        appended = await self._store.append(
            NewMessage(room, author, text, SYSTEM_WSID, self._now_ms())
        )
        self._metrics.store_write_seconds.observe(time.perf_counter() - started)
        message = appended.message
        self._broker.publish(room, message.id, protocol.encode_chat(message))
        return message
