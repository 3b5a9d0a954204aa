"""In-memory message store: no persistence, for tests, demos and measuring what durability costs.

It keeps the newest ``max_per_room`` messages of each room and forgets everything on exit. IDs and
idempotent re-sends behave exactly as in the durable stores. History is kept as plain tuples of
strings and integers, which the garbage collector stops tracking, so kept messages do not
lengthen every full collection (300,000 of them: 34 ms per full collection as objects, 8 ms as
tuples).
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence

from roomcast.store.base import (
    DELETE,
    EDIT,
    REACT,
    UNREACT,
    Account,
    AppendDone,
    Appended,
    AppendsAsFutures,
    Change,
    Changed,
    ChangeRefused,
    Credential,
    NewMessage,
    RoomAccess,
    RoomSummary,
    Sanction,
    StoreUnavailable,
    ref_key,
    report,
)
from roomcast.store.changes import as_line, decide
from roomcast.store.memory_admin import MemoryAdmin
from roomcast.store.memory_names import MemoryRoomNames
from roomcast.store.memory_people import MemoryPeople
from roomcast.store.memory_search import MemorySearch
from roomcast.store.memory_uploads import MemoryUploads
from roomcast.wire.attachments import Attachment
from roomcast.wire.protocol import (
    ChatMessage,
    DeletedEvent,
    EditedEvent,
    ErrorCode,
    LogEvent,
    ReactionEvent,
    ReactionSummary,
)

# A kept event without its room: (id, author, text, wsid, sent_ms, kind, target, reply_to,
# thread, owner, edited_ms, original, deleted, mentions, attachments). ``kind`` is None for a
# line, else a change kind.
_Row = tuple[
    int, str, str, str, int, str | None, int | None, int | None, int | None, str | None,
    int | None, str | None, bool, tuple[str, ...], tuple[Attachment, ...],
]  # fmt: skip
_KIND, _TARGET, _THREAD, _OWNER = 5, 6, 8, 9
# Per message: emoji -> owner -> nickname, each in the order they came.
_Reactions = dict[str, dict[str, str]]


def _row(message: ChatMessage, owner: str | None = None) -> _Row:
    return (
        message.id,
        message.author,
        message.text,
        message.wsid,
        message.sent_ms,
        None,
        None,
        message.reply_to,
        message.thread,
        owner,
        message.edited_ms,
        None,
        message.deleted,
        message.mentions,
        message.attachments,
    )


def _event(room: str, row: _Row) -> LogEvent:
    message_id, author, text, wsid, sent_ms, kind, target = row[:7]
    if kind is None:
        return ChatMessage(
            room, message_id, author, text, wsid, sent_ms, row[7], row[8], row[10],
            deleted=row[12], mentions=row[13], attachments=row[14],
        )  # fmt: skip
    assert target is not None
    if kind == EDIT:
        return EditedEvent(room, message_id, target, text, author, sent_ms)
    if kind == DELETE:
        return DeletedEvent(room, message_id, target, author, sent_ms)
    return ReactionEvent(room, message_id, target, text, author, kind == UNREACT, sent_ms)


class MemoryStore(
    MemoryRoomNames, MemoryAdmin, MemoryPeople, MemorySearch, MemoryUploads, AppendsAsFutures
):
    """A ``Store`` held in process memory."""

    def __init__(self, *, max_per_room: int = 10_000, max_refs: int = 100_000) -> None:
        super().__init__()  # MemoryPeople's, then MemoryUploads'
        self._rooms: dict[str, deque[_Row]] = {}
        self._last_ids: dict[str, int] = {}
        self._topics: dict[str, str] = {}
        self._refs: OrderedDict[tuple[str | None, str], LogEvent] = OrderedDict()
        self._reactions: dict[tuple[str, int], _Reactions] = {}
        # Live replies of each thread root, by (room, root ID).
        self._replies: dict[tuple[str, int], int] = {}
        self._max_per_room = max_per_room
        self._max_refs = max_refs
        self._closed = False
        self._accounts: dict[str, Account] = {}
        self._account_keys: dict[str, str] = {}
        self._credentials: dict[str, Credential] = {}
        self._access: dict[str, RoomAccess] = {}
        self._sanctions: list[Sanction] = []
        self._sanction_ids = itertools.count(1)

    async def open(self) -> None:
        self._closed = False

    async def close(self) -> None:
        self._closed = True

    def submit(self, message: NewMessage, done: AppendDone) -> None:
        if self._closed:
            report(done, StoreUnavailable("the store is closed"))
            return
        key = ref_key(message.ref)
        if key is not None:
            earlier = self._refs.get((message.sender, key))
            if earlier is not None:
                report(done, Appended(as_line(earlier), duplicate=True))
                return
        room = message.room
        message_id = self._last_ids.get(room, 0) + 1
        self._last_ids[room] = message_id
        thread = message.thread
        plain = message.reply_to is None and thread is None
        if plain and not message.mentions and not message.attachments:
            stored = ChatMessage(
                room, message_id, message.author, message.text, message.wsid, message.sent_ms
            )
        else:
            stored = ChatMessage(
                room, message_id, message.author, message.text, message.wsid, message.sent_ms,
                message.reply_to, thread, None, (), 0, False, message.mentions, message.attachments,
            )  # fmt: skip
            if thread is not None:
                self._replies[(room, thread)] = self._replies.get((room, thread), 0) + 1
        history = self._rooms.get(room)
        if history is None:
            history = self._rooms[room] = deque(maxlen=self._max_per_room)
            self._topics.setdefault(room, "")
        history.append(_row(stored, message.owner))
        if key is not None:
            self._remember(message.sender, key, stored)
        report(done, Appended(stored, duplicate=False))

    def _earlier(self, sender: str | None, key: str | None) -> LogEvent | None:
        return None if key is None else self._refs.get((sender, key))

    def _remember(self, sender: str | None, key: str | None, event: LogEvent) -> None:
        if key is not None:
            self._refs[(sender, key)] = event
            if len(self._refs) > self._max_refs:
                self._refs.popitem(last=False)

    def _next_id(self, room: str) -> int:
        message_id = self._last_ids.get(room, 0) + 1
        self._last_ids[room] = message_id
        self._topics.setdefault(room, "")
        return message_id

    def _ids(self, room: str) -> list[int]:
        return [row[0] for row in self._rooms.get(room, ())]

    def _find(self, room: str, message_id: int) -> int | None:
        """The index of the live line ``message_id`` in its room's history."""
        ids = self._ids(room)
        index = bisect.bisect_left(ids, message_id)
        if index == len(ids) or ids[index] != message_id:
            return None
        row = self._rooms[room][index]
        return None if row[_KIND] is not None or row[12] else index

    def _owners_after(self, room: str, after_id: int) -> Iterable[str | None]:
        start = bisect.bisect_right(self._ids(room), after_id)
        rows = itertools.islice(self._rooms.get(room, ()), start, None)
        return (row[9] for row in rows if row[_KIND] is None and not row[12])  # 9: the owner

    def _current(self, room: str, row: _Row) -> ChatMessage:
        """A line in its current state, with its reactions and live replies."""
        message = _event(room, row)
        assert isinstance(message, ChatMessage)
        reactions = self._reactions.get((room, row[0]), {})
        replies = self._replies.get((room, row[0]), 0)
        return dataclasses.replace(
            message,
            reactions=tuple(
                ReactionSummary(emoji, tuple(names.values())) for emoji, names in reactions.items()
            ),
            replies=replies,
        )

    async def page(
        self, room: str, before: int | None, limit: int, thread: int | None = None
    ) -> list[ChatMessage]:
        rows = [
            row
            for row in self._rooms.get(room, ())
            if row[_KIND] is None
            and not row[12]
            and (before is None or row[0] < before)
            and (thread is None or row[0] == thread or row[_THREAD] == thread)
        ]
        return [self._current(room, row) for row in rows[max(0, len(rows) - limit) :]]

    async def after(self, room: str, after_id: int, limit: int) -> list[LogEvent]:
        history = self._rooms.get(room, ())
        start = bisect.bisect_right(self._ids(room), after_id)
        rows = itertools.islice(history, start, start + max(0, limit))
        return [_event(room, row) for row in rows]

    async def message(self, room: str, message_id: int) -> ChatMessage | None:
        index = self._find(room, message_id)
        if index is None:
            return None
        message = _event(room, self._rooms[room][index])
        assert isinstance(message, ChatMessage)
        return message

    async def versions(self, room: str, message_id: int) -> list[tuple[str, int]] | None:
        index = self._find(room, message_id)
        if index is None:
            return None
        row = self._rooms[room][index]
        edits = [
            (other[2], other[4])
            for other in self._rooms[room]
            if other[_KIND] == EDIT and other[_TARGET] == message_id
        ]
        original = row[11] if row[11] is not None else row[2]
        return [(original, row[4]), *edits]

    async def change(self, change: Change) -> Changed:
        self._check_open()
        key = ref_key(change.ref)
        earlier = self._earlier(change.sender, key)
        if earlier is not None:
            return Changed(earlier, duplicate=True)
        room = change.room
        index = self._find(room, change.target)
        if index is None:
            raise ChangeRefused(ErrorCode.NOT_FOUND, f"no message {change.target} in {room!r}")
        history = self._rooms[room]
        row = history[index]
        own = row[_OWNER] is not None and row[_OWNER] == change.owner
        reactions = self._reactions.get((room, change.target), {})
        mine = change.owner in reactions.get(change.text, {})
        if not decide(change, own=own, text=row[2], emojis=reactions.keys(), reacted=mine):
            return Changed(None, own=own)
        event_id = self._next_id(room)
        text = change.text
        if change.kind == EDIT:
            original = row[11] if row[11] is not None else row[2]
            history[index] = (
                *row[:2], text, *row[3:10], change.sent_ms, original, False, *row[13:],
            )  # fmt: skip
        elif change.kind == DELETE:
            history[index] = (*row[:2], "", *row[3:10], row[10], None, True, row[13], ())
            self._purge(room, change.target)
            root = row[8]  # its thread
            if root is not None:
                self._replies[(room, root)] -= 1
            text = ""
        else:
            names = self._reactions.setdefault((room, change.target), {})
            if change.kind == REACT:
                names.setdefault(change.text, {})[change.owner] = change.name
            else:
                del names[change.text][change.owner]
                if not names[change.text]:
                    del names[change.text]
        event_row: _Row = (
            event_id, change.name, text, change.wsid, change.sent_ms, change.kind,
            change.target, None, None, change.owner, None, None, False, (), (),
        )  # fmt: skip
        history.append(event_row)
        event = _event(room, event_row)
        self._remember(change.sender, key, event)
        return Changed(event, own=own)

    def _purge(self, room: str, target: int) -> None:
        """A deleted line's text goes, from its edits too, with its reactions."""
        history = self._rooms[room]
        for index, row in enumerate(history):
            if row[_KIND] == EDIT and row[_TARGET] == target:
                history[index] = (*row[:2], "", *row[3:])
        self._reactions.pop((room, target), None)

    async def last_id(self, room: str) -> int:
        return self._last_ids.get(room, 0)

    async def rooms(self) -> list[RoomSummary]:
        return [
            RoomSummary(name, self._last_ids.get(name, 0), topic, self._private(name))
            for name, topic in sorted(self._topics.items())
        ]

    async def room(self, name: str) -> RoomSummary | None:
        topic = self._topics.get(name)
        if topic is None:
            return None
        return RoomSummary(name, self._last_ids.get(name, 0), topic, self._private(name))

    def _private(self, name: str) -> bool:
        access = self._access.get(name)
        return access is not None and access.private

    def _check_open(self) -> None:
        if self._closed:
            raise StoreUnavailable("the store is closed")

    async def create_room(self, name: str, topic: str = "") -> bool:
        self._check_open()
        if name in self._topics:
            return False
        self._topics[name] = topic
        return True

    async def delete_room(self, name: str) -> bool:
        self._check_open()
        if self._topics.pop(name, None) is None:
            return False
        self._rooms.pop(name, None)
        self._access.pop(name, None)
        self._forget_room_people(name)
        await self.delete_room_uploads(name)
        self._sanctions = [s for s in self._sanctions if s.room != name]
        self._reactions = {key: r for key, r in self._reactions.items() if key[0] != name}
        self._replies = {key: n for key, n in self._replies.items() if key[0] != name}
        for key in [key for key, message in self._refs.items() if message.room == name]:
            del self._refs[key]
        return True

    async def import_messages(self, messages: Sequence[ChatMessage]) -> int:
        self._check_open()
        by_room: dict[str, list[ChatMessage]] = {}
        for message in messages:
            by_room.setdefault(message.room, []).append(message)
        added = 0
        for room, incoming in by_room.items():
            history = list(self._rooms.get(room, ()))
            present = {row[0] for row in history}
            for message in incoming:
                if message.id not in present:
                    present.add(message.id)
                    history.append(_row(message))
                    added += 1
                    if message.thread is not None and not message.deleted:
                        root = (room, message.thread)
                        self._replies[root] = self._replies.get(root, 0) + 1
            history.sort()
            self._rooms[room] = deque(history, maxlen=self._max_per_room)
            self._last_ids[room] = max(self._last_ids.get(room, 0), history[-1][0])
            self._topics.setdefault(room, "")
        return added

    # -- accounts, credentials, roles, sanctions, audit -----------------------------------------

    async def create_account(self, account: Account) -> bool:
        self._check_open()
        taken = account.key in self._account_keys or account.key in self._nick_keys
        if taken or account.id in self._accounts:
            return False
        self._accounts[account.id] = account
        self._account_keys[account.key] = account.id
        return True

    async def account_by_key(self, key: str) -> Account | None:
        self._check_open()
        account_id = self._account_keys.get(key) or self._nick_keys.get(key)
        return None if account_id is None else self._accounts[account_id]

    async def account_by_id(self, account_id: str) -> Account | None:
        self._check_open()
        return self._accounts.get(account_id)

    async def add_credential(self, credential: Credential) -> None:
        self._check_open()
        self._credentials[credential.id] = credential

    async def credential(self, secret_hash: str, now_ms: int) -> tuple[Credential, Account] | None:
        self._check_open()
        for credential in self._credentials.values():
            if credential.secret_hash == secret_hash and _unexpired(credential, now_ms):
                account = self._accounts.get(credential.account_id)
                return None if account is None else (credential, account)
        return None

    async def credentials(self, account_id: str, kind: str) -> list[Credential]:
        self._check_open()
        return [
            c
            for c in self._credentials.values()
            if c.account_id == account_id and c.kind == kind and _unexpired(c, None)
        ]

    async def delete_credential(self, credential_id: str, account_id: str) -> bool:
        self._check_open()
        credential = self._credentials.get(credential_id)
        if credential is None or credential.account_id != account_id:
            return False
        del self._credentials[credential_id]
        return True

    async def room_access(self, name: str) -> RoomAccess:
        self._check_open()
        topic = self._topics.get(name, "")
        access = self._access.get(name)
        return (
            RoomAccess(name, topic) if access is None else dataclasses.replace(access, topic=topic)
        )

    async def claim_room(
        self, name: str, owner_id: str, owner_name: str, private: bool, topic: str
    ) -> bool:
        self._check_open()
        if name in self._topics:
            return False
        self._topics[name] = topic
        self._access[name] = RoomAccess(name, topic, private, owner_id, owner_name)
        return True

    async def set_topic(self, name: str, topic: str) -> None:
        self._check_open()
        self._topics[name] = topic

    async def set_role(self, room: str, account_id: str, name: str, role: str | None) -> None:
        self._check_open()
        self._topics.setdefault(room, "")
        access = self._access.get(room) or RoomAccess(room)
        moderators = {k: v for k, v in access.moderators.items() if k != account_id}
        members = {k: v for k, v in access.members.items() if k != account_id}
        if role == "moderator":
            moderators[account_id] = name
        elif role == "member":
            members[account_id] = name
        self._access[room] = dataclasses.replace(access, moderators=moderators, members=members)

    async def add_sanction(self, sanction: Sanction) -> int:
        self._check_open()
        sanction_id = next(self._sanction_ids)
        self._sanctions.append(dataclasses.replace(sanction, id=sanction_id))
        return sanction_id

    async def sanctions(self, room: str, now_ms: int) -> list[Sanction]:
        self._check_open()
        return [s for s in self._sanctions if s.room == room and s.active(now_ms)]

    async def lift_sanctions(
        self, room: str, kind: str, *, account_id: str | None, name_key: str
    ) -> int:
        self._check_open()
        kept = [
            s
            for s in self._sanctions
            if not (
                s.room == room
                and s.kind == kind
                and (
                    (account_id is not None and s.account_id == account_id)
                    or s.name_key == name_key
                )
            )
        ]
        lifted = len(self._sanctions) - len(kept)
        self._sanctions = kept
        return lifted


def _unexpired(credential: Credential, now_ms: int | None) -> bool:
    if credential.expires_ms is None:
        return True
    if now_ms is None:
        now_ms = time.time_ns() // 1_000_000
    return credential.expires_ms > now_ms
