"""User lists: who is in each room, sent to its members here, coalesced per room.

A member gets the full ``userlist`` frame, or (when it asked for diffs) one full list and then
``Presence`` frames with who joined and who left; a person is listed once however many of its
connections are in the room, and a change that leaves the names as they were (another tab of
someone listed) sends nothing to those who have the list. Every change of a room's members,
here or on another node, schedules one flush; the flush reads the current state from the
presence, so the last update always tells the truth.

A room of more than ``userlist_max`` members is big: its ``userlist`` frames carry the first
``userlist_max`` names and ``Count``, so a join costs every member of the diff form one name
and every member of the full form at most ``userlist_max`` names, whatever the room's size.
``Members`` pages the rest from the list the latest flush read and sent (``Room.names``), so
its pages agree with the last ``userlist`` or ``Presence`` the member got and the ``Presence``
frames after them; a member that has had no list of the room yet is answered from the presence.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import Callable
from typing import Protocol

from roomcast.chat.background import Background
from roomcast.chat.room_names import room_of
from roomcast.chat.state import Member, Room
from roomcast.presence import Presence
from roomcast.wire import protocol
from roomcast.wire.member_frames import ListMembers, encode_members

log = logging.getLogger(__name__)

BUSY_SECONDS = 1.0
"""A room whose members changed within this long of its last user-list update is busy: its
next update waits up to twice as long as the last one, and never longer than this."""


class Announcer(Protocol):
    """The broker's signal that a room's members changed."""

    def announce(self, room: str) -> None: ...


class UserLists:
    """Keeps the user lists of this node's rooms up to date."""

    def __init__(
        self,
        interval: float,
        most: int,
        presence: Presence,
        broker: Announcer,
        rooms: Callable[[str], Room | None],
        background: Background,
    ) -> None:
        """``interval``: the shortest time between two updates of a room's list (seconds);
        ``most``: the most names a ``userlist`` frame holds (``userlist_max``)."""
        self._interval = interval
        self._most = most
        self._presence = presence
        self._broker = broker
        self._room = rooms
        self._background = background

    def members_changed(self, room_name: str) -> None:
        """This node changed the room's members: refresh its user lists here and elsewhere."""
        self._broker.announce(room_name)
        self.changed(room_name)

    def changed(self, room_name: str) -> None:
        """Coalesce user-list updates per room.

        At most one update per ``interval``, stretched in proportion for rooms of more than 100
        local members (capped at 2 s), so a join storm costs O(n) frames, not O(n^2). While the
        room's members keep changing (a change within ``BUSY_SECONDS`` of the last update), each
        update waits twice as long as the one before, up to ``BUSY_SECONDS``: a room that ten
        people join one after another sends its members a few lists, not ten.
        """
        room = self._room(room_name)
        if room is None or room.userlist_timer is not None or self._background.closing:
            return
        interval = self._interval
        delay = min(interval * max(1.0, len(room.subscriptions) / 100), max(interval, 2.0))
        loop = asyncio.get_running_loop()
        if delay > 0 and loop.time() - room.userlist_sent_at < BUSY_SECONDS:
            delay = max(delay, min(2 * room.userlist_delay, BUSY_SECONDS))
        room.userlist_delay = delay
        room.userlist_timer = loop.call_later(
            delay, lambda: self._background.spawn(self._flush(room))
        )

    async def _flush(self, room: Room) -> None:
        room.userlist_timer = None
        room.userlist_sent_at = asyncio.get_running_loop().time()
        if self._room(room.name) is not room:
            return
        try:
            names = await self._members(room.name)
        except Exception:
            log.exception("user list of %s could not be read", room.name)
            self.changed(room.name)
            return
        previous, room.names = room.names, names
        unchanged = names == previous
        full: bytes | None = None
        diff: bytes | None = None
        for sub in room.subscriptions.values():
            if sub.member.userlist_diffs and sub.has_userlist:
                if diff is None:
                    old, new = set(previous), set(names)
                    joined = [n for n in names if n not in old]
                    left = [n for n in previous if n not in new]
                    diff = (
                        protocol.encode_presence(room.name, joined, left) if joined or left else b""
                    )
                if diff:
                    sub.member.send(diff)
            elif not (unchanged and sub.has_userlist):  # another tab of someone listed already
                if full is None:
                    full = self._full_frame(room.name, names)
                sub.member.send(full)
                sub.has_userlist = True

    def _full_frame(self, room: str, names: list[str]) -> bytes:
        """The ``userlist`` of ``names``: all of them, or in a big room the first and Count."""
        if len(names) <= self._most:
            return protocol.encode_userlist(room, names)
        return protocol.encode_userlist(room, names[: self._most], len(names))

    async def _members(self, room_name: str) -> list[str]:
        # A person with several connections in the room is listed once.
        return list(dict.fromkeys(await self._presence.members(room_name)))

    async def page(self, member: Member, command: ListMembers) -> None:
        """Answer ``Members``: the names of a room ``member`` is in, after ``command.after``."""
        room_name = room_of(member, command.room, command.ref)
        room = self._room(room_name)
        if room is not None and member.place(room_name).has_userlist:
            names = room.names
        else:
            names = await self._members(room_name)
        start = 0
        if command.after is not None:
            # The presence sorts by str.casefold, and two members' names never fold alike.
            start = bisect.bisect_right(names, command.after.casefold(), key=str.casefold)
        end = start + command.limit
        member.send(
            encode_members(
                room_name,
                names[start:end],
                len(names),
                end < len(names),
                command.after,
                command.ref,
            )
        )
