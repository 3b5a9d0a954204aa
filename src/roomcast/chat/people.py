"""People: what belongs to a person (a signed-in account, or a guest's session) rather than to one
of its connections: its rooms and read markers, and the events meant for all its connections.

Each node subscribes to a person's own channel (``~p:<person>`` on the broker's control channel)
while it holds a connection of that person, so an event for the person (a read marker moved, a
mention, a rename, its rooms changed) reaches every tab and device on every node. The store keeps
the person's rooms, so a reload, a new tab or another device gets them back (``Rooms``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import orjson

from roomcast.auth import Identity
from roomcast.broker import Broker
from roomcast.chat.state import PERSON_PREFIX, Member
from roomcast.store.people import PeopleStore, PersonRoom
from roomcast.wire import frames, protocol
from roomcast.wire.protocol import ErrorCode, ProtocolError, Ref

log = logging.getLogger(__name__)


def person_channel(person: str) -> str:
    return PERSON_PREFIX + person


# What a person event does with the person's connections on this node (a coroutine it gives
# runs in the background).
PersonEvents = Callable[[list[Member], dict[str, Any]], Coroutine[Any, Any, None] | None]


class People:
    """The persons with connections on this node, their rooms and their read markers."""

    def __init__(
        self,
        store: PeopleStore,
        broker: Broker,
        spawn: Callable[[Coroutine[Any, Any, None]], None],
        readable: Callable[[Identity, list[str]], Awaitable[set[str]]],
    ) -> None:
        """``readable``: which of some rooms an identity may read (moderation's rules)."""
        self._store = store
        self._broker = broker
        self._spawn = spawn
        self._readable = readable
        # A person's connections here, by its channel (the members' own string): the member
        # itself while it is the person's only one (as most are), else a tuple remade on each
        # arrival and departure (a person has few connections). A dict per person took 184
        # bytes per connection (docs/decisions.md).
        self._here: dict[str, Member | tuple[Member, ...]] = {}
        # Connections of guests with a session made for them, until their first join: nothing
        # of their person is stored yet.
        self._new: set[str] = set()
        self._handlers: dict[str, PersonEvents] = {"read": self._on_read, "close": self._on_close}

    def on(self, op: str, handler: PersonEvents) -> None:
        """Carry out person events ``op`` with ``handler`` (another module's)."""
        self._handlers[op] = handler

    # -- connections ----------------------------------------------------------------------------

    def connections(self, person: str) -> list[Member]:
        """This node's connections of ``person``."""
        return self._members_of(person_channel(person))

    def _members_of(self, channel: str) -> list[Member]:
        here = self._here.get(channel)
        if here is None:
            return []
        return [here] if isinstance(here, Member) else list(here)

    async def arrived(self, member: Member, returning: bool) -> None:
        """A new connection: listen to its person's events; tell it its rooms when the person is
        signed in or ``returning`` (a guest that presented its session)."""
        channel = member.person_channel
        here = self._here.get(channel)
        if here is None:
            self._here[channel] = member
            self._broker.subscribe(channel)
        else:
            others = (here,) if isinstance(here, Member) else here
            if all(m is not member for m in others):
                self._here[channel] = (*others, member)
        if member.identity.account_id is not None or returning:
            member.send(await self.rooms_payload(member.identity, member.owner))
        else:
            self._new.add(member.wsid)

    def gone(self, member: Member) -> None:
        """A connection closed."""
        self._new.discard(member.wsid)
        channel = member.person_channel
        members = self._members_of(channel)
        if all(m is not member for m in members):
            return
        rest = [m for m in members if m is not member]
        if not rest:
            del self._here[channel]
            self._broker.unsubscribe(channel)
        else:
            self._here[channel] = rest[0] if len(rest) == 1 else tuple(rest)

    async def rooms_of(self, identity: Identity, person: str) -> list[PersonRoom]:
        """The person's rooms that ``identity`` may still read (not a private room it was
        taken out of)."""
        rooms = await self._store.person_rooms(person)
        readable = await self._readable(identity, [r.room for r in rooms])
        return [r for r in rooms if r.room in readable]

    async def rooms_payload(self, identity: Identity, person: str) -> bytes:
        """The ``Rooms`` frame: a direct conversation's entry names its members."""
        entries = []
        for r in await self.rooms_of(identity, person):
            members = await self._store.direct_members(r.room) if r.direct else None
            listed = None if members is None else sorted(members.values(), key=str.casefold)
            entries.append(
                frames.PersonRoomEntry(
                    r.room, r.last_id, r.read_id, r.unread, r.mentions, r.direct, listed
                )
            )
        return protocol.encode_rooms(entries)

    # -- rooms and read markers -----------------------------------------------------------------

    async def joined(self, member: Member, room: str) -> int:
        """``member`` joined ``room``: it is one of the person's rooms; its read marker."""
        if member.wsid in self._new:  # no marker yet, and the store need not be waited for
            self._new.discard(member.wsid)
            await self._store.add_first_person_room(member.owner, room)
            return 0
        return await self._store.add_person_room(member.owner, room)

    async def left(self, member: Member, room: str) -> None:
        """``member`` left ``room`` by a ``Leave``: the person's rooms no longer hold it."""
        await self._store.remove_person_room(member.owner, room)

    async def read(self, member: Member, room: str, message_id: int, ref: Ref | None) -> None:
        if member.subscription(room) is None:
            raise ProtocolError(ErrorCode.NOT_IN_ROOM, f"not in room {room!r}", ref)
        marker = await self._store.set_read(member.owner, room, message_id)
        self.publish(member.owner, {"op": "read", "room": room, "id": marker, "from": member.wsid})

    def _on_read(self, members: list[Member], fields: dict[str, Any]) -> None:
        payload = protocol.encode_read(str(fields["room"]), int(fields["id"]))
        for member in members:
            if member.wsid != fields.get("from"):
                member.send(payload)

    def sign_out(self, person: str, reason: str) -> None:
        """Close every connection of ``person`` on every node (``CLOSE_SIGNED_OUT``, ``reason``)."""
        self.publish(person, {"op": "close", "reason": reason})

    def _on_close(self, members: list[Member], fields: dict[str, Any]) -> None:
        for member in members:
            member.peer.close(protocol.CLOSE_SIGNED_OUT, str(fields["reason"]))

    # -- person events --------------------------------------------------------------------------

    def publish(self, person: str, fields: dict[str, Any]) -> None:
        """Send an event to every connection of ``person``, on every node."""
        self._broker.publish_control(person_channel(person), orjson.dumps(fields))

    def control(self, channel: str, payload: bytes) -> None:
        """A person event from the broker (``channel`` is the person's)."""
        members = self._members_of(channel)
        if not members:
            return
        try:
            fields = orjson.loads(payload)
            handler = self._handlers[fields["op"]]
            pending = handler(members, fields)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            log.warning("person event ignored: %s", exc)
            return
        if pending is not None:
            self._spawn(pending)


def is_person_channel(room: str) -> bool:
    return room.startswith(PERSON_PREFIX)
