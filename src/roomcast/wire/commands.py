"""The commands a client frame becomes once parsed: plain values the chat domain acts on."""

from __future__ import annotations

from roomcast.record import record
from roomcast.wire.errors import Ref


@record
class SendChat:
    """A chat line. ``author`` is the tutorial's way of naming oneself; ``room`` may be absent."""

    text: str
    author: str | None = None
    room: str | None = None
    ref: Ref | None = None


@record
class SetNick:
    name: str
    ref: Ref | None = None


@record
class JoinRoom:
    """Join ``room``; with ``since``, replay exactly the messages after that ID first."""

    room: str
    since: int | None = None
    ref: Ref | None = None


@record
class LeaveRoom:
    room: str
    ref: Ref | None = None


@record
class FetchHistory:
    """A page of at most ``limit`` messages older than ``before`` (newest page when None)."""

    room: str | None
    before: int | None
    limit: int
    ref: Ref | None = None


@record
class Ping:
    """The client's application-level ping (the WebSocket control frame is ``PingFrame``)."""

    ref: Ref | None = None


@record
class CreateRoom:
    """Create ``room`` owned by the sender's account: public, or private (invite-only)."""

    room: str
    private: bool = False
    topic: str = ""
    ref: Ref | None = None


@record
class SetTopic:
    room: str
    topic: str
    ref: Ref | None = None


@record
class SetRole:
    """Make the account ``name`` a moderator or an invited member of ``room``, or neither."""

    room: str
    name: str
    role: str
    ref: Ref | None = None


@record
class Moderate:
    """Kick, ban, unban, mute or unmute ``name`` in ``room``; ``duration`` in seconds."""

    action: str
    room: str
    name: str
    duration: int | None = None
    reason: str = ""
    ref: Ref | None = None


@record
class DeleteMessage:
    """Delete message ``id`` of ``room`` for everyone, history included."""

    room: str
    id: int
    ref: Ref | None = None


Command = (
    SendChat
    | SetNick
    | JoinRoom
    | LeaveRoom
    | FetchHistory
    | Ping
    | CreateRoom
    | SetTopic
    | SetRole
    | Moderate
    | DeleteMessage
)
