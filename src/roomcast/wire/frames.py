"""Every chat frame as a typed structure: the one definition of the wire format.

Client frames (``ChatLine`` and the ``...Command`` types) are what ``parse`` reads and checks, in
their fields' order; server frames (``...Frame``) are what ``encode`` writes, with their keys in
declaration order and optional keys left out when unset. The AsyncAPI document's JSON Schemas
are exported from these classes (``msgspec.json.schema_components``): docstrings and ``Meta``
descriptions become the schema descriptions, ``Meta`` bounds become its limits.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from msgspec import Meta, Struct

from roomcast.wire.attachments import MAX_ATTACHMENTS, AttachmentEntry, UploadID
from roomcast.wire.errors import ErrorCode
from roomcast.wire.limits import (
    DEFAULT_HISTORY_LIMIT,
    MAX_DIRECT_NAMES,
    MAX_EMOJI_CHARS,
    MAX_HISTORY_LIMIT,
    MAX_ID,
    MAX_INT_REF,
    MAX_NICK_CHARS,
    MAX_REACTIONS,
    MAX_REASON_CHARS,
    MAX_REF_CHARS,
    MAX_ROOM_CHARS,
    MAX_SANCTION_SECONDS,
    MAX_TOPIC_CHARS,
    MODERATION_ACTIONS,
    ROLES,
)

RefValue = (
    Annotated[
        str,
        Meta(
            min_length=1,
            max_length=MAX_REF_CHARS,
            description="A client's tag for a request, echoed by the answer and by errors",
        ),
    ]
    | Annotated[int, Meta(ge=0, le=MAX_INT_REF)]
)
# The pattern is for the document only: ``text.decode_message`` checks base64 strictly, and a
# pattern msgspec applied would run Python's re on every chat line.
Base64Text = Annotated[
    str,
    Meta(
        description=(
            "base64 of the UTF-8 bytes of a text (the tutorial's encoding of every Message)"
        ),
        extra_json_schema={"contentEncoding": "base64", "pattern": "^[A-Za-z0-9+/]*={0,2}$"},
    ),
]
RoomName = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=MAX_ROOM_CHARS,
        description=(
            "1-64 letters or digits of any script, '_', '.' or '-', starting with a letter, "
            "digit or '_'; NFC-normalised, case-sensitive"
        ),
    ),
]
Nickname = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=MAX_NICK_CHARS,
        description="1-32 characters after NFC normalisation; unique case-insensitively",
    ),
]
AccountName = Annotated[str, Meta(min_length=1, description="A nickname or account name")]
MessageID = Annotated[
    int,
    Meta(ge=1, le=MAX_ID, description="A message's position in its room: per room, increasing"),
]
IsoTime = Annotated[
    str,
    Meta(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$",
        description="ISO 8601 UTC with milliseconds",
        extra_json_schema={"format": "date-time"},
    ),
]
Until = Annotated[
    str,
    Meta(
        description="ISO 8601 UTC with milliseconds; absent: until lifted",
        extra_json_schema={"format": "date-time"},
    ),
]
Topic = Annotated[str, Meta(max_length=MAX_TOPIC_CHARS)]
Reason = Annotated[str, Meta(max_length=MAX_REASON_CHARS)]
SanctionSeconds = Annotated[
    int, Meta(ge=1, le=MAX_SANCTION_SECONDS, description="Seconds; absent: until lifted")
]
Role = Annotated[str, Meta(extra_json_schema={"enum": list(ROLES)})]
ChatType = Literal["Chat"]
OptionalMessageID = MessageID | None
Emoji = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=MAX_EMOJI_CHARS,
        description=(
            "One emoji (one grapheme cluster, e.g. 👍 or 👍🏽 or 🇫🇷) or a :short_name: of 2-32"
            " characters a-z 0-9 _ + -"
        ),
    ),
]


# ---------------------------------------------------------------------------------------------
# Client -> server
# ---------------------------------------------------------------------------------------------


class ClientFrame(Struct, tag_field="Type", forbid_unknown_fields=True):
    """A command a client sends; subclasses name their ``Type`` as their tag.

    Client frames refuse unknown keys, so that a frame msgspec decodes is exactly one of these;
    ``parse`` still accepts unknown keys, by its slower field-by-field path.
    """


class ChatLine(Struct, forbid_unknown_fields=True, gc=False):
    """A chat line, in the tutorial's format: no Type (or Type Chat)."""

    Message: Base64Text
    Type: ChatType | None = None
    Author: (
        Annotated[str, Meta(description="The tutorial's way of naming oneself; a new one renames")]
        | None
    ) = None
    Room: RoomName | None = None
    Ref: RefValue | None = None
    ReplyTo: (
        Annotated[MessageID, Meta(description="The message of the same room this line answers")]
        | None
    ) = None
    Thread: (
        Annotated[MessageID, Meta(description="The root message of the thread this line is in")]
        | None
    ) = None
    Attachments: (
        Annotated[
            list[UploadID], Meta(extra_json_schema={"minItems": 1, "maxItems": MAX_ATTACHMENTS})
        ]
        | None
    ) = None


