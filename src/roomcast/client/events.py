"""The client's typed values: the events a ``ChatClient`` yields, the history page, the errors
its calls raise, and reading a ``Chat`` frame into a ``Message``.

Imports only ``roomcast.record``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from roomcast.record import record


@record
class Connected:
    """A connection is up (first or after a reconnect): the server's ``Status`` frame."""

    wsid: str
    nick: str
    room: str
    session: str
    version: str
    resumed: bool


@record
class Message:
    """A chat message. ``backlog`` marks history replayed on a first join (not live, not missed)."""

    room: str
    id: int
    author: str
    text: str
    wsid: str
    time: datetime
    backlog: bool = False


@record
class Users:
    """The members of a room now."""

    room: str
    names: tuple[str, ...]


@record
class Joined:
    """This client is in ``room``; ``truncated`` when a resume replay hit the server's limit."""

    room: str
    last_id: int
    truncated: bool = False


@record
class Left:
    room: str


@record
class NickChanged:
    name: str
    old: str


@record
class ServerError:
    """An ``Error`` frame that answers no pending call (e.g. a refused nickname at connect)."""

    code: str
    message: str
    ref: str | int | None = None


@record
class Disconnected:
    """The connection dropped; ``reconnecting`` says whether the client is trying again."""

    code: int | None
    reason: str
    reconnecting: bool


Event = Connected | Message | Users | Joined | Left | NickChanged | ServerError | Disconnected


@record
class HistoryPage:
    """A page of older messages, oldest first; ``more`` when still older ones exist."""

    room: str
    messages: list[Message]
    more: bool

    @property
    def next_before(self) -> int | None:
        """The ``before`` of the next (older) page, or None on the last page."""
        return self.messages[0].id if self.more and self.messages else None


class ChatError(Exception):
    """The server refused a request with an ``Error`` frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ClientClosed(Exception):
    """The client is closed (or lost its connection for good): the call cannot complete."""


def _decode(b64: str) -> str:
    try:
        return base64.b64decode(b64).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""


def message_from_frame(frame: dict[str, Any], *, backlog: bool = False) -> Message:
    """The ``Message`` a ``Chat`` frame (or an entry of a ``History`` answer) carries; text that
    is not base64 reads as empty, bytes that are not UTF-8 as U+FFFD."""
    return Message(
        room=frame["Room"],
        id=frame["ID"],
        author=frame["Author"],
        text=_decode(frame["Message"]),
        wsid=frame["WSID"],
        time=datetime.fromisoformat(frame["Time"].replace("Z", "+00:00")),
        backlog=backlog,
    )
