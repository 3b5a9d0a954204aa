"""The client's typed values: the events a ``ChatClient`` yields, the answers its calls return
(a history page, a message's versions), the person's rooms, and the errors they raise.
``roomcast.client.frames`` reads server frames into them.

Imports only ``roomcast.record``.
"""

from __future__ import annotations

from datetime import datetime

from roomcast.record import record


@record
class Connected:
    """A connection is up (first or after a reconnect): the server's ``Status`` frame. ``user``
    is the account it is signed in as (None: a guest)."""

    wsid: str
    nick: str
    room: str
    session: str
    version: str
    resumed: bool
    user: str | None = None


@record
class ReactionSummary:
    """One emoji on a message: how many reacted with it, and who, in order of reacting."""

    emoji: str
    count: int
    names: tuple[str, ...]


@record
class Attachment:
    """A file a line carries (or an upload, before a line does): ``url`` (and ``thumb``, an
    image's thumbnail) are relative to the server; ``width`` and ``height`` are set for images."""

    id: str
    name: str
    size: int
    type: str
    url: str
    width: int | None = None
    height: int | None = None
    thumb: str | None = None


@record
class Message:
    """A chat message. ``backlog`` marks history replayed on a first join (not live, not missed).

    ``reply_to`` is the message it answers and ``thread`` the root of the thread it is in (None
    when neither). ``edited``, ``reactions`` (in order of first use) and ``replies`` (live
    replies of a thread root) are the message's state when it was read: filled in a join's
    backlog and in history pages; a live or replayed message has none yet, and what happens to
    it later arrives as ``Edited``, ``Deleted`` and ``Reaction`` events. ``mentions`` are the
    ``@names`` in the text that named an account or a member of the room, as the server spells
    them; ``attachments`` the files the line carries.
    """

    room: str
    id: int
    author: str
    text: str
    wsid: str
    time: datetime
    backlog: bool = False
    reply_to: int | None = None
    thread: int | None = None
    edited: datetime | None = None
    reactions: tuple[ReactionSummary, ...] = ()
    replies: int = 0
    mentions: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()


@record
class Edited:
    """Message ``target`` of ``room`` now reads ``text`` (empty when the message was deleted since:
    its text is purged). ``id`` is this event's place in the room's sequence."""

    room: str
    id: int
    target: int
    text: str
    author: str
    time: datetime


@record
class Deleted:
    """Message ``target`` of ``room`` was deleted, by its author or a moderator (``by``)."""

    room: str
    id: int
    target: int
    by: str


@record
class Reaction:
    """``name`` reacted to message ``target`` with ``emoji``, or took that reaction back."""

    room: str
    id: int
    target: int
    emoji: str
    name: str
    removed: bool


@record
class Typing:
    """Who else is typing in ``room`` now (empty once nobody is); never names this client."""

    room: str
    names: tuple[str, ...]


@record
class Users:
    """The members of a room now: all of them, or in a room of more than the server's
    ``userlist_max`` the first names (by name) and ``count``, the members in all (page the rest
    with ``members``)."""

    room: str
    names: tuple[str, ...]
    count: int = 0


@record
class MembersPage:
    """A page of a room's member names (``ChatClient.members``): ``count`` members in all,
    ``more`` when names follow the last of these."""

    room: str
    names: tuple[str, ...]
    count: int
    more: bool


@record
class Joined:
    """This client is in ``room``; ``truncated`` when a resume replay hit the server's limit.
    ``read_id`` is the person's read marker there (0: nothing read yet)."""

    room: str
    last_id: int
    truncated: bool = False
    read_id: int = 0


@record
class RoomInfo:
    """A room's settings and this client's role there (``admin``, ``owner``, ``moderator``,
    ``member`` or ``none``): after each join, and whenever they change."""

    room: str
    topic: str
    role: str
    moderators: tuple[str, ...]
    private: bool
    #: A direct conversation's people (its ``Room`` frame's ``Members``); empty for a room.
    members: tuple[str, ...] = ()


@record
class Left:
    room: str


@record
class NickChanged:
    name: str
    old: str


@record
class RoomState:
    """One of the person's rooms: its newest ID, how far the person has read it (on any of its
    connections), and the lines by others (``unread``) and mentions of the person after that
    (both capped at 9999). ``direct`` marks a direct conversation."""

    room: str
    last_id: int
    read_id: int
    unread: int
    mentions: int
    direct: bool
    #: A direct conversation's people, the person included; empty for a room.
    members: tuple[str, ...] = ()


@record
class Rooms:
    """The person's rooms (a signed-in account's, or a guest's that presented its session), in
    the order first joined: after each connect, and when someone adds one (a direct
    conversation). The client is not necessarily in them: it joins only what it is asked to."""

    rooms: tuple[RoomState, ...]


@record
class Read:
    """Another connection of the same person (a tab, a device) read ``room`` up to ``id``."""

    room: str
    id: int


@record
class Notify:
    """A line for the person: it mentions the person (``kind`` ``"mention"``) or is in one of its
    direct conversations (``"direct"``). Comes whether or not the client is in ``room``; never
    for the person's own lines, nor from an account the person blocks."""

    kind: str
    room: str
    id: int
    author: str
    text: str


@record
class ServerError:
    """An ``Error`` frame that answers no pending call (e.g. a refused nickname at connect)."""

    code: str
    message: str
    ref: str | int | None = None


@record
class Disconnected:
    """The connection dropped; ``reason`` is the server's close reason (or the error when no
    close came); ``reconnecting`` says whether the client is trying again."""

    code: int | None
    reason: str
    reconnecting: bool


# The events that take a place in a room's sequence besides chat lines.
LogEvent = Edited | Deleted | Reaction

Event = (
    Connected
    | Message
    | Edited
    | Deleted
    | Reaction
    | Typing
    | Users
    | Joined
    | RoomInfo
    | Left
    | NickChanged
    | Rooms
    | Read
    | Notify
    | ServerError
    | Disconnected
)


@record
class HistoryPage:
    """A page of older messages, oldest first; ``more`` when still older ones exist. ``thread`` is
    the root of the thread the page is from (None: the whole room)."""

    room: str
    messages: list[Message]
    more: bool
    thread: int | None = None

    @property
    def next_before(self) -> int | None:
        """The ``before`` of the next (older) page, or None on the last page."""
        return self.messages[0].id if self.more and self.messages else None


@record
class Version:
    """One text a message had, and since when."""

    text: str
    time: datetime


@record
class EditHistory:
    """The versions of message ``target``: the original first, the current text last."""

    room: str
    target: int
    versions: tuple[Version, ...]


class ChatError(Exception):
    """The server refused a request with an ``Error`` frame."""

    def __init__(self, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        #: With ``rate_limited``: the seconds the server asks to wait before trying again.
        self.retry_after = retry_after


class ClientClosed(Exception):
    """The client is closed (or lost its connection for good): the call cannot complete."""