class TutorialLine(Struct, forbid_unknown_fields=True, gc=False):
    """The tutorial page's own line, ``{"Message", "Author"}``: most of what a server reads.

    A ``ChatLine`` with only its two keys, typed alone so that it costs least to decode.
    """

    Message: str
    Author: str | None = None


class NickCommand(ClientFrame, tag="Nick"):
    """Change this connection's nickname."""

    Name: str
    Ref: RefValue | None = None


class JoinCommand(ClientFrame, tag="Join"):
    """Join a room; with Since, replay exactly the messages after that ID first."""

    Room: RoomName
    Since: Annotated[int, Meta(ge=0, le=MAX_ID)] | None = None
    Ref: RefValue | None = None


class LeaveCommand(ClientFrame, tag="Leave"):
    """Leave a room."""

    Room: RoomName
    Ref: RefValue | None = None


class HistoryCommand(ClientFrame, tag="History"):
    """Ask for a page of older messages (Before is exclusive; newest page without it); with
    Thread, of that thread: its root and its replies; with Around, the lines around that ID
    (Limit // 2 before it); with After, the oldest lines after that ID."""

    Limit: Annotated[int, Meta(ge=1, le=MAX_HISTORY_LIMIT)] = DEFAULT_HISTORY_LIMIT
    Room: RoomName | None = None
    Before: Annotated[int, Meta(ge=1, le=MAX_ID)] | None = None
    Thread: OptionalMessageID = None
    Around: OptionalMessageID = None
    After: Annotated[int, Meta(ge=0, le=MAX_ID)] | None = None
    Ref: RefValue | None = None


class PingCommand(ClientFrame, tag="Ping"):
    """Application-level ping."""

    Ref: RefValue | None = None


class CreateCommand(ClientFrame, tag="Create"):
    """Create a room owned by the signed-in account; Private makes it invite-only."""

    Room: RoomName
    Private: bool = False
    Topic: Topic = ""
    Ref: RefValue | None = None


class TopicCommand(ClientFrame, tag="Topic"):
    """Set the room's topic (moderators)."""

    Room: RoomName
    Topic: Topic
    Ref: RefValue | None = None


class EditCommand(ClientFrame, tag="Edit"):
    """Replace the text of one's own message (the author's account, or a guest's session)."""

    Room: RoomName
    Target: MessageID
    Message: Base64Text
    Ref: RefValue | None = None


class DeleteCommand(ClientFrame, tag="Delete"):
    """Delete a message for everyone, history included: one's own, or any as a moderator.

    ``ID`` is the older name of ``Target``; one of them is required.
    """

    Room: RoomName
    Target: OptionalMessageID = None
    ID: OptionalMessageID = None
    Ref: RefValue | None = None


class ReactCommand(ClientFrame, tag="React"):
    """Add an emoji reaction to a message, or take one's own away (Remove)."""

    Room: RoomName
    Target: MessageID
    Emoji: Emoji
    Remove: bool = False
    Ref: RefValue | None = None


class TypingCommand(ClientFrame, tag="Typing"):
    """One is typing in Room (repeat at most every 3 s), or has stopped (Stop)."""

    Room: RoomName
    Stop: bool = False
    Ref: RefValue | None = None


class ReadCommand(ClientFrame, tag="Read"):
    """Everything up to ID in Room has been read (the marker never moves back)."""

    Room: RoomName
    ID: Annotated[int, Meta(ge=0, le=MAX_ID)]
    Ref: RefValue | None = None


