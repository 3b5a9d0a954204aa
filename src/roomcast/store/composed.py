"""A ``Store`` composed of parts: the writer's ``submit``, the history reads, the room
administration, the access store, the people store, the search and the files, each an object of
its own that this facade forwards to.

The SQLite and PostgreSQL stores are such facades; each builds its parts, opens and closes them.
``submit`` and ``append`` are the writer's own bound methods (no call in between on the path of
every message); the rest are forwarded. Changes to messages go to the writer too, which puts
them after every line submitted before them.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from typing import Final, Protocol

from roomcast.store.base import (
    NO_FILTER,
    AccessStore,
    Account,
    AppendDone,
    Appended,
    AuditEntry,
    AuditQuery,
    Change,
    Changed,
    Credential,
    HistoryAdmin,
    HistoryReads,
    NewMessage,
    RoomAccess,
    RoomSummary,
    Sanction,
    take_outcome,
)
from roomcast.store.people import Notification, PeopleStore, PersonRoom
from roomcast.store.search import (
    DEFAULT_SEARCH_LIMIT,
    Query,
    Reader,
    SearchPage,
    SearchStore,
)
from roomcast.store.uploads import RoomFiles, Upload
from roomcast.wire.protocol import ChatMessage, LogEvent, room_key

# Most room spellings kept: past it the cache starts again (a join costs a store read).
_MAX_NAMES: Final = 65_536


class ChangeWriter(Protocol):
    """A store's writer: it takes lines (``submit``, ``append``) and changes, in one order."""

    def submit(self, message: NewMessage, done: AppendDone) -> None: ...

    def append(self, message: NewMessage) -> asyncio.Future[Appended]: ...

    async def change(self, change: Change) -> Changed: ...


