"""The store interfaces: where history lives, where message IDs are assigned, and who may do what.

``MessageStore`` is the history (``HistoryReads`` and ``HistoryAdmin`` are its narrow parts),
``AccessStore`` the accounts and room access (``AccountStore``, ``RoomAccessStore``), ``Store``
both; a layer depends on the narrowest one it uses. The writer pieces (``Submission``,
``Outcomes``, ``failed``, ``report_all``) are shared by the implementations.

The store is the source of truth for order: a message gets its room-local ID when it is committed,
and only a committed message is fanned out or acknowledged. Appends are submitted without waiting
(the caller names a function to call with the outcome, or gets a future) so one connection can
pipeline many lines, and implementations batch them into few commits.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import field
from typing import Any, Final, Protocol

from roomcast.record import record
from roomcast.store.people import PeopleStore
from roomcast.store.search import SearchStore
from roomcast.store.uploads import UploadStore
from roomcast.wire.attachments import Attachment
from roomcast.wire.protocol import ChatMessage, ErrorCode, LogEvent, Ref

log = logging.getLogger(__name__)


class StoreUnavailable(Exception):
    """The store cannot take or give messages right now (down, full or overloaded)."""


class OutcomeUnknown(StoreUnavailable):
    """The store failed after a write was sent and before its reply: it may have been made.

    A line re-sent with the same ``Ref`` (and ``sender``) is then stored once at most."""


@record
class NewMessage:
    """A message before it is stored. ``sender`` and ``ref`` make re-sends idempotent.

    ``owner`` is who may edit it (``owner_key``); ``reply_to`` and ``thread`` are as the line
    says (the chat layer checked that they name live messages of the room); ``mentions`` are
    the names its ``@name`` words resolved to, as the ``Chat`` frame lists them;
    ``attachments`` the uploads it carries (``UploadStore.attach_uploads`` claimed them).
    """

    room: str
    author: str
    text: str
    wsid: str
    sent_ms: int
    sender: str | None = None
    ref: Ref | None = None
    owner: str | None = None
    reply_to: int | None = None
    thread: int | None = None
    mentions: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()


def owner_key(account_id: str | None, sender: str) -> str:
    """Who a message belongs to: the signed-in account, or a guest's session (its ``sender``)."""
    return f"a:{account_id}" if account_id is not None else f"g:{sender}"


# The kinds of ``Change``.
EDIT = "edit"
DELETE = "delete"
REACT = "react"
UNREACT = "unreact"
CHANGE_KINDS = (EDIT, DELETE, REACT, UNREACT)


@record
class Change:
    """A change to message ``target`` of ``room``, asked for by ``owner`` (``owner_key``) under
    the nickname ``name``: an edit (``text`` the new text), a deletion, or a reaction added or
    taken away (``text`` the emoji). ``moderator``: the asker may delete others' messages.
    ``sender`` and ``ref`` make a re-send idempotent, as for lines."""

    room: str
    target: int
    kind: str
    owner: str
    name: str
    text: str
    wsid: str
    sent_ms: int
    moderator: bool = False
    sender: str | None = None
    ref: Ref | None = None


@record
class Changed:
    """The outcome of a ``Change``: its event (None when nothing changed: a reaction one had or
    did not have, the same text), ``duplicate`` for a re-sent ref (the original event), and
    whether the message was the asker's own (a moderator's deletion of another's is audited)."""

    event: LogEvent | None
    duplicate: bool = False
    own: bool = True


class ChangeRefused(Exception):
    """The change may not be made: ``not_found``, ``forbidden`` or ``too_many``."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@record
class Appended:
    """The stored message; ``duplicate`` when the same sender had already sent that ``ref``."""

    message: ChatMessage
    duplicate: bool


# What a store calls with the outcome of one submitted message.
AppendDone = Callable[["Appended | StoreUnavailable"], None]


def take_outcome(future: asyncio.Future[Any]) -> None:
    """A done callback for a store call that nobody may await any more (its caller went away,
    or it runs on its own): take its error, if any, so that none is reported as lost."""
    if not future.cancelled():
        future.exception()


def report(done: AppendDone, outcome: Appended | StoreUnavailable) -> None:
    """Call a submitter's ``done``; its failure is logged and does not reach the store."""
    try:
        done(outcome)
    except Exception:
        log.exception("a store append callback failed")