class DirectCommand(ClientFrame, tag="Direct"):
    """Open the direct conversation with 1-8 other accounts (the same people, the same room)."""

    Names: Annotated[list[AccountName], Meta(min_length=1, max_length=MAX_DIRECT_NAMES)]
    Ref: RefValue | None = None


class BlockCommand(ClientFrame, tag="Block"):
    """Block an account: no direct conversation with it, no Notify for its lines."""

    Name: AccountName
    Ref: RefValue | None = None


class UnblockCommand(ClientFrame, tag="Unblock"):
    """Lift a block."""

    Name: AccountName
    Ref: RefValue | None = None


class EditsCommand(ClientFrame, tag="Edits"):
    """Ask for every version of a message, oldest first."""

    Room: RoomName
    Target: MessageID
    Ref: RefValue | None = None


class RoleCommand(ClientFrame, tag="Role"):
    """Make an account a moderator (owner) or an invited member (moderators), or neither."""

    Room: RoomName
    Name: AccountName
    Role: Role
    Ref: RefValue | None = None


class _Sanction(ClientFrame):
    Room: RoomName
    Name: AccountName


class _TimedSanction(_Sanction):
    Duration: SanctionSeconds | None = None
    Reason: Reason = ""
    Ref: RefValue | None = None


class _LiftedSanction(_Sanction):
    Reason: Reason = ""
    Ref: RefValue | None = None


class KickCommand(_LiftedSanction, tag="Kick"):
    """Kick someone in a room (moderators)."""


class BanCommand(_TimedSanction, tag="Ban"):
    """Ban someone in a room (moderators)."""


class UnbanCommand(_LiftedSanction, tag="Unban"):
    """Unban someone in a room (moderators)."""


class MuteCommand(_TimedSanction, tag="Mute"):
    """Mute someone in a room (moderators)."""


class UnmuteCommand(_LiftedSanction, tag="Unmute"):
    """Unmute someone in a room (moderators)."""


MODERATION_COMMANDS: Final[dict[str, type[_Sanction]]] = {
    "kick": KickCommand,
    "ban": BanCommand,
    "unban": UnbanCommand,
    "mute": MuteCommand,
    "unmute": UnmuteCommand,
}
assert tuple(MODERATION_COMMANDS) == MODERATION_ACTIONS
CommandFrame = (
    NickCommand
    | JoinCommand
    | LeaveCommand
    | HistoryCommand
    | PingCommand
    | CreateCommand
    | TopicCommand
    | EditCommand
    | DeleteCommand
    | ReactCommand
    | TypingCommand
    | EditsCommand
    | ReadCommand
    | DirectCommand
    | BlockCommand
    | UnblockCommand
    | RoleCommand
    | KickCommand
    | BanCommand
    | UnbanCommand
    | MuteCommand
    | UnmuteCommand
)

# ---------------------------------------------------------------------------------------------
# Server -> client
# ---------------------------------------------------------------------------------------------


class ServerFrame(Struct, tag_field="Type", omit_defaults=True, gc=False):
    """A frame the server sends; keys with their default value are left out."""


class StatusFrame(ServerFrame, tag="Status"):
    """The first frame of every connection."""

    WSID: Annotated[str, Meta(description="This connection's ID")]
    Message: Base64Text
    Nick: Nickname
    Room: RoomName
    Session: Annotated[
        str,
        Meta(
            min_length=16,
            max_length=64,
            description="Secret; present it as session= when reconnecting",
        ),
    ]
    Version: str
    User: (
        Annotated[
            str, Meta(description="The account this connection is signed in as (absent: guest)")
        ]
        | None
    ) = None
    Admin: Annotated[bool, Meta(description="The account is a server admin")] = False


class ReactionEntry(Struct, forbid_unknown_fields=True, gc=False):
    """One emoji on a message: how many put it there, and who, in the order they did."""

    Emoji: Emoji
    Count: Annotated[int, Meta(ge=1)]
    Names: list[str]


