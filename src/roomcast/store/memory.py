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
from collections.abc import Sequence

from roomcast.store.base import (
    Account,
    AppendDone,
    Appended,
    AppendsAsFutures,
    AuditEntry,
    Credential,
    NewMessage,
    RoomAccess,
    RoomSummary,
    Sanction,
    StoreUnavailable,
    ref_key,
    report,
)
from roomcast.wire.protocol import ChatMessage

# A kept message without its room: (id, author, text, wsid, sent_ms).
_Row = tuple[int, str, str, str, int]


def _row(message: ChatMessage) -> _Row:
    return (message.id, message.author, message.text, message.wsid, message.sent_ms)


class MemoryStore(AppendsAsFutures):
    """A ``MessageStore`` held in process memory."""

    def __init__(self, *, max_per_room: int = 10_000, max_refs: int = 100_000) -> None:
        self._rooms: dict[str, deque[_Row]] = {}
        self._last_ids: dict[str, int] = {}
        self._topics: dict[str, str] = {}
        self._refs: OrderedDict[tuple[str | None, str], ChatMessage] = OrderedDict()
        self._max_per_room = max_per_room
        self._max_refs = max_refs
        self._closed = False
        self._accounts: dict[str, Account] = {}
        self._account_keys: dict[str, str] = {}
        self._credentials: dict[str, Credential] = {}
        self._access: dict[str, RoomAccess] = {}
        self._sanctions: list[Sanction] = []
        self._sanction_ids = itertools.count(1)
        self._audit: list[AuditEntry] = []

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
                report(done, Appended(earlier, duplicate=True))
                return
        message_id = self._last_ids.get(message.room, 0) + 1
        self._last_ids[message.room] = message_id
        self._topics.setdefault(message.room, "")
        stored = ChatMessage(
            message.room, message_id, message.author, message.text, message.wsid, message.sent_ms
        )
        history = self._rooms.get(message.room)
        if history is None:
            history = self._rooms[message.room] = deque(maxlen=self._max_per_room)
        history.append(_row(stored))
        if key is not None:
            self._refs[(message.sender, key)] = stored
            if len(self._refs) > self._max_refs:
                self._refs.popitem(last=False)
        report(done, Appended(stored, duplicate=False))

    def _slice(self, room: str, start: int, end: int) -> list[ChatMessage]:
        rows = itertools.islice(self._rooms.get(room, ()), max(0, start), end)
        return [ChatMessage(room, *row) for row in rows]

    def _ids(self, room: str) -> list[int]:
        return [row[0] for row in self._rooms.get(room, ())]

    async def page(self, room: str, before: int | None, limit: int) -> list[ChatMessage]:
        ids = self._ids(room)
        end = len(ids) if before is None else bisect.bisect_left(ids, before)
        return self._slice(room, end - limit, end)

    async def after(self, room: str, after_id: int, limit: int) -> list[ChatMessage]:
        ids = self._ids(room)
        start = bisect.bisect_right(ids, after_id)
        return self._slice(room, start, min(len(ids), start + limit))

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
        self._sanctions = [s for s in self._sanctions if s.room != name]
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
            history.sort()
            self._rooms[room] = deque(history, maxlen=self._max_per_room)
            self._last_ids[room] = max(self._last_ids.get(room, 0), history[-1][0])
            self._topics.setdefault(room, "")
        return added

    # -- accounts, credentials, roles, sanctions, audit -----------------------------------------

    async def create_account(self, account: Account) -> bool:
        self._check_open()
        if account.key in self._account_keys or account.id in self._accounts:
            return False
        self._accounts[account.id] = account
        self._account_keys[account.key] = account.id
        return True

    async def account_by_key(self, key: str) -> Account | None:
        self._check_open()
        account_id = self._account_keys.get(key)
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

    async def delete_message(self, room: str, message_id: int) -> bool:
        self._check_open()
        history = self._rooms.get(room)
        if history is None or not any(row[0] == message_id for row in history):
            return False
        self._rooms[room] = deque((row for row in history if row[0] != message_id), history.maxlen)
        for key in [key for key, m in self._refs.items() if (m.room, m.id) == (room, message_id)]:
            del self._refs[key]
        return True

    async def add_audit(self, entry: AuditEntry) -> None:
        self._check_open()
        self._audit.append(entry)

    async def audit_log(self, room: str | None, limit: int) -> list[AuditEntry]:
        self._check_open()
        entries = [e for e in reversed(self._audit) if room is None or e.room == room]
        return entries[:limit]


def _unexpired(credential: Credential, now_ms: int | None) -> bool:
    if credential.expires_ms is None:
        return True
    if now_ms is None:
        now_ms = time.time_ns() // 1_000_000
    return credential.expires_ms > now_ms