# What a queued line or change holds in memory besides its text (its objects, its callback).
QUEUED_OVERHEAD: Final = 512
# Default bounds of a store writer's queue: items, and bytes (``queued_size``).
MAX_PENDING: Final = 50_000
MAX_PENDING_BYTES: Final = 64 * 1024 * 1024


def queued_size(item: NewMessage | Change) -> int:
    """About how many bytes a queued line or change holds: its text and a fixed overhead."""
    return QUEUED_OVERHEAD + sys.getsizeof(item.text)


# A submitted message with whom to tell, as a store's writer queues it; and the outcomes of a
# batch of them, in submission order.
Submission = tuple[AppendDone, NewMessage]
Outcomes = list[tuple[AppendDone, "Appended | StoreUnavailable"]]


def failed(batch: list[Submission], error: StoreUnavailable) -> Outcomes:
    """The outcomes of a batch that was not stored at all."""
    return [(done, error) for done, _ in batch]


def report_all(outcomes: Outcomes) -> None:
    """``report`` each outcome of a commit (thousands under load: without a call of ``report``
    per outcome, on the event loop)."""
    for done, outcome in outcomes:
        try:
            done(outcome)
        except Exception:
            log.exception("a store append callback failed")


class AppendsAsFutures(ABC):
    """``MessageStore.append`` for a store that implements ``submit``."""

    @abstractmethod
    def submit(self, message: NewMessage, done: AppendDone) -> None: ...

    def append(self, message: NewMessage) -> asyncio.Future[Appended]:
        future: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()

        def settle(outcome: Appended | StoreUnavailable) -> None:
            if future.done():  # the awaiting caller was cancelled
                return
            if isinstance(outcome, StoreUnavailable):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

        self.submit(message, settle)
        return future


@record
class RoomSummary:
    """A room the store knows: its newest message ID (0 when none) and its topic ("" when unset)."""

    name: str
    last_id: int
    topic: str = ""
    private: bool = False


class HistoryReads(Protocol):
    """Reading history and the rooms that hold it: what a reader of a room needs."""

    async def page(
        self, room: str, before: int | None, limit: int, thread: int | None = None
    ) -> list[ChatMessage]:
        """Up to ``limit`` live messages with ID < ``before`` (the newest when None), oldest
        first, in their current state (text, ``edited_ms``, ``reactions``, ``replies``); with
        ``thread``, only that thread's root and replies."""

    async def newer(self, room: str, after_id: int, limit: int) -> list[ChatMessage]:
        """Up to ``limit`` live messages with ID > ``after_id``, oldest first, in their current
        state as ``page`` gives them (a page that continues forward, for ``History After``)."""

    async def after(self, room: str, after_id: int, limit: int) -> list[LogEvent]:
        """Up to ``limit`` events of the log with ID > ``after_id``, oldest first: lines (with
        their current text; a deleted one as ``deleted``, its text gone) and changes."""

    async def message(self, room: str, message_id: int) -> ChatMessage | None:
        """The live (not deleted) line ``message_id`` of ``room``, without reactions."""

    async def versions(self, room: str, message_id: int) -> list[tuple[str, int]] | None:
        """Every version of a live line's text with its time in ms, the original first; None
        when there is no such live line."""

    async def last_id(self, room: str) -> int:
        """The ID of the room's newest message; 0 when it has none."""

    async def rooms(self) -> list[RoomSummary]:
        """Every room that exists (created, or with at least one message, and not deleted)."""

    async def room(self, name: str) -> RoomSummary | None:
        """The room ``name`` when it exists (in the sense of ``rooms``), else None."""


class HistoryAdmin(Protocol):
    """Naming, making, deleting and restoring rooms and their history (the admin CLI and REST
    API)."""

    async def room_name(self, name: str, *, claim: bool) -> str:
        """The spelling of the room ``name`` is (``protocol.room_key``): the spelling its key
        was first given. A key with none gives ``name``, which ``claim`` records as its
        spelling from now on (once, atomically: two nodes claiming ``Dev`` and ``DEV`` at once
        both get the one that won). A spelling never changes once recorded."""

    async def create_room(self, name: str, topic: str = "") -> bool:
        """Make the room exist before anyone posts to it; False when it already exists."""

    async def delete_room(self, name: str) -> bool:
        """Delete the room and its whole history; False when it does not exist.

        IDs are never reused: a message posted to the room afterwards (which brings it back)
        continues after the old last ID, so members still connected keep receiving in order.
        """

    async def import_messages(self, messages: Sequence[ChatMessage]) -> int:
        """Store messages with the IDs they carry (restoring an export); return how many were new.

        A message whose room already holds its ID is skipped, so importing twice changes nothing.
        Each room's last ID becomes at least its highest imported ID; a deleted room comes back.
        Raises ``StoreUnavailable`` when nothing could be stored.
        """


