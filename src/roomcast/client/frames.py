"""Reading server frames into the client's typed values: a ``Chat`` frame (or a history entry)
into a ``Message``, the room's content events, ``Typing``, ``Joined``, ``Room``, the person's
``Rooms`` and ``Notify``, and the answers to ``History``, ``Edits`` and ``Search``. Text that is
not base64 reads as empty, bytes that are not UTF-8 as U+FFFD.

Imports only ``roomcast.client.events``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from roomcast.client.events import (
    Attachment,
    Deleted,
    Edited,
    EditHistory,
    HistoryPage,
    Joined,
    LogEvent,
    Message,
    Notify,
    Reaction,
    ReactionSummary,
    RoomInfo,
    Rooms,
    RoomState,
    Typing,
    Version,
)


def _text(b64: str) -> str:
    try:
        return base64.b64decode(b64).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""


def _time(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def message_from_frame(frame: dict[str, Any], *, backlog: bool = False) -> Message:
    """The ``Message`` a ``Chat`` frame (or an entry of a ``History`` answer) carries."""
    edited = frame.get("Edited")
    return Message(
        room=frame["Room"],
        id=frame["ID"],
        author=frame["Author"],
        text=_text(frame["Message"]),
        wsid=frame["WSID"],
        time=_time(frame["Time"]),
        backlog=backlog,
        reply_to=frame.get("ReplyTo"),
        thread=frame.get("Thread"),
        edited=_time(edited) if edited else None,
        reactions=tuple(
            ReactionSummary(r["Emoji"], r["Count"], tuple(r["Names"]))
            for r in frame.get("Reactions") or ()
        ),
        replies=frame.get("Replies") or 0,
        mentions=tuple(frame.get("Mentions") or ()),
        attachments=tuple(_attachment(a) for a in frame.get("Attachments") or ()),
    )


def _attachment(entry: dict[str, Any]) -> Attachment:
    return Attachment(
        entry["ID"], entry["Name"], entry["Size"], entry["Type"], entry["URL"],
        entry.get("Width"), entry.get("Height"), entry.get("Thumb"),
    )  # fmt: skip


def log_event_from_frame(frame: dict[str, Any]) -> LogEvent:
    """The event an ``Edited``, ``Deleted`` or ``Reaction`` frame carries."""
    room, event_id, target = frame["Room"], frame["ID"], frame["Target"]
    match frame["Type"]:
        case "Edited":
            text, time = _text(frame["Message"]), _time(frame["Time"])
            return Edited(room, event_id, target, text, frame["Author"], time)
        case "Deleted":
            return Deleted(room, event_id, target, frame["By"])
        case "Reaction":
            emoji, name, removed = frame["Emoji"], frame["Name"], bool(frame["Removed"])
            return Reaction(room, event_id, target, emoji, name, removed)
        case other:
            raise ValueError(f"not a content event: {other!r}")


def typing_from_frame(frame: dict[str, Any]) -> Typing:
    return Typing(frame["Room"], tuple(frame["Names"]))


def joined_from_frame(frame: dict[str, Any]) -> Joined:
    truncated, read_id = bool(frame.get("Truncated")), frame.get("ReadID") or 0
    return Joined(frame["Room"], frame["LastID"], truncated, read_id)


def room_info_from_frame(frame: dict[str, Any]) -> RoomInfo:
    """A ``Room`` frame: the room's topic, moderators and this client's role there."""
    return RoomInfo(
        frame["Room"],
        frame.get("Topic", ""),
        frame.get("Role", "none"),
        tuple(frame.get("Moderators", ())),
        bool(frame.get("Private")),
        tuple(frame.get("Members", ())),
    )


def found_from_frame(frame: dict[str, Any]) -> list[Message]:
    """The lines a ``Results`` frame found, best first."""
    return [message_from_frame(m) for m in frame["Messages"]]


def rooms_from_frame(frame: dict[str, Any]) -> Rooms:
    """The person's rooms a ``Rooms`` frame lists, in its order."""
    return Rooms(
        tuple(
            RoomState(
                r["Room"],
                r["LastID"],
                r["ReadID"],
                r["Unread"],
                r["Mentions"],
                bool(r["Direct"]),
                tuple(r.get("Members", ())),
            )
            for r in frame["Rooms"]
        )
    )


def notify_from_frame(frame: dict[str, Any]) -> Notify:
    room, message_id, text = frame["Room"], frame["ID"], _text(frame["Message"])
    return Notify(frame["Kind"], room, message_id, frame["Author"], text)


def page_from_frame(frame: dict[str, Any]) -> HistoryPage:
    """The page a ``History`` answer carries (of a thread when it echoes ``Thread``)."""
    messages = [message_from_frame(m) for m in frame["Messages"]]
    return HistoryPage(frame["Room"], messages, bool(frame["More"]), frame.get("Thread"))


def edit_history_from_frame(frame: dict[str, Any]) -> EditHistory:
    """The versions an ``Edits`` answer carries, the original first."""
    versions = tuple(Version(_text(v["Message"]), _time(v["Time"])) for v in frame["Versions"])
    return EditHistory(frame["Room"], frame["Target"], versions)
