"""Changes to a room's messages: edits, deletions and reactions, each an event of the room's log.

The store checks and records a change with the room's next ID (``MessageStore.change``); the
event is published on the broker like a line, so every node fans it out in ID order and a resume
replays it. The sender gets an ``Ack`` for a command with a ``Ref`` (``Unchanged`` when there
was nothing to change). The checks that need the room's rules come from moderation: who is a
moderator (who may delete another's message), and the audit of such a deletion. Also here: the
checks of a line's ``ReplyTo`` and ``Thread``, the versions of a message and thread pages.
"""

from __future__ import annotations

from typing import Final, Protocol

from roomcast.auth import Identity
from roomcast.broker import Broker
from roomcast.chat.files import Files
from roomcast.chat.state import Member
from roomcast.clock import Clock
from roomcast.store import Change, Changed, ChangeRefused, MessageStore, owner_key
from roomcast.store.base import DELETE, EDIT, REACT, UNREACT
from roomcast.wire import protocol
from roomcast.wire.protocol import (
    DeleteMessage,
    EditMessage,
    ErrorCode,
    FetchEdits,
    FetchHistory,
    ProtocolError,
    React,
    Ref,
    SendChat,
)

# The connection a change made through the REST API is recorded with.
_API_WSID: Final = "api"


class RoomRules(Protocol):
    """What this module asks moderation."""

    async def may_moderate(self, identity: Identity, room: str) -> bool: ...

    async def audit_deletion(self, identity: Identity, room: str, message_id: int) -> None: ...


