"""What survives a reconnect: who the client is, which rooms it wants, and how far it has read
in each, so a new connection resumes exactly after the last ID seen; and the read markers set
while disconnected, which go out once it is back. A room's IDs count its
lines and the events that change them (edits, deletions, reactions) in one sequence.

Imports only ``roomcast.wire.protocol`` (for the default room).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from roomcast.wire import protocol


@dataclass(slots=True)
class ResumeState:
    """The session, the nickname, the account signed in as (None: a guest), the wanted rooms in
    joining order, per room the newest ID seen (of a line or an event) and where the backlog of
    its first join ended, and the read markers waiting for a connection."""

    session: str | None
    nick: str | None
    wanted: list[str]
    last_ids: dict[str, int] = field(default_factory=dict)
    backlog_until: dict[str, int] = field(default_factory=dict)
    account: str | None = None
    held_reads: dict[str, int] = field(default_factory=dict)

    @classmethod
    def starting(cls, session: str | None, nick: str | None, room: str | None) -> ResumeState:
        """The state before the first connection: one wanted room, nothing read yet."""
        return cls(session, nick, [room or protocol.DEFAULT_ROOM])

    def resume_point(self, room: str) -> int:
        """Where a resume of ``room`` starts: after the newest ID seen, and never before the
        end of the backlog of the first join (history not sent then is not "missed" now)."""
        return max(self.last_ids.get(room, 0), self.backlog_until.get(room, 0))

    def connect_query(self) -> tuple[dict[str, str], str, bool]:
        """The query of the next connection's URL, its room, and whether that room is still
        wanted (when the client left every room, it connects to the default one and leaves).
        A signed-in client asks for no nickname again: the account keeps its own, and this
        client's may be older than a rename made on another connection meanwhile."""
        wanted = bool(self.wanted)
        room = self.wanted[0] if wanted else protocol.DEFAULT_ROOM
        query: dict[str, str] = {"room": room}
        if self.nick and self.account is None:
            query["nick"] = self.nick
        if self.session:
            query["session"] = self.session
        if wanted and room in self.last_ids:
            query["since"] = str(self.resume_point(room))
        return query, room, wanted

    def rejoin_frames(self, room: str, wanted: bool) -> list[dict[str, Any]]:
        """The frames that bring a fresh connection (made to ``room``) into the wanted rooms: a
        ``Leave`` of an unwanted connect room, then a ``Join`` (with ``Since`` once read) of
        every other wanted room."""
        frames: list[dict[str, Any]] = []
        if not wanted:
            frames.append({"Type": "Leave", "Room": room})
        for other in self.wanted[1:]:
            frame: dict[str, Any] = {"Type": "Join", "Room": other}
            if other in self.last_ids:
                frame["Since"] = self.resume_point(other)
            frames.append(frame)
        return frames

    def hold_read(self, room: str, message_id: int) -> None:
        """A read marker set while disconnected: sent once the client is back (the newest one
        of each room; a marker never moves back)."""
        self.held_reads[room] = max(self.held_reads.get(room, 0), message_id)

    def held_read_frames(self) -> list[dict[str, Any]]:
        """The ``Read`` frames of the markers held, to send after the rejoin; forgotten here."""
        held, self.held_reads = self.held_reads, {}
        return [{"Type": "Read", "Room": room, "ID": read_id} for room, read_id in held.items()]

    def join_since(self, room: str, since: int) -> None:
        """An explicit ``join(room, since=...)``: nothing up to ``since`` is new any more."""
        self.last_ids[room] = max(self.last_ids.get(room, 0), since)

    def see(self, room: str, item_id: int) -> bool:
        """Record ID ``item_id`` (a line's or an event's) of ``room``; False when it was seen
        already (a replay overlapping what arrived before the drop), so it must not be delivered
        twice."""
        if item_id <= self.last_ids.get(room, 0):
            return False
        self.last_ids[room] = item_id
        return True

    def in_backlog(self, room: str, message_id: int) -> bool:
        """Whether message ``message_id`` is part of the history a first join of ``room``
        replayed, rather than live or missed."""
        return message_id <= self.backlog_until.get(room, 0)

    def joined(self, room: str, last_id: int) -> None:
        """The server confirmed ``room``; on a first join what comes up to ``last_id`` is the
        room's backlog."""
        if room not in self.wanted:
            self.wanted.append(room)
        if room not in self.last_ids:
            self.last_ids[room] = 0
            self.backlog_until[room] = last_id

    def left(self, room: str) -> None:
        """The server confirmed leaving ``room``: forget it and how far it was read."""
        if room in self.wanted:
            self.wanted.remove(room)
        self.last_ids.pop(room, None)
        self.backlog_until.pop(room, None)
        self.held_reads.pop(room, None)
