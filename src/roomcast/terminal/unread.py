"""What each room holds unread for this person, and the read marker to send for the shown one.

Counted from live lines of rooms not on screen (a join's replayed backlog is not news), taken from
the server's ``Rooms`` (the person's counts, the same on every device), and cleared when another
tab or device of the person reads the room to its end (``Read``). The marker of the shown room
goes out only when it moved, so a busy room costs one ``Read`` per pause, not one per line."""

from __future__ import annotations

from collections import defaultdict

from roomcast.client import Message, Read, Rooms


class Unread:
    """Per room: lines by others not yet seen, how many of them name this person, and the
    marker last sent."""

    def __init__(self) -> None:
        self.lines: dict[str, int] = defaultdict(int)
        self.mentions: dict[str, int] = defaultdict(int)
        self._marked: dict[str, int] = {}

    def arrived(self, message: Message, mentioned: bool) -> None:
        """A line of a room not shown: counted, unless it is backlog a join replayed."""
        if not message.backlog:
            self.lines[message.room] += 1
            self.mentions[message.room] += mentioned

    def listed(self, rooms: Rooms, shown: str) -> None:
        """The server's counts for the person's rooms (the shown one is being read here)."""
        for state in rooms.rooms:
            if state.room != shown:
                self.lines[state.room] = state.unread
                self.mentions[state.room] = state.mentions
            self._marked[state.room] = max(self._marked.get(state.room, 0), state.read_id)

    def read_elsewhere(self, read: Read, latest: int) -> None:
        """Another connection of the person read ``read.room`` up to ``read.id``; ``latest`` is
        the newest line known here: read to there, nothing is left unread."""
        self._marked[read.room] = max(self._marked.get(read.room, 0), read.id)
        if read.id >= latest:
            self.seen(read.room)

    def seen(self, room: str) -> None:
        """``room`` is on screen: nothing in it is unread."""
        self.lines[room] = 0
        self.mentions[room] = 0

    def to_mark(self, room: str, latest: int) -> int | None:
        """The marker to send for ``room`` read up to ``latest``, or None when it would not move."""
        if latest <= self._marked.get(room, 0):
            return None
        self._marked[room] = latest
        return latest

    def label(self, room: str) -> str:
        """`` (3) @1``: the unread lines and the mentions among them, as the room list shows."""
        return (f" ({self.lines[room]})" if self.lines[room] else "") + (
            f" @{self.mentions[room]}" if self.mentions[room] else ""
        )
