"""The events of a room's log besides chat lines: edits, deletions and reactions.

Each change to a room's content takes the room's next ID, like a chat line, so that resume,
ordering and exactly-once cover it. Every event names the message it acts on (``target``) and
knows its frame; ``LogEvent`` is anything a room's log holds, ``encode_event`` its payload.
"""

from __future__ import annotations

from typing import Final

import msgspec

from roomcast.record import record
from roomcast.wire import frames
from roomcast.wire.encode import ChatMessage, iso_time
from roomcast.wire.text import encode_text

_encode: Final = msgspec.json.Encoder().encode


@record
class EditedEvent:
    """The author replaced the text of message ``target``; ``text`` is "" once it is deleted."""

    room: str
    id: int
    target: int
    text: str
    author: str
    sent_ms: int

    def frame(self) -> frames.EditedFrame:
        return frames.EditedFrame(
            self.room,
            self.id,
            self.target,
            encode_text(self.text),
            self.author,
            iso_time(self.sent_ms),
        )


@record
class DeletedEvent:
    """Message ``target`` was deleted ``by`` its author or a moderator."""

    room: str
    id: int
    target: int
    by: str
    sent_ms: int

    def frame(self) -> frames.DeletedFrame:
        return frames.DeletedFrame(self.room, self.id, self.target, self.by)


@record
class ReactionEvent:
    """``name`` added the reaction ``emoji`` to message ``target``, or took it away."""

    room: str
    id: int
    target: int
    emoji: str
    name: str
    removed: bool
    sent_ms: int

    def frame(self) -> frames.ReactionFrame:
        return frames.ReactionFrame(
            self.room, self.id, self.target, self.emoji, self.name, self.removed
        )


ChangeEvent = EditedEvent | DeletedEvent | ReactionEvent
LogEvent = ChatMessage | ChangeEvent


def encode_event(event: LogEvent) -> bytes:
    """The frame of any event of a room's log."""
    return _encode(event.frame())
