"""The person-level store: what belongs to a person rather than to a connection.

A person is a signed-in account (``a:<account id>``) or a guest's session (``g:<sender>``), the
``owner_key`` of its messages. The store keeps each person's rooms with a read marker, the
mentions of each person, direct conversations, blocks between accounts, an account's chosen
nickname, and the durable queue of notifications for people who are away.
"""

from __future__ import annotations

from typing import Protocol

from roomcast.record import record

# Notification states.
PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
READ_IN_TIME = "read"
NOTIFICATION_STATES = (PENDING, DELIVERED, FAILED, READ_IN_TIME)


@record
class PersonRoom:
    """One of a person's rooms, as the ``Rooms`` frame gives it.

    ``unread``: the live lines after ``read_id`` whose owner is not the person; ``mentions``: the
    person's mentions after ``read_id`` (each at most ``COUNT_CAP``).
    """

    room: str
    last_id: int
    read_id: int
    unread: int
    mentions: int
    direct: bool


# Unread and mention counts stop at this many (a client shows "9999+").
COUNT_CAP = 9999


@record
class Notification:
    """A mention or a direct line for an account, to be POSTed to the webhook if still unread.

    ``id`` is the idempotency key, the same on every retry. ``due_ms``: when it is first tried;
    ``attempts`` and ``next_ms`` track retries; ``state`` is one of ``NOTIFICATION_STATES``.
    """

    id: str
    account_id: str
    account: str
    room: str
    message_id: int
    author: str
    excerpt: str
    kind: str
    time_ms: int
    due_ms: int
    attempts: int = 0
    state: str = PENDING


class PeopleStore(Protocol):
    """Rooms, read markers, mentions, direct conversations, blocks and notifications."""

    async def person_rooms(self, person: str) -> list[PersonRoom]:
        """The person's rooms (joined, and not left), in the order first joined."""

    async def add_person_room(self, person: str, room: str) -> int:
        """Remember ``room`` as one of the person's (a Join); kept if already there. The
        person's read marker in ``room`` (0 when none), so a join needs one round trip."""

    async def add_first_person_room(self, person: str, room: str) -> None:
        """``add_person_room`` for a person nothing is stored of yet (a guest's session made for
        the connection joining), whose read marker is 0: the store may write it behind without
        making the caller wait, in order with the person's later writes."""

    async def remove_person_room(self, person: str, room: str) -> None:
        """Forget ``room`` for the person (a Leave); its read marker is kept."""

    async def set_read(self, person: str, room: str, message_id: int) -> int:
        """Move the person's read marker in ``room`` to ``message_id``, clamped to the room's last
        ID and never back; the marker afterwards."""

    async def read_marker(self, person: str, room: str) -> int:
        """The person's read marker in ``room``; 0 when none."""

    async def add_mentions(self, room: str, message_id: int, persons: list[str]) -> None:
        """Record that line ``message_id`` of ``room`` mentions each of ``persons``."""

    async def create_direct(self, room: str, members: dict[str, str]) -> bool:
        """Make ``room`` the direct conversation of ``members`` (account ID -> name): a private
        room they are the members of, in every member's rooms; False when it existed."""

    async def direct_members(self, room: str) -> dict[str, str] | None:
        """The members (account ID -> name) of a direct conversation; None for any other room."""

    async def block(self, blocker_id: str, blocked_id: str, blocked_name: str) -> bool:
        """``blocker_id`` blocks the account ``blocked_id``; False when it already did."""

    async def unblock(self, blocker_id: str, blocked_id: str) -> bool:
        """Lift a block; False when there was none."""

    async def blocks(self, blocker_id: str) -> list[tuple[str, str]]:
        """The accounts ``blocker_id`` blocks, (ID, name), oldest first."""

    async def blockers(self, blocked_id: str, among: list[str]) -> set[str]:
        """Which of the accounts ``among`` block ``blocked_id``."""

    async def set_account_nick(self, account_id: str, nick: str | None, key: str | None) -> bool:
        """Keep ``nick`` (with its ``nick_key``) as the account's chosen nickname, or forget it
        (None); False when another account's name or chosen nickname has that key.
        ``account_by_key`` finds an account by its chosen nickname too."""

    async def account_nick(self, account_id: str) -> str | None:
        """The account's chosen nickname; None when it uses its account name."""

    async def enqueue_notification(self, notification: Notification) -> None:
        """Queue a notification durably (a restart loses none)."""

    async def claim_notifications(
        self, now_ms: int, owner: str, lease_ms: int, limit: int
    ) -> list[Notification]:
        """Take up to ``limit`` pending notifications due at ``now_ms`` (``due_ms`` and the retry
        time passed) and lease them to ``owner`` for ``lease_ms``: no other claim gets them
        until the lease ends, on any node."""

    async def finish_notification(
        self, notification_id: str, state: str, attempts: int, next_ms: int
    ) -> None:
        """Record an attempt's outcome: a final ``state``, or ``PENDING`` again to be retried
        from ``next_ms`` (the lease ends)."""

    async def notification_counts(self) -> dict[str, int]:
        """How many notifications are in each state."""