class ChatFrame(ServerFrame, tag="Chat"):
    """One message of a room, to every member of that room (the sender included).

    History pages and join backlogs give it in its current state, with ``Edited``,
    ``Reactions`` and ``Replies``; live and in a resume, those come as their own events.
    """

    Message: Base64Text
    Author: Annotated[str, Meta(min_length=1)]
    Room: RoomName
    WSID: Annotated[str, Meta(description="The sending connection's ID; 'system' for server")]
    Sent: Annotated[
        str,
        Meta(
            pattern=r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
            description="UTC time in the tutorial's format",
        ),
    ]
    ID: MessageID
    Time: IsoTime
    ReplyTo: OptionalMessageID = None
    Thread: OptionalMessageID = None
    Edited: Annotated[IsoTime, Meta(description="When it was last edited")] | None = None
    Reactions: (
        Annotated[
            list[ReactionEntry], Meta(max_length=MAX_REACTIONS, description="In order of first use")
        ]
        | None
    ) = None
    Replies: Annotated[int, Meta(ge=0, description="Live replies, on a thread's root")] = 0
    Mentions: (
        Annotated[list[str], Meta(description="The people the line names with @name")] | None
    ) = None
    Attachments: list[AttachmentEntry] | None = None


class UserlistEntry(Struct, forbid_unknown_fields=True, gc=False):
    """One member of a room."""

    Name: Nickname


class UserlistFrame(ServerFrame, tag="userlist"):
    """The members of a room, sorted case-insensitively, after every change (coalesced); over
    userlist_max members, the first userlist_max of them and Count (page the rest: Members)."""

    Room: RoomName
    Users: list[UserlistEntry]
    Count: Annotated[int, Meta(ge=0, description="All the members: only when cut")] | None = None


class PresenceFrame(ServerFrame, tag="Presence"):
    """The diff form of userlist (connect with userlist=diff): who joined and who left."""

    Room: RoomName
    Joined: list[Nickname]
    Left: list[Nickname]


class NickFrame(ServerFrame, tag="Nick"):
    """Confirms a nickname change of this connection."""

    Name: Nickname
    Old: Nickname
    Ref: RefValue | None = None


class JoinedFrame(ServerFrame, tag="Joined"):
    """Answers a Join (and the URL's first room), before that room's backlog."""

    Room: RoomName
    LastID: Annotated[int, Meta(ge=0, le=MAX_ID)]
    Backlog: Annotated[
        int, Meta(ge=0, description="How many Chat frames of history follow before live ones")
    ]
    Truncated: Annotated[
        bool, Meta(description="The replay after Since stopped at resume_limit messages")
    ] = False
    ReadID: Annotated[
        int, Meta(ge=0, le=MAX_ID, description="The person's read marker in the room")
    ] = 0
    Ref: RefValue | None = None


class LeftFrame(ServerFrame, tag="Left"):
    """Confirms a Leave."""

    Room: RoomName
    Ref: RefValue | None = None


class HistoryFrame(ServerFrame, tag="History"):
    """A page of messages, oldest first; More says whether older ones exist."""

    Room: RoomName
    Messages: list[ChatFrame]
    More: bool
    Thread: Annotated[MessageID, Meta(description="The thread asked for")] | None = None
    Newer: Annotated[bool, Meta(description="Around, After: newer ones exist")] = False
    Ref: RefValue | None = None


class AckFrame(ServerFrame, tag="Ack"):
    """The line or change with this Ref is durably stored as event ID of Room."""

    Ref: RefValue
    ID: MessageID
    Room: RoomName
    Unchanged: Annotated[
        bool,
        Meta(
            description=(
                "The change asked for was already so (a reaction one had, the same text):"
                " no event was added; ID is the message's"
            )
        ),
    ] = False


class ErrorFrame(ServerFrame, tag="Error"):
    """Something the client sent could not be done; the connection stays open."""

    Code: ErrorCode
    Message: str
    RetryAfter: (
        Annotated[
            float, Meta(ge=0, description="With rate_limited: seconds to wait before trying again")
        ]
        | None
    ) = None
    Ref: RefValue | None = None


class PongFrame(ServerFrame, tag="Pong"):
    """Answers Ping with the server's clock in milliseconds since the Unix epoch."""

    Time: Annotated[int, Meta(ge=0)]
    Ref: RefValue | None = None