class MessageStore(HistoryReads, HistoryAdmin, Protocol):
    """Durable, ordered, per-room message history."""

    async def open(self) -> None:
        """Connect, apply migrations, start background writers."""

    async def close(self) -> None:
        """Commit everything submitted so far, then release resources."""

    def submit(self, message: NewMessage, done: AppendDone) -> None:
        """Submit a message; ``done`` is called on the event loop with the outcome.

        The outcome is ``Appended`` once the message is durably committed, ``StoreUnavailable``
        when it was not stored. A store calls ``done`` in submission order, once per message;
        the memory store calls it before ``submit`` returns.
        """

    def append(self, message: NewMessage) -> asyncio.Future[Appended]:
        """``submit``, with the outcome as a future (see ``AppendsAsFutures``)."""

    async def change(self, change: Change) -> Changed:
        """Add the event of ``change`` to the room's log, with the room's next ID, after every
        line submitted before it, and change the message's current state with it.

        ``ChangeRefused``: ``not_found`` when ``target`` is no live line of the room,
        ``forbidden`` when an edit is not the owner's or a deletion neither the owner's nor a
        moderator's, ``too_many`` when a new emoji would pass ``MAX_REACTIONS`` on the message.
        """


@record
class Account:
    """A registered user. ``key`` is ``protocol.nick_key(name)``: no other user may take it.

    A ``disabled`` account cannot log in and its credentials prove nothing; ``admin`` makes it
    a server admin (as the ``admins`` setting does), both set on the admin page.
    """

    id: str
    name: str
    key: str
    password_hash: str
    created_ms: int
    disabled: bool = False
    admin: bool = False


@record
class Credential:
    """A login session (``kind`` "session") or an API token for a bot ("token").

    Only ``secret_hash``, the SHA-256 of the secret, is stored; ``id`` is public and names the
    credential when it is listed or revoked. ``expires_ms`` None means it never expires.
    """

    id: str
    kind: str
    account_id: str
    secret_hash: str
    label: str
    created_ms: int
    expires_ms: int | None


@record
class RoomAccess:
    """Who may do what in a room: owner, moderators and (for a private room) invited members.

    ``moderators`` and ``members`` map account IDs to the account names they had when given the
    role. A room the store has no row for is public and has no owner.
    """

    name: str
    topic: str = ""
    private: bool = False
    owner_id: str | None = None
    owner_name: str | None = None
    moderators: dict[str, str] = field(default_factory=dict)
    members: dict[str, str] = field(default_factory=dict)


@record
class Sanction:
    """A ban (no joining) or mute (no talking) in a room, of an account or of an address.

    ``name`` is the nickname the sanctioned user had, for listings and for lifting it by name
    (``name_key`` is its ``nick_key``). ``until_ms`` None means until lifted. ``id`` is assigned
    by the store.
    """

    room: str
    kind: str
    account_id: str | None
    ip: str | None
    name: str
    name_key: str
    until_ms: int | None
    by: str
    reason: str
    created_ms: int
    id: int = 0

    def active(self, now_ms: int) -> bool:
        return self.until_ms is None or self.until_ms > now_ms


@record
class AuditEntry:
    """One moderation action: who did what to whom, where and when."""

    time_ms: int
    actor: str
    action: str
    room: str
    target: str
    detail: str = ""


@record
class AuditQuery:
    """Which audit entries to list besides the room: by exact actor and action names, and by
    time (``since_ms`` inclusive, ``until_ms`` exclusive); None lets every value through."""

    actor: str | None = None
    action: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None

    def admits(self, entry: AuditEntry) -> bool:
        return (
            (self.actor is None or entry.actor == self.actor)
            and (self.action is None or entry.action == self.action)
            and (self.since_ms is None or entry.time_ms >= self.since_ms)
            and (self.until_ms is None or entry.time_ms < self.until_ms)
        )


