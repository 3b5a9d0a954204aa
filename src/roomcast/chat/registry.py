"""The registry of this node: its connected members, its rooms with members, and who is in
which; entering and leaving a room (the broker subscription, the presence, the user lists).

It is also the view of the local rooms that moderation acts on (``moderation.ports.LocalRooms``):
their members, a member's mute, taking a member out of a room.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from roomcast.broker import Broker
from roomcast.chat.background import Background
from roomcast.chat.state import Fanout, Member, Room, Subscription
from roomcast.chat.userlists import UserLists
from roomcast.presence import Presence
from roomcast.wire.limits import DEFAULT_USERLIST_MAX


class Registry:
    """Members and rooms of this node."""

    def __init__(
        self,
        broker: Broker,
        presence: Presence,
        *,
        fanout: Callable[[], Fanout],
        userlist_interval: float,
        userlist_max: int = DEFAULT_USERLIST_MAX,
    ) -> None:
        """``fanout``: makes the fan-out of a new room; ``userlist_max``: the most names of a
        ``userlist`` frame (a bigger room's frames carry ``Count``)."""
        self._broker = broker
        self._presence = presence
        self._new_fanout = fanout
        self.background = background = Background()
        self._rooms: dict[str, Room] = {}
        # The room, when it has members on this node: the dict's own lookup, as the sequencer
        # asks it for every message delivered.
        self.room: Callable[[str], Room | None] = self._rooms.get
        self._members: dict[str, Member] = {}
        self._sessions: dict[str, Member] = {}
        self._room_closed: list[Callable[[str], None]] = []
        self._member_left: Callable[[Member, str], None] = _nobody_hears
        self.userlists = UserLists(
            userlist_interval, userlist_max, presence, broker, self._rooms.get, background
        )

    # -- members --------------------------------------------------------------------------------

    @property
    def member_count(self) -> int:
        return len(self._members)

    def members(self) -> list[Member]:
        return list(self._members.values())

    def local_member(self, wsid: str) -> Member | None:
        return self._members.get(wsid)

    def members_of(self, credential_id: str) -> list[Member]:
        """This node's connections that logged in with the session or token ``credential_id``."""
        return [m for m in self._members.values() if m.identity.credential_id == credential_id]

    def by_session(self, session: str) -> Member | None:
        return self._sessions.get(session)

    def add(self, member: Member) -> None:
        self._members[member.wsid] = member

    def own_session(self, member: Member) -> None:
        """From now on ``member`` is the connection of its session."""
        self._sessions[member.session] = member

    def drop(self, member: Member) -> None:
        """Forget a connection (its rooms are left apart)."""
        self._members.pop(member.wsid, None)
        if self._sessions.get(member.session) is member:
            del self._sessions[member.session]

    # -- rooms ----------------------------------------------------------------------------------

    def rooms(self) -> list[Room]:
        return list(self._rooms.values())

    def local_rooms(self) -> dict[str, int]:
        """Rooms with members on this node, and how many."""
        return {name: len(room.subscriptions) for name, room in self._rooms.items()}

    async def enter(self, member: Member, room_name: str, muted_until: int) -> Room:
        """Put ``member`` in the room; it replays history until its subscription's ``held``
        is released and it joins the fan-out."""
        room = self._rooms.get(room_name)
        if room is None:
            room = self._rooms[room_name] = Room(room_name, self._new_fanout())
            self._broker.subscribe(room_name)
        sub = Subscription(member, room_name, muted_until=muted_until)
        room.subscriptions[member.wsid] = sub
        room.replaying[member.wsid] = sub
        member.subscribe(sub)
        await self._presence.join(room_name, member.wsid, member.nick)
        self.userlists.members_changed(room_name)
        return room

    async def leave(self, member: Member, room_name: str) -> None:
        sub = member.unsubscribe(room_name)
        room = self._rooms.get(room_name)
        if sub is None or room is None:
            return
        room.subscriptions.pop(member.wsid, None)
        room.replaying.pop(member.wsid, None)
        room.fanout.discard(member.peer)
        self._member_left(member, room_name)
        if not room.subscriptions:
            del self._rooms[room_name]
            self._broker.unsubscribe(room_name)
            for timer in (room.gap_timer, room.userlist_timer):
                if timer is not None:
                    timer.cancel()
            for closed in self._room_closed:
                closed(room_name)
        await self._presence.leave(room_name, member.wsid)
        self.userlists.members_changed(room_name)

    def stop_timers(self) -> None:
        for room in self._rooms.values():
            if room.userlist_timer is not None:
                room.userlist_timer.cancel()

    # -- the local rooms, as moderation sees them -----------------------------------------------

    def has_room(self, room: str) -> bool:
        return room in self._rooms

    def occupants(self, room: str) -> list[Member]:
        live = self._rooms.get(room)
        return [] if live is None else [sub.member for sub in live.subscriptions.values()]

    def set_mute(self, room: str, wsid: str, until_ms: int) -> None:
        live = self._rooms.get(room)
        sub = live.subscriptions.get(wsid) if live is not None else None
        if sub is not None:
            sub.muted_until = until_ms

    async def remove(self, room: str, wsid: str) -> None:
        member = self._members.get(wsid)
        if member is not None:
            await self.leave(member, room)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self.background.spawn(coroutine)

    def on_room_closed(self, closed: Callable[[str], None]) -> None:
        """Call ``closed`` with a room's name when its last member here leaves."""
        self._room_closed.append(closed)

    def on_member_left(self, left: Callable[[Member, str], None]) -> None:
        """Call ``left`` with a member and a room's name when it leaves the room (any way)."""
        self._member_left = left


def _nobody_hears(member: Member, room: str) -> None:
    """What a member's leaving calls before someone asks with ``on_member_left``."""
