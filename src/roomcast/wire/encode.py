"""Server frames out: the stored chat message and the ``encode_*`` functions, one per frame.

Each function builds its frame's structure from ``frames`` and msgspec writes it: keys in
declaration order, ``Type`` first, optional keys only when set.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any, Final

import msgspec

from roomcast.record import record
from roomcast.wire import frames
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
class ChatMessage:
    """A stored chat message: the unit of history and of fan-out."""

    room: str
    id: int
    author: str
    text: str
    wsid: str
    sent_ms: int

    def frame(self) -> frames.ChatFrame:
        second, millis = divmod(self.sent_ms, 1000)
        sent, iso_second = _second_texts(second)
        return frames.ChatFrame(
            encode_text(self.text),
            self.author,
            self.room,
            self.wsid,
            sent,
            self.id,
            iso_second + _MILLIS_SUFFIXES[millis],
        )

    def as_frame_object(self) -> dict[str, Any]:
        """The ``Chat`` frame as a JSON object (the REST API's form of a message)."""
        frame: dict[str, Any] = msgspec.to_builtins(self.frame())
        return frame


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
    ref: Ref | None = None,
) -> bytes:
    """A room's settings, and what the receiving connection may do there (``Role``)."""
    return _encode(frames.RoomFrame(room, topic, private, moderators, role, owner, ref))


def encode_deleted(room: str, message_id: int) -> bytes:
    return _encode(frames.DeletedFrame(room, message_id))


def encode_kicked(room: str, *, by: str, reason: str, banned: bool, until_ms: int | None) -> bytes:
    return _encode(frames.KickedFrame(room, by, reason, banned, _iso_time_or_none(until_ms)))


def encode_moderated(
    action: str,
    room: str,
    *,
    name: str | None = None,
    message_id: int | None = None,
    until_ms: int | None = None,
    ref: Ref | None = None,
) -> bytes:
    """Confirms a moderation command to the moderator who gave it."""
    return _encode(
        frames.ModeratedFrame(
            action,
            room,
            name,
            message_id,
            _iso_time_or_none(until_ms),
            ref,
        )
    )


def encode_userlist(room: str, names: list[str]) -> bytes:
    return _encode(frames.UserlistFrame(room, [frames.UserlistEntry(n) for n in names]))


def encode_presence(room: str, joined: list[str], left: list[str]) -> bytes:
    """The opt-in diff form of ``userlist``: who joined and who left since the last one."""
    return _encode(frames.PresenceFrame(room, joined, left))


def encode_nick(name: str, old: str, ref: Ref | None) -> bytes:
    return _encode(frames.NickFrame(name, old, ref))


def encode_joined(
    room: str, last_id: int, ref: Ref | None, *, backlog: int = 0, truncated: bool = False
) -> bytes:
    """``Backlog`` is the number of ``Chat`` frames of history that follow before live ones."""
    return _encode(frames.JoinedFrame(room, last_id, backlog, truncated, ref))


def encode_left(room: str, ref: Ref | None) -> bytes:
    return _encode(frames.LeftFrame(room, ref))


def encode_history(room: str, messages: list[ChatMessage], more: bool, ref: Ref | None) -> bytes:
    return _encode(frames.HistoryFrame(room, [m.frame() for m in messages], more, ref))


def encode_ack(message_id: int, room: str, ref: Ref) -> bytes:
    return _encode(frames.AckFrame(ref, message_id, room))


def encode_error(error: ProtocolError) -> bytes:
    retry_after = None if error.retry_after is None else round(error.retry_after, 2)
    return _encode(frames.ErrorFrame(error.code, error.message, retry_after, error.ref))


def encode_pong(ref: Ref | None, now_ms: int) -> bytes:
    return _encode(frames.PongFrame(now_ms, ref))