class Conversation:
    """Edits, deletions, reactions, versions and the checks of replies, for one node."""

    def __init__(
        self, store: MessageStore, broker: Broker, rules: RoomRules, clock: Clock, files: Files
    ) -> None:
        """``files``: what deletes a deleted line's files."""
        self._store = store
        self._broker = broker
        self._rules = rules
        self._now_ms = clock.now_ms
        self._files = files

    async def check_line(self, room: str, command: SendChat) -> None:
        """A line's ``ReplyTo`` and ``Thread`` name live messages of ``room``, a thread its root."""
        if command.reply_to is not None:
            await self._live(room, command.reply_to, command.ref, "ReplyTo")
        if command.thread is not None:
            await self.check_thread(room, command.thread, command.ref)

    async def check_thread(self, room: str, root_id: int, ref: Ref | None) -> None:
        """``root_id`` is a live message of ``room`` that is not itself a reply in a thread."""
        root = await self._live(room, root_id, ref, "Thread")
        if root.thread is not None:
            raise ProtocolError(
                ErrorCode.BAD_FIELD,
                f"message {root.id} is a reply in thread {root.thread}: name that root",
                ref,
            )

    async def history(self, member: Member, room: str, command: FetchHistory) -> None:
        """A page of ``room`` (one of ``member``'s), or of one of its threads, or around an ID,
        or after one."""
        if command.around is not None or command.after is not None:
            await self._around(member, room, command)
            return
        thread = command.thread
        if thread is not None:
            await self.check_thread(room, thread, command.ref)
        page = await self._store.page(room, command.before, command.limit + 1, thread)
        more = len(page) > command.limit
        if more:
            page = page[1:]
        member.send(protocol.encode_history(room, page, more, command.ref, thread=thread))

    async def _around(self, member: Member, room: str, command: FetchHistory) -> None:
        """``History`` with ``Around`` (``limit // 2`` lines before that ID, the rest from it
        on) or ``After`` (the oldest lines after it): ``More`` says older lines exist before
        the page, ``Newer`` newer ones after it."""
        given = [command.before, command.around, command.after, command.thread]
        if sum(value is not None for value in given) > 1:
            raise ProtocolError(
                ErrorCode.BAD_FIELD, "give one of Before, Around, After and Thread", command.ref
            )
        limit, store = command.limit, self._store
        if command.around is not None:
            older_count = limit // 2
            older = await store.page(room, command.around, older_count + 1)
            more = len(older) > older_count
            older = older[len(older) - older_count :] if older_count else []
            start = command.around - 1
        else:
            older, more, start = [], False, command.after or 0
        newer = await store.newer(room, start, limit - len(older) + 1)
        lines = [*older, *newer[: limit - len(older)]]
        if command.after is not None:
            more = bool(await store.page(room, lines[0].id if lines else start + 1, 1))
        newer_more = len(older) + len(newer) > limit
        member.send(protocol.encode_history(room, lines, more, command.ref, newer=newer_more))

    async def _live(
        self, room: str, message_id: int, ref: Ref | None, what: str
    ) -> protocol.ChatMessage:
        message = await self._store.message(room, message_id)
        if message is None:
            raise ProtocolError(
                ErrorCode.NOT_FOUND, f"{what}: no message {message_id} in {room!r}", ref
            )
        return message

    # -- commands of a member -------------------------------------------------------------------

    async def handle(
        self, member: Member, command: EditMessage | DeleteMessage | React | FetchEdits
    ) -> None:
        """A command of ``member`` about a message of one of its rooms."""
        match command:
            case EditMessage():
                await self.edit(member, command)
            case DeleteMessage():
                await self.delete(member, command)
            case React():
                await self.react(member, command)
            case FetchEdits():
                await self.edits(member, command)

    async def edit(self, member: Member, command: EditMessage) -> None:
        self._not_muted(member, command.room, command.ref)
        await self._apply(member, command.room, command.target, EDIT, command.text, command.ref)

    async def react(self, member: Member, command: React) -> None:
        self._not_muted(member, command.room, command.ref)
        kind = UNREACT if command.remove else REACT
        await self._apply(member, command.room, command.target, kind, command.emoji, command.ref)

    async def delete(self, member: Member, command: DeleteMessage) -> None:
        await self._apply(member, command.room, command.target, DELETE, "", command.ref)

    async def edits(self, member: Member, command: FetchEdits) -> None:
        versions = await self._store.versions(command.room, command.target)
        if versions is None:
            raise ProtocolError(
                ErrorCode.NOT_FOUND, f"no message {command.target} in {command.room!r}", command.ref
            )
        member.send(protocol.encode_edits(command.room, command.target, versions, command.ref))

    def _not_muted(self, member: Member, room: str, ref: Ref | None) -> None:
        if member.place(room).muted_until > self._now_ms():
            raise ProtocolError(ErrorCode.MUTED, f"you are muted in {room!r}", ref)

    async def _apply(
        self, member: Member, room: str, target: int, kind: str, text: str, ref: Ref | None
    ) -> None:
        identity = member.identity
        changed = await self.change(
            Change(
                room,
                target,
                kind,
                member.owner,
                member.nick,
                text,
                member.wsid,
                self._now_ms(),
                kind == DELETE and await self._rules.may_moderate(identity, room),
                member.sender,
                ref,
            ),
            identity,
            ref,
        )
        if ref is not None and member.connected:
            event = changed.event
            if event is None:
                member.send(protocol.encode_ack(target, room, ref, unchanged=True))
            else:
                member.send(protocol.encode_ack(event.id, room, ref))

    async def delete_by(self, identity: Identity, room: str, target: int) -> None:
        """A deletion asked for outside a connection (the REST API): by an account, or by the
        server's API key (which owns no line)."""
        account = identity.account_id
        change = Change(
            room,
            target,
            DELETE,
            "" if account is None else owner_key(account, ""),
            identity.label,
            "",
            _API_WSID,
            self._now_ms(),
            await self._rules.may_moderate(identity, room),
        )
        await self.change(change, identity, None)

    async def change(self, change: Change, identity: Identity, ref: Ref | None) -> Changed:
        """Make ``change`` (asked for by ``identity``) and publish its event; the outcome.

        A moderator's deletion of another's message is audited, and a deleted line's files go
        with it. The REST API calls this too.
        """
        line = None
        if change.kind == DELETE:
            line = await self._store.message(change.room, change.target)
        try:
            changed = await self._store.change(change)
        except ChangeRefused as refused:
            raise ProtocolError(refused.code, refused.message, ref) from None
        event = changed.event
        if event is not None and not changed.duplicate:
            self._broker.publish(change.room, event.id, protocol.encode_event(event))
            if change.kind == DELETE and not changed.own:
                await self._rules.audit_deletion(identity, change.room, change.target)
            await self._files.deleted(line)
        return changed
