"""The commands a client frame becomes once parsed: plain values the chat domain acts on."""

from __future__ import annotations

from roomcast.record import record
from roomcast.wire.errors import Ref
from roomcast.wire.member_frames import ListMembers
from roomcast.wire.search_frames import SearchMessages


@record
class SendChat:
    """A chat line. ``author`` is the tutorial's way of naming oneself; ``room`` may be absent.

    ``reply_to``: the message it answers; ``thread``: the root of the thread it is in;
    ``attachments``: the ids of the uploads it carries (its text may then be "").
    """

    text: str
    author: str | None = None
    room: str | None = None
    ref: Ref | None = None
    reply_to: int | None = None
    thread: int | None = None
    attachments: tuple[str, ...] = ()


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
    """A page of at most ``limit`` messages older than ``before`` (newest page when None);
    with ``thread``, of that thread's root and replies only; with ``around``, the lines around
    that ID; with ``after``, the oldest lines after it."""

    room: str | None
    before: int | None
    limit: int
    ref: Ref | None = None
    thread: int | None = None
    around: int | None = None
    after: int | None = None


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
class EditMessage:
    """Replace the text of one's own message ``target`` of ``room``."""

    room: str
    target: int
    text: str
    ref: Ref | None = None


@record
class DeleteMessage:
    """Delete message ``target`` of ``room`` for everyone, history included."""

    room: str
    target: int
    ref: Ref | None = None


@record
class React:
    """Add the reaction ``emoji`` to message ``target``, or take one's own away (``remove``)."""

    room: str
    target: int
    emoji: str
    remove: bool = False
    ref: Ref | None = None


@record
class Typing:
    """The sender is typing in ``room``, or stopped (``stop``). Never stored."""

    room: str
    stop: bool = False
    ref: Ref | None = None


@record
class FetchEdits:
    """Every version of message ``target``'s text."""

    room: str
    target: int
    ref: Ref | None = None


@record
class MarkRead:
    """The sender read ``room`` up to message ``id``."""

    room: str
    id: int
    ref: Ref | None = None


@record
class StartDirect:
    """Open the direct conversation with the accounts ``names``."""

    names: tuple[str, ...]
    ref: Ref | None = None


@record
class SetBlock:
    """Block the account ``name`` (``block``), or lift the block."""

    name: str
    block: bool
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
    | EditMessage
    | DeleteMessage
    | React
    | Typing
    | FetchEdits
    | MarkRead
    | StartDirect
    | SetBlock
    | SearchMessages
    | ListMembers
)
