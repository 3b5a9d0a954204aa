"""Server frames out: the stored chat message and the ``encode_*`` functions, one per frame.

Each function builds its frame's structure from ``frames`` and msgspec writes it: keys in
declaration order, ``Type`` first, optional keys only when set.
"""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime
from typing import Final

import msgspec

from roomcast.record import record
from roomcast.wire import frames
from roomcast.wire.attachments import Attachment, entries
from roomcast.wire.errors import ProtocolError, Ref
from roomcast.wire.text import encode_text

_encode: Final = msgspec.json.Encoder().encode

# ".000Z" to ".999Z": the end of an ISO 8601 time with milliseconds.
_MILLIS_SUFFIXES: Final = tuple(f".{millis:03d}Z" for millis in range(1000))


@functools.lru_cache(maxsize=8)
def _second_texts(second: int) -> tuple[str, str]:
    """The tutorial's ``Sent`` and the ISO 8601 form (no fraction) of one UTC second.

    Messages come in bursts within the same second, so formatting once per second, not once per
    message, takes the date arithmetic off the fan-out path.
    """
    moment = datetime.fromtimestamp(second, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S"), moment.strftime("%Y-%m-%dT%H:%M:%S")


def iso_time(ms: int) -> str:
    """ISO 8601 UTC with milliseconds, the form of every ``Time`` and ``Until``."""
    second, millis = divmod(ms, 1000)
    return _second_texts(second)[1] + _MILLIS_SUFFIXES[millis]


def _iso_time_or_none(ms: int | None) -> str | None:
    return None if ms is None else iso_time(ms)


@record
class ReactionSummary:
    """One emoji on a message: who put it there, in the order they did."""

    emoji: str
    names: tuple[str, ...]


@record
class ChatMessage:
    """A stored chat line: the unit of history, and the most common event of a room's log.

    ``reply_to`` and ``thread`` are set by its author. The rest is the line's current state, as
    history pages give it: ``edited_ms`` (its last edit), ``reactions`` and ``replies`` (the live
    replies of a thread root). ``deleted`` marks a line a replay skips (its text is gone).
    ``attachments``: the files it carries.
    """

    room: str
    id: int
    author: str
    text: str
    wsid: str
    sent_ms: int
    reply_to: int | None = None
    thread: int | None = None
    edited_ms: int | None = None
    reactions: tuple[ReactionSummary, ...] = ()
    replies: int = 0
    deleted: bool = False
    mentions: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()

    def frame(self) -> frames.ChatFrame:
        second, millis = divmod(self.sent_ms, 1000)
        sent, iso_second = _second_texts(second)
        time = iso_second + _MILLIS_SUFFIXES[millis]
        if (
            self.reply_to is None
            and self.thread is None
            and self.edited_ms is None
            and not self.reactions
            and not self.replies
            and not self.mentions
            and not self.attachments
        ):
            # A plain line, the common case: no optional key to fill in.
            return frames.ChatFrame(
                encode_text(self.text), self.author, self.room, self.wsid, sent, self.id, time
            )
        return frames.ChatFrame(
            encode_text(self.text),
            self.author,
            self.room,
            self.wsid,
            sent,
            self.id,
            time,
            self.reply_to,
            self.thread,
            _iso_time_or_none(self.edited_ms),
            [frames.ReactionEntry(r.emoji, len(r.names), list(r.names)) for r in self.reactions]
            or None,
            self.replies,
            list(self.mentions) or None,
            entries(self.attachments),
        )


def encode_chat(message: ChatMessage) -> bytes:
    return _encode(message.frame())


def encode_status(
    wsid: str,
    text: str,
    *,
    nick: str,
    room: str,
    session: str,
    version: str,
    user: str | None = None,
    admin: bool = False,
) -> bytes:
    return _encode(
        frames.StatusFrame(wsid, encode_text(text), nick, room, session, version, user, admin)
    )


def encode_room(
    room: str,
    *,
    topic: str,
    private: bool,
    owner: str | None,
    moderators: list[str],
    role: str,
    members: list[str] | None = None,
    ref: Ref | None = None,
) -> bytes:
    """A room's settings, and what the receiving connection may do there (``Role``); with
    ``members``, a direct conversation's."""
    return _encode(
        frames.RoomFrame(
            room, topic, private, moderators, role, owner, members is not None, members, ref
        )
    )


def encode_typing(room: str, names: list[str]) -> bytes:
    return _encode(frames.TypingFrame(room, names))


def encode_edits(room: str, target: int, versions: list[tuple[str, int]], ref: Ref | None) -> bytes:
    """The versions of a message, ``(text, time in ms)`` each, the original first."""
    entries = [frames.VersionEntry(encode_text(text), iso_time(ms)) for text, ms in versions]
    return _encode(frames.EditsFrame(room, target, entries, ref))


def encode_kicked(room: str, *, by: str, reason: str, banned: bool, until_ms: int | None) -> bytes:
    return _encode(frames.KickedFrame(room, by, reason, banned, _iso_time_or_none(until_ms)))


def encode_moderated(
    action: str,
    room: str,
    *,
    name: str | None = None,
    until_ms: int | None = None,
    ref: Ref | None = None,
) -> bytes:
    """Confirms a moderation command to the moderator who gave it."""
    return _encode(frames.ModeratedFrame(action, room, name, _iso_time_or_none(until_ms), ref))


def encode_userlist(room: str, names: list[str], count: int | None = None) -> bytes:
    """The room's members ``names``; ``count``: how many in all, when ``names`` are the first."""
    return _encode(frames.UserlistFrame(room, [frames.UserlistEntry(n) for n in names], count))


def encode_presence(room: str, joined: list[str], left: list[str]) -> bytes:
    """The opt-in diff form of ``userlist``: who joined and who left since the last one."""
    return _encode(frames.PresenceFrame(room, joined, left))


def encode_nick(name: str, old: str, ref: Ref | None) -> bytes:
    return _encode(frames.NickFrame(name, old, ref))


def encode_joined(
    room: str,
    last_id: int,
    ref: Ref | None,
    *,
    backlog: int = 0,
    truncated: bool = False,
    read_id: int = 0,
) -> bytes:
    """``Backlog`` is the number of frames of history that follow before live ones."""
    return _encode(frames.JoinedFrame(room, last_id, backlog, truncated, read_id, ref))


def encode_rooms(rooms: list[frames.PersonRoomEntry]) -> bytes:
    return _encode(frames.RoomsFrame(rooms))


def encode_read(room: str, message_id: int) -> bytes:
    return _encode(frames.ReadFrame(room, message_id))


def encode_notify(kind: str, message: ChatMessage) -> bytes:
    """A line that mentions the receiver (``mention``) or is direct to it (``direct``)."""
    return _encode(
        frames.NotifyFrame(
            kind, message.room, message.id, message.author, encode_text(message.text)
        )
    )


def encode_blocks(names: list[str], ref: Ref | None) -> bytes:
    return _encode(frames.BlocksFrame(names, ref))


def encode_left(room: str, ref: Ref | None) -> bytes:
    return _encode(frames.LeftFrame(room, ref))


def encode_history(
    room: str,
    messages: list[ChatMessage],
    more: bool,
    ref: Ref | None,
    *,
    thread: int | None = None,
    newer: bool = False,
) -> bytes:
    """A page of ``messages`` (of the thread with root ``thread``, when given); ``newer``: lines
    after the page exist (a page around or after an ID)."""
    frame = frames.HistoryFrame(room, [m.frame() for m in messages], more, thread, newer, ref)
    return _encode(frame)


def encode_ack(message_id: int, room: str, ref: Ref, *, unchanged: bool = False) -> bytes:
    """``unchanged``: the command asked for the state the message already had; ``message_id``
    is then the message's own ID, no event was added."""
    return _encode(frames.AckFrame(ref, message_id, room, unchanged))


def encode_error(error: ProtocolError) -> bytes:
    # Rounded up to the hundredth: a client that waits exactly RetryAfter is never early.
    retry_after = (
        None if error.retry_after is None else math.ceil(error.retry_after * 100 - 1e-9) / 100
    )
    return _encode(frames.ErrorFrame(error.code, error.message, retry_after, error.ref))


def encode_pong(ref: Ref | None, now_ms: int) -> bytes:
    return _encode(frames.PongFrame(now_ms, ref))
