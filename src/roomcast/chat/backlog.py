"""A join's backlog: what a member gets before live frames. Without ``Since``, the room's newest
lines in their current state (every event up to the room's last ID is folded into them); with
it, exactly the events of the log after it, a deleted line left out (its ``Deleted`` comes)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from roomcast.store import HistoryReads
from roomcast.wire import protocol
from roomcast.wire.protocol import ChatMessage, LogEvent


@dataclass(frozen=True, slots=True)
class Backlog:
    last_id: int
    since: int | None
    events: list[LogEvent]

    @property
    def newest(self) -> int:
        """The highest ID the backlog covers."""
        return max(self.last_id, self.events[-1].id if self.events else 0)

    @property
    def truncated(self) -> bool:
        """A replay that stopped at the server's resume limit."""
        return self.since is not None and bool(self.events) and self.events[-1].id < self.last_id

    @property
    def resume_point(self) -> int:
        """The member has seen everything up to this ID once the backlog is sent."""
        replayed_to = self.events[-1].id if self.events else 0
        return max(self.last_id if self.since is None else self.since, replayed_to)

    def frames(self) -> list[bytes]:
        return [
            protocol.encode_event(self._replayed(event))
            for event in self.events
            if not (isinstance(event, ChatMessage) and event.deleted)
        ]

    def _replayed(self, event: LogEvent) -> LogEvent:
        """A replay's line as it was sent (ReplyTo, Thread): its edits follow as their events."""
        if self.since is None or not isinstance(event, ChatMessage) or event.edited_ms is None:
            return event
        return replace(event, edited_ms=None)


async def read_backlog(
    store: HistoryReads, room: str, since: int | None, *, page: int, resume_limit: int
) -> Backlog:
    """The backlog of ``room``: the newest ``page`` lines, or at most ``resume_limit`` events
    after ``since`` (clamped to the room's last ID)."""
    last_id = await store.last_id(room)
    if since is None:
        return Backlog(last_id, None, list(await store.page(room, None, page)))
    since = min(since, last_id)
    # A room's IDs are dense: at most ``last_id - since`` events follow ``since`` (those stored
    # since ``last_id`` was read come live), so a client that missed three lines costs a read
    # of three (on SQLite, inline rather than on the reader thread), and one that missed none
    # costs no read at all.
    gap = min(resume_limit, last_id - since)
    return Backlog(last_id, since, await store.after(room, since, gap) if gap > 0 else [])