class RoomFrame(ServerFrame, tag="Room"):
    """A room's settings and the receiver's role there: after Joined, and on every change."""

    Room: RoomName
    Topic: Topic
    Private: Annotated[bool, Meta(description="Invite-only")]
    Moderators: list[str]
    Role: Annotated[
        str, Meta(extra_json_schema={"enum": ["admin", "owner", "moderator", "member", "none"]})
    ]
    Owner: Annotated[str, Meta(description="The owner's account name")] | None = None
    Direct: Annotated[bool, Meta(description="A direct conversation")] = False
    Members: Annotated[list[str], Meta(description="A direct conversation's members")] | None = None
    Ref: RefValue | None = None


class EditedFrame(ServerFrame, tag="Edited"):
    """Event ID of Room: its author replaced the text of message Target."""

    Room: RoomName
    ID: MessageID
    Target: MessageID
    Message: Annotated[Base64Text, Meta(description="The new text ('' once the line is deleted)")]
    Author: str
    Time: IsoTime


class DeletedFrame(ServerFrame, tag="Deleted"):
    """Event ID of Room: message Target was deleted (By its author or a moderator); it is gone
    from history too."""

    Room: RoomName
    ID: MessageID
    Target: MessageID
    By: str


class ReactionFrame(ServerFrame, tag="Reaction"):
    """Event ID of Room: Name added (or Removed) the reaction Emoji on message Target."""

    Room: RoomName
    ID: MessageID
    Target: MessageID
    Emoji: Emoji
    Name: str
    Removed: bool


class TypingFrame(ServerFrame, tag="Typing"):
    """Who is typing in Room now, the receiver left out; [] once nobody is. Never stored."""

    Room: RoomName
    Names: list[str]


class VersionEntry(Struct, forbid_unknown_fields=True, gc=False):
    """One version of a message's text."""

    Message: Base64Text
    Time: IsoTime


class EditsFrame(ServerFrame, tag="Edits"):
    """Answers Edits: every version of message Target, the original first."""

    Room: RoomName
    Target: MessageID
    Versions: list[VersionEntry]
    Ref: RefValue | None = None


class KickedFrame(ServerFrame, tag="Kicked"):
    """This connection was taken out of Room by a moderator (Banned: for a ban)."""

    Room: RoomName
    By: str
    Reason: str
    Banned: bool
    Until: Until | None = None


class ModeratedFrame(ServerFrame, tag="Moderated"):
    """Confirms a moderation command to the moderator who gave it."""

    Action: Annotated[str, Meta(extra_json_schema={"enum": list(MODERATION_ACTIONS)})]
    Room: RoomName
    Name: str | None = None
    Until: Until | None = None
    Ref: RefValue | None = None


class PersonRoomEntry(Struct, forbid_unknown_fields=True, omit_defaults=True, gc=False):
    """One of a person's rooms: its newest ID, the read marker, what is unread."""

    Room: RoomName
    LastID: Annotated[int, Meta(ge=0, le=MAX_ID)]
    ReadID: Annotated[int, Meta(ge=0, le=MAX_ID)]
    Unread: Annotated[int, Meta(ge=0, description="Lines by others after ReadID (capped)")]
    Mentions: Annotated[int, Meta(ge=0, description="Mentions of the person after ReadID")]
    Direct: bool
    Members: Annotated[list[str], Meta(description="A direct conversation's members")] | None = None


class RoomsFrame(ServerFrame, tag="Rooms"):
    """The person's rooms, after Status (signed in, or a guest that presented its session)."""

    Rooms: list[PersonRoomEntry]


class ReadFrame(ServerFrame, tag="Read"):
    """Another connection of the same person read Room up to ID."""

    Room: RoomName
    ID: Annotated[int, Meta(ge=0, le=MAX_ID)]


class NotifyFrame(ServerFrame, tag="Notify"):
    """A line that mentions the receiver, or a direct line to it."""

    Kind: Annotated[str, Meta(extra_json_schema={"enum": ["mention", "direct"]})]
    Room: RoomName
    ID: MessageID
    Author: str
    Message: Base64Text


class BlocksFrame(ServerFrame, tag="Blocks"):
    """The accounts the receiver blocks, after Block or Unblock."""

    Names: list[str]
    Ref: RefValue | None = None