class ComposedStore(ABC):
    """A ``Store`` whose parts do the work."""

    submit: Callable[[NewMessage, AppendDone], None]
    append: Callable[[NewMessage], asyncio.Future[Appended]]

    def __init__(
        self,
        writer: ChangeWriter,
        reads: HistoryReads,
        rooms: HistoryAdmin,
        access: AccessStore,
        people: PeopleStore,
        search: SearchStore,
        files: RoomFiles,
    ) -> None:
        self.submit = writer.submit
        self.append = writer.append
        self._changes = writer
        self._history = reads
        self._rooms = rooms
        self._access = access
        self._people = people
        self._search = search
        self._files = files
        # Room spellings the store recorded, by key (``room_name``): they never change. And the
        # claims under way, by key: the clients of a room that connect at once (a restart's
        # reconnect storm) share one, where each was a write of its own to the store.
        self._names: dict[str, str] = {}
        self._claiming: dict[str, asyncio.Future[str]] = {}

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    # -- HistoryReads ---------------------------------------------------------------------------

    async def change(self, change: Change) -> Changed:
        return await self._changes.change(change)

    async def page(
        self, room: str, before: int | None, limit: int, thread: int | None = None
    ) -> list[ChatMessage]:
        return await self._history.page(room, before, limit, thread)

    async def after(self, room: str, after_id: int, limit: int) -> list[LogEvent]:
        return await self._history.after(room, after_id, limit)

    async def newer(self, room: str, after_id: int, limit: int) -> list[ChatMessage]:
        return await self._history.newer(room, after_id, limit)

    async def message(self, room: str, message_id: int) -> ChatMessage | None:
        return await self._history.message(room, message_id)

    async def versions(self, room: str, message_id: int) -> list[tuple[str, int]] | None:
        return await self._history.versions(room, message_id)

    async def last_id(self, room: str) -> int:
        return await self._history.last_id(room)

    async def rooms(self) -> list[RoomSummary]:
        return await self._history.rooms()

    async def room(self, name: str) -> RoomSummary | None:
        return await self._history.room(name)

    # -- HistoryAdmin ---------------------------------------------------------------------------

    async def room_name(self, name: str, *, claim: bool) -> str:
        key = room_key(name)
        known = self._names.get(key)
        if known is not None:
            return known
        if not claim:
            spelling = await self._rooms.room_name(name, claim=False)
            if spelling != name:  # recorded: it never changes
                self._remember(key, spelling)
            return spelling
        claiming = self._claiming.get(key)
        if claiming is None:
            claiming = asyncio.ensure_future(self._claim_name(key, name))
            claiming.add_done_callback(take_outcome)
            self._claiming[key] = claiming
        # Shielded: a client that goes away while it waits does not cancel the others' claim.
        return await asyncio.shield(claiming)

    async def _claim_name(self, key: str, name: str) -> str:
        try:
            spelling = await self._rooms.room_name(name, claim=True)
        finally:
            del self._claiming[key]
        self._remember(key, spelling)
        return spelling

    def _remember(self, key: str, spelling: str) -> None:
        if len(self._names) >= _MAX_NAMES:
            self._names.clear()
        self._names[key] = spelling

    async def create_room(self, name: str, topic: str = "") -> bool:
        return await self._rooms.create_room(name, topic)

    async def delete_room(self, name: str) -> bool:
        deleted = await self._rooms.delete_room(name)
        await self._files.delete_room_uploads(name)
        return deleted

    async def import_messages(self, messages: Sequence[ChatMessage]) -> int:
        return await self._rooms.import_messages(messages)

    # -- AccountStore ---------------------------------------------------------------------------

    async def create_account(self, account: Account) -> bool:
        return await self._access.create_account(account)

    async def account_by_key(self, key: str) -> Account | None:
        return await self._access.account_by_key(key)

    async def account_by_id(self, account_id: str) -> Account | None:
        return await self._access.account_by_id(account_id)

    async def add_credential(self, credential: Credential) -> None:
        await self._access.add_credential(credential)

    async def credential(self, secret_hash: str, now_ms: int) -> tuple[Credential, Account] | None:
        return await self._access.credential(secret_hash, now_ms)

    async def credentials(self, account_id: str, kind: str) -> list[Credential]:
        return await self._access.credentials(account_id, kind)

    async def delete_credential(self, credential_id: str, account_id: str) -> bool:
        return await self._access.delete_credential(credential_id, account_id)

    async def delete_credentials(self, account_id: str, kind: str) -> int:
        return await self._access.delete_credentials(account_id, kind)

    async def accounts(self, search: str, limit: int) -> list[Account]:
        return await self._access.accounts(search, limit)

    async def set_account_flags(
        self, account_id: str, *, disabled: bool | None = None, admin: bool | None = None
    ) -> Account | None:
        return await self._access.set_account_flags(account_id, disabled=disabled, admin=admin)

    # -- RoomAccessStore ------------------------------------------------------------------------

    async def room_access(self, name: str) -> RoomAccess:
        return await self._access.room_access(name)

    async def claim_room(
        self, name: str, owner_id: str, owner_name: str, private: bool, topic: str
    ) -> bool:
        return await self._access.claim_room(name, owner_id, owner_name, private, topic)

    async def set_topic(self, name: str, topic: str) -> None:
        await self._access.set_topic(name, topic)

    async def set_role(self, room: str, account_id: str, name: str, role: str | None) -> None:
        await self._access.set_role(room, account_id, name, role)

    async def add_sanction(self, sanction: Sanction) -> int:
        return await self._access.add_sanction(sanction)

    async def sanctions(self, room: str, now_ms: int) -> list[Sanction]:
        return await self._access.sanctions(room, now_ms)

    async def lift_sanctions(
        self, room: str, kind: str, *, account_id: str | None, name_key: str
    ) -> int:
        return await self._access.lift_sanctions(
            room, kind, account_id=account_id, name_key=name_key
        )

    async def add_audit(self, entry: AuditEntry) -> None:
        await self._access.add_audit(entry)

    async def audit_log(
        self, room: str | None, limit: int, query: AuditQuery = NO_FILTER
    ) -> list[AuditEntry]:
        return await self._access.audit_log(room, limit, query)

    # -- NodeStatsStore -------------------------------------------------------------------------

    async def put_node_stats(self, node: str, seen_ms: int, stats: str) -> None:
        await self._access.put_node_stats(node, seen_ms, stats)

    async def node_stats(self, since_ms: int) -> list[tuple[str, int, str]]:
        return await self._access.node_stats(since_ms)

    # -- PeopleStore ----------------------------------------------------------------------------

    async def person_rooms(self, person: str) -> list[PersonRoom]:
        return await self._people.person_rooms(person)

    async def add_person_room(self, person: str, room: str) -> int:
        return await self._people.add_person_room(person, room)

    async def add_first_person_room(self, person: str, room: str) -> None:
        await self._people.add_first_person_room(person, room)

    async def remove_person_room(self, person: str, room: str) -> None:
        await self._people.remove_person_room(person, room)

    async def set_read(self, person: str, room: str, message_id: int) -> int:
        return await self._people.set_read(person, room, message_id)

    async def read_marker(self, person: str, room: str) -> int:
        return await self._people.read_marker(person, room)

    async def add_mentions(self, room: str, message_id: int, persons: list[str]) -> None:
        await self._people.add_mentions(room, message_id, persons)

    async def create_direct(self, room: str, members: dict[str, str]) -> bool:
        return await self._people.create_direct(room, members)

    async def direct_members(self, room: str) -> dict[str, str] | None:
        return await self._people.direct_members(room)

    async def block(self, blocker_id: str, blocked_id: str, blocked_name: str) -> bool:
        return await self._people.block(blocker_id, blocked_id, blocked_name)

    async def unblock(self, blocker_id: str, blocked_id: str) -> bool:
        return await self._people.unblock(blocker_id, blocked_id)

    async def blocks(self, blocker_id: str) -> list[tuple[str, str]]:
        return await self._people.blocks(blocker_id)

    async def blockers(self, blocked_id: str, among: list[str]) -> set[str]:
        return await self._people.blockers(blocked_id, among)

    async def set_account_nick(self, account_id: str, nick: str | None, key: str | None) -> bool:
        return await self._people.set_account_nick(account_id, nick, key)

    async def account_nick(self, account_id: str) -> str | None:
        return await self._people.account_nick(account_id)

    async def enqueue_notification(self, notification: Notification) -> None:
        await self._people.enqueue_notification(notification)

    async def claim_notifications(
        self, now_ms: int, owner: str, lease_ms: int, limit: int
    ) -> list[Notification]:
        return await self._people.claim_notifications(now_ms, owner, lease_ms, limit)

    async def finish_notification(
        self, notification_id: str, state: str, attempts: int, next_ms: int
    ) -> None:
        await self._people.finish_notification(notification_id, state, attempts, next_ms)

    async def notification_counts(self) -> dict[str, int]:
        return await self._people.notification_counts()

    # -- SearchStore ----------------------------------------------------------------------------

    async def search(
        self,
        query: Query,
        reader: Reader,
        *,
        room: str | None = None,
        author: str | None = None,
        before: int | None = None,
        limit: int = DEFAULT_SEARCH_LIMIT,
    ) -> SearchPage:
        return await self._search.search(
            query, reader, room=room, author=author, before=before, limit=limit
        )

    # -- UploadStore ----------------------------------------------------------------------------

    async def add_upload(
        self, upload: Upload, chunks: AsyncIterable[bytes], thumb: bytes | None, quota: int
    ) -> None:
        await self._files.add_upload(upload, chunks, thumb, quota)

    async def upload(self, upload_id: str) -> Upload | None:
        return await self._files.upload(upload_id)

    def upload_chunks(self, upload_id: str, first: int, last: int) -> AsyncIterator[bytes]:
        return self._files.upload_chunks(upload_id, first, last)

    async def thumbnail(self, upload_id: str) -> bytes | None:
        return await self._files.thumbnail(upload_id)

    async def attach_uploads(self, room: str, owner: str, ids: Sequence[str]) -> list[Upload]:
        return await self._files.attach_uploads(room, owner, ids)

    async def detach_uploads(self, ids: Sequence[str]) -> None:
        await self._files.detach_uploads(ids)

    async def delete_uploads(self, ids: Sequence[str]) -> int:
        return await self._files.delete_uploads(ids)

    async def expire_uploads(self, before_ms: int) -> int:
        return await self._files.expire_uploads(before_ms)
