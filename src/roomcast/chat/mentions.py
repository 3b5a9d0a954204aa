"""Mentions: ``@name`` in a line that names an account or a member of the room, and what reaches
the people named (and the other members of a direct conversation): a ``Notify`` on each of their
connections, a mention counted against their read marker, and, for an account with the webhook
on, a notification queued for when it is still unread after ``notify_delay``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Protocol

import orjson

from roomcast.chat.notifications import DIRECT, MENTION, notification_for
from roomcast.chat.people import People
from roomcast.chat.state import Member
from roomcast.presence import Presence
from roomcast.store import Account
from roomcast.store.people import Notification, PeopleStore
from roomcast.wire import protocol
from roomcast.wire.protocol import ChatMessage

# "@name" not inside a word (an e-mail address is no mention), up to the next space or "@".
_MENTION: Final = re.compile(r"(?<![\w@])@([^\s@]{1,40})")
_TRAILING: Final = ".,;:!?)]}'\"”’»…"
# The most names one line may mention.
MAX_MENTIONS: Final = 20
GUEST_NOTIFY_PREFIX: Final = b'{"op":"notify-guest"'


class MentionStore(PeopleStore, Protocol):
    async def account_by_key(self, key: str) -> Account | None: ...


class RoomMembers(Protocol):
    """This node's members of a room."""

    def occupants(self, room: str) -> list[Member]: ...

    def local_member(self, wsid: str) -> Member | None: ...


class ControlBus(Protocol):
    def publish_control(self, room: str, payload: bytes) -> None: ...


class Readers(Protocol):
    """Moderation's answer to who may read a room (a private room: its members only)."""

    async def readers(self, room: str, accounts: dict[str, str]) -> set[str]: ...


@dataclass(frozen=True, slots=True)
class Mentioned:
    """A person a line names: by its nickname as spelled now; ``person`` when known (an account,
    or a guest on this node), else the connection of a guest on another node (``wsid``)."""

    name: str
    person: str | None
    account_id: str | None = None
    account: str | None = None
    wsid: str | None = None


def mention_words(text: str, names: Iterable[str] = ()) -> list[str]:
    """The distinct ``@name`` words of ``text``, in order, without trailing punctuation.

    A word ends at a space, but ``names`` (the room's members) with spaces in them are
    recognised whole, the longest first: "@Mary Ann" names "Mary Ann" when she is in the room.
    """
    spaced = sorted((n for n in names if " " in n), key=len, reverse=True)
    seen: dict[str, str] = {}
    for match in _MENTION.finditer(text):
        start = match.start(1)
        word = next(
            (
                text[start : start + len(name)]
                for name in spaced
                if protocol.nick_key(text[start : start + len(name)]) == protocol.nick_key(name)
                and not text[start + len(name) : start + len(name) + 1].isalnum()
            ),
            match.group(1).rstrip(_TRAILING),
        )
        key = protocol.nick_key(word) if word else ""
        if key and key not in seen:
            seen[key] = word
    return list(seen.values())[:MAX_MENTIONS]


class Mentions:
    """Finds whom a line names and tells them."""

    def __init__(
        self,
        store: MentionStore,
        presence: Presence,
        rooms: RoomMembers,
        people: People,
        bus: ControlBus,
        readers: Readers,
        *,
        notify_delay_ms: int | None,
    ) -> None:
        """``notify_delay_ms``: how long a mention may stay unread before the webhook is told;
        None when no webhook is set."""
        self._store = store
        self._presence = presence
        self._rooms = rooms
        self._people = people
        self._bus = bus
        self._readers = readers
        self._notify_delay_ms = notify_delay_ms
        people.on("notify", self._on_notify)

    async def resolve(self, room: str, text: str) -> list[Mentioned]:
        """The people ``text``'s ``@name`` words name: accounts, then members of ``room``."""
        if "@" not in text:
            return []
        members = await self._presence.members(room)
        found: list[Mentioned] = []
        for word in mention_words(text, members):
            key = protocol.nick_key(word)
            account = await self._store.account_by_key(key)
            if account is not None:
                nick = await self._store.account_nick(account.id) or account.name
                found.append(Mentioned(nick, f"a:{account.id}", account.id, account.name))
                continue
            local = [m for m in self._rooms.occupants(room) if protocol.nick_key(m.nick) == key]
            if local:
                found.append(Mentioned(local[0].nick, local[0].owner))
                continue
            named = [n for n in members if protocol.nick_key(n) == key]
            holder = await self._presence.nick_owner(key) if named else None
            if holder is not None:
                found.append(Mentioned(named[0], None, wsid=holder))
        return found

    async def tell(
        self,
        author: Member,
        message: ChatMessage,
        mentioned: list[Mentioned],
        direct: dict[str, str] | None,
    ) -> None:
        """Tell the people ``message`` mentions, and the other members of its direct
        conversation (``direct``: account ID -> name), unless they block its author."""
        targets: dict[str, tuple[str, Mentioned]] = {}
        for who in mentioned:
            key = who.person or who.wsid or ""
            if who.person != author.owner:
                targets.setdefault(key, (MENTION, who))
        if direct is not None:
            for account_id, name in direct.items():
                person = f"a:{account_id}"
                if person != author.owner:
                    targets[person] = (DIRECT, Mentioned(name, person, account_id, name))
        if not targets:
            return
        accounts = {
            w.account_id: w.account or w.name
            for _, w in targets.values()
            if w.account_id is not None
        }
        # Only those who may read the room (a private room's members), and not who blocks the
        # author.
        allowed = await self._readers.readers(message.room, accounts)
        author_account = author.identity.account_id
        if author_account is not None:
            allowed -= await self._store.blockers(author_account, list(allowed))
        told = [
            (kind, who)
            for kind, who in targets.values()
            if who.account_id is None or who.account_id in allowed
        ]
        persons = [who.person for _, who in told if who.person is not None]
        if persons:
            await self._store.add_mentions(message.room, message.id, persons)
        for kind, who in told:
            if kind == DIRECT and who.person is not None:
                # A member who left the conversation gets it back in its rooms with the line.
                await self._store.add_person_room(who.person, message.room)
        for kind, who in told:
            frame = protocol.encode_notify(kind, message).decode()
            if who.person is not None:
                self._people.publish(who.person, {"op": "notify", "frame": frame})
            elif who.wsid is not None:
                payload = orjson.dumps({"op": "notify-guest", "wsid": who.wsid, "frame": frame})
                self._bus.publish_control(message.room, payload)
            if self._notify_delay_ms is not None and who.account_id is not None:
                await self._store.enqueue_notification(self._notification(who, message, kind))

    def _notification(self, who: Mentioned, message: ChatMessage, kind: str) -> Notification:
        """The webhook's notification of ``message`` for ``who``, due ``notify_delay`` after it
        was sent."""
        assert who.account_id is not None
        assert self._notify_delay_ms is not None
        account = who.account or who.name
        return notification_for(
            who.account_id, account, message, kind, self._notify_delay_ms, message.sent_ms
        )

    def _on_notify(self, members: list[Member], fields: dict[str, Any]) -> None:
        payload = str(fields["frame"]).encode()
        for member in members:
            member.send(payload)

    def control_guest(self, payload: bytes) -> None:
        """A ``Notify`` for a guest's connection, if it is on this node."""
        try:
            fields = orjson.loads(payload)
            member = self._rooms.local_member(str(fields["wsid"]))
            if member is not None:
                member.send(str(fields["frame"]).encode())
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return