NO_FILTER: Final = AuditQuery()


class AccountStore(Protocol):
    """Accounts and their credentials (login sessions, API tokens): what logins need."""

    async def create_account(self, account: Account) -> bool:
        """Register ``account``; False when its ``key`` (or ``id``) is already taken: by an
        account's name or a chosen nickname (``PeopleStore.set_account_nick``)."""

    async def account_by_key(self, key: str) -> Account | None:
        """The account whose name, or chosen nickname, has this ``nick_key``."""

    async def account_by_id(self, account_id: str) -> Account | None: ...

    async def add_credential(self, credential: Credential) -> None: ...

    async def credential(self, secret_hash: str, now_ms: int) -> tuple[Credential, Account] | None:
        """The unexpired credential with this secret hash, and its account."""

    async def credentials(self, account_id: str, kind: str) -> list[Credential]:
        """The account's unexpired credentials of ``kind``, oldest first."""

    async def delete_credential(self, credential_id: str, account_id: str) -> bool:
        """Revoke one of the account's credentials; False when it has no such one."""

    async def delete_credentials(self, account_id: str, kind: str) -> int:
        """Revoke every credential of ``kind`` of the account (sign out everywhere); how many."""

    async def accounts(self, search: str, limit: int) -> list[Account]:
        """Up to ``limit`` accounts whose ``key`` contains ``search`` (a ``nick_key``; "" for
        all), by name key."""

    async def set_account_flags(
        self, account_id: str, *, disabled: bool | None = None, admin: bool | None = None
    ) -> Account | None:
        """Change the flags given (None leaves one as it is); the account after, None when
        there is no such account."""


class RoomAccessStore(Protocol):
    """Room roles and privacy, sanctions and the audit log: for moderation."""

    async def room_access(self, name: str) -> RoomAccess:
        """The room's owner, roles, privacy and topic (public and ownerless when unknown)."""

    async def claim_room(
        self, name: str, owner_id: str, owner_name: str, private: bool, topic: str
    ) -> bool:
        """Create the room owned by ``owner_id``; False when it exists (has a row, not deleted)."""

    async def set_topic(self, name: str, topic: str) -> None:
        """Set the room's topic, creating its row when needed."""

    async def set_role(self, room: str, account_id: str, name: str, role: str | None) -> None:
        """Make the account a "moderator" or "member" of the room, or neither (None)."""

    async def add_sanction(self, sanction: Sanction) -> int:
        """Record a ban or a mute; its ID."""

    async def sanctions(self, room: str, now_ms: int) -> list[Sanction]:
        """The room's sanctions in force at ``now_ms``, oldest first."""

    async def lift_sanctions(
        self, room: str, kind: str, *, account_id: str | None, name_key: str
    ) -> int:
        """End the room's sanctions of ``kind`` on the account or the name; how many ended."""

    async def add_audit(self, entry: AuditEntry) -> None: ...

    async def audit_log(
        self, room: str | None, limit: int, query: AuditQuery = NO_FILTER
    ) -> list[AuditEntry]:
        """The newest ``limit`` entries, of one room or of all, that ``query`` lets through,
        newest first."""


class NodeStatsStore(Protocol):
    """Where each node of a deployment leaves its numbers for the admin page."""

    async def put_node_stats(self, node: str, seen_ms: int, stats: str) -> None:
        """Record ``stats`` (a JSON text) as the numbers of ``node`` at ``seen_ms``."""

    async def node_stats(self, since_ms: int) -> list[tuple[str, int, str]]:
        """(node, seen_ms, stats) of every node seen at ``since_ms`` or later, by node; older
        records are deleted on the way."""


class AccessStore(AccountStore, RoomAccessStore, NodeStatsStore, Protocol):
    """Accounts, credentials, room roles, sanctions and the audit log, beside the history."""


class Store(MessageStore, AccessStore, PeopleStore, SearchStore, UploadStore, Protocol):
    """Everything a roomcast server keeps: what ``open_store`` gives."""


def ref_key(ref: Ref | None) -> str | None:
    """Store form of a Ref: the integer 5 and the string "5" are different refs."""
    if ref is None:
        return None
    return f"i:{ref}" if isinstance(ref, int) else f"s:{ref}"
