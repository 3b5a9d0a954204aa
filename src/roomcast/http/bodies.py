"""Every REST body, request and response, defined once as a msgspec Struct.

``inputs.read_body`` decodes and checks request bodies through these types; the handlers answer
with them (``replies.reply``); ``specs.openapi`` exports their JSON Schemas as the components of
the OpenAPI document, and the class docstrings are the schemas' descriptions.

A limit that a domain rule enforces with its own error code (a room name's length gives
``room_invalid``, a topic's gives ``too_long``, a password's ``weak_password``) is documented with
``extra_json_schema``, so that the schema says it without the decoder refusing the body first with
another code. Limits that depend on the settings (the text length) are filled in by
``specs.openapi``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, ClassVar, Final, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from roomcast.auth.identity import MAX_LABEL_CHARS, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS
from roomcast.chat.lines import SYSTEM_AUTHOR
from roomcast.wire import protocol

MAX_ID: Final = 2**63 - 1

ERROR_CODES: Final = {
    "bad_json": "the body is not a JSON object",
    "bad_field": "a field has the wrong type",
    "missing_field": "a required field is missing",
    "unknown_field": "the body has a field the endpoint does not know",
    "bad_param": "a query parameter is not an integer in range",
    "room_invalid": "the room name breaks the naming rules",
    "empty_message": "the text is empty or only white space",
    "too_long": "the text is over max_text_chars",
    "bad_text": "the text contains a control character",
    "nick_invalid": "the author breaks the nickname rules",
    "nick_reserved": "the author is a reserved nickname",
    "unauthorized": "the Authorization header is missing or has the wrong API key",
    "room_not_found": "no such room (never created, no messages, no members)",
    "not_found": "no such endpoint",
    "method_not_allowed": "the endpoint does not take this method",
    "too_large": "the body is over the size limit",
    "store_unavailable": "the message store cannot be reached",
    "broker_unavailable": "the broker connection is down",
    "shutting_down": "the server is shutting down",
    "internal": "a server bug",
    "bad_credentials": "wrong name or password",
    "bad_token": "the API token or JWT is not valid",
    "token_expired": "the JWT has expired",
    "login_required": "the call needs a signed-in account",
    "weak_password": f"a password has {MIN_PASSWORD_CHARS}-{MAX_PASSWORD_CHARS} characters",
    "registration_closed": "the server does not take new accounts (allow_registration)",
    "nick_taken": "the name is in use by a connection right now",
    "nick_registered": "the name (or one that looks like it) belongs to an account",
    "forbidden": "the caller's role in the room does not allow this",
    "origin_not_allowed": "a write with the session cookie came from another site's page",
    "room_exists": "the room exists already",
    "rate_limited": "too many login attempts from this address; see Retry-After",
    "banned": "the caller is banned from the room",
    "muted": "the caller is muted in the room",
    "empty_file": "the uploaded file has no bytes",
    "bad_upload": "the multipart body is malformed or has no file part",
    "session_required": "a guest's upload must name its chat session (X-Roomcast-Session)",
    "quota_exceeded": "the caller's files would pass upload_quota_bytes",
    "image_too_large": "the image has more pixels than may be decoded (a decompression bomb)",
    "range_not_satisfiable": "the Range asks for bytes past the end of the file",
}

RoomName = Annotated[
    str,
    Meta(
        extra_json_schema={
            "minLength": 1,
            "maxLength": protocol.MAX_ROOM_CHARS,
            "description": (
                "1-64 letters or digits of any script, '_', '.' or '-', starting with a letter, "
                "digit or '_'; NFC-normalised, case-sensitive"
            ),
            "examples": ["lobby"],
        }
    ),
]
Time = Annotated[str, Meta(extra_json_schema={"format": "date-time"})]
MaybeTime = Annotated[str, Meta(extra_json_schema={"format": "date-time"})] | None
Nickname = Annotated[
    str, Meta(extra_json_schema={"minLength": 1, "maxLength": protocol.MAX_NICK_CHARS})
]
Password = Annotated[
    str, Meta(extra_json_schema={"minLength": MIN_PASSWORD_CHARS, "maxLength": MAX_PASSWORD_CHARS})
]
TopicText = Annotated[str, Meta(extra_json_schema={"maxLength": protocol.MAX_TOPIC_CHARS})]
Action = Annotated[str, Meta(extra_json_schema={"enum": list(protocol.MODERATION_ACTIONS)})]
MessageText = Annotated[
    str,
    Meta(
        extra_json_schema={"minLength": 1},
        description="Not blank; no control characters but tab and newline",
    ),
]


class Body(msgspec.Struct, forbid_unknown_fields=True):
    """The base of every body: no keys but the declared fields."""

    # How a bad_field message names the type a field wanted (msgspec's name of it -> words).
    type_nouns: ClassVar[Mapping[str, str]] = {
        "str": "a str",
        "bool": "a bool",
        "int": "an integer",
    }


# -- rooms, history and publishing ----------------------------------------------------------------


class Reaction(Body):
    """One emoji on a message: how many put it there, and who, in the order they did."""

    emoji: str
    count: Annotated[int, Meta(ge=1)]
    names: list[str]


class UploadedFile(Body, omit_defaults=True):
    """A file uploaded to a room (POST /api/rooms/{room}/uploads), as a line attaches it; an image
    (PNG, JPEG, GIF or WebP, as its bytes say) also has its size in pixels and a thumbnail."""

    id: Annotated[str, Meta(description="What a line's Attachments name")]
    name: Annotated[str, Meta(description="The file's name, cleaned: no directories")]
    size: Annotated[int, Meta(ge=1, description="Bytes")]
    type: Annotated[str, Meta(description="The media type: sniffed for images, else as sent")]
    url: Annotated[str, Meta(description="Where it is served (GET), relative to the server")]
    width: Annotated[int, Meta(ge=1)] | None = None
    height: Annotated[int, Meta(ge=1)] | None = None
    thumb: Annotated[str, Meta(description="The thumbnail's URL (WebP, at most 400 px)")] | None = (
        None
    )


class Message(Body):
    """A stored chat message in its current state. id is its position in the room's log."""

    id: Annotated[int, Meta(ge=1, le=MAX_ID)]
    room: RoomName
    author: Annotated[str, Meta(min_length=1)]
    text: Annotated[str, Meta(description="The current text (after its last edit)")]
    wsid: Annotated[
        str, Meta(description="The sending connection's ID; 'system' for server messages")
    ]
    time: Time
    reply_to: (
        Annotated[int, Meta(ge=1, le=MAX_ID, description="The message this one answers")] | None
    ) = None
    thread: Annotated[int, Meta(ge=1, le=MAX_ID, description="The root of its thread")] | None = (
        None
    )
    edited: Annotated[str, Meta(description="When it was last edited")] | None = None
    reactions: Annotated[list[Reaction], Meta(description="In order of first use")] = []
    replies: Annotated[int, Meta(ge=0, description="Live replies, on a thread's root")] = 0
    attachments: Annotated[list[UploadedFile], Meta(description="The files it carries")] = []


class SearchResult(Body):
    """One line found, in its current state."""

    room: RoomName
    id: Annotated[int, Meta(ge=1, le=MAX_ID)]
    author: Annotated[str, Meta(min_length=1)]
    text: Annotated[str, Meta(description="The current text")]
    time: Time
    highlight: Annotated[
        list[tuple[str, bool]],
        Meta(
            description=(
                "The text in segments [text, matched]: joined, the texts are the text; matched"
                " words are true (plain text, never HTML)"
            )
        ),
    ]


class SearchResults(Body):
    """The lines that match, best first (with room: the newest matches below before, ranked);
    more: more lines match."""

    results: list[SearchResult]
    more: bool


class Room(Body):
    name: RoomName
    topic: Annotated[str, Meta(description="Empty when none is set")]
    members: Annotated[
        int, Meta(ge=0, description="Connections in the room now, across every node")
    ]
    last_id: Annotated[int, Meta(ge=0, description="ID of the newest message; 0 when none")]


class RoomList(Body):
    """Every room that exists (created, with history or with members), by name."""

    rooms: list[Room]


class Member(Body):
    name: str


class MemberList(Body):
    """The nicknames in the room, sorted case-insensitively."""

    room: RoomName
    members: list[Member]


class MessagePage(Body):
    """A page of history, newest first."""

    room: RoomName
    messages: list[Message]
    next_before: Annotated[
        Annotated[int, Meta(ge=1)] | None,
        Meta(description="Pass as before= to get the next (older) page; null on the last page"),
    ]


# The publishing endpoints have always said "must be a string" where the others say "a str".
_PUBLISHING_NOUNS: Final = {"str": "a string"}


class NewMessage(Body):
    type_nouns = _PUBLISHING_NOUNS

    text: MessageText
    author: Annotated[
        str,
        Meta(
            extra_json_schema={"minLength": 1, "maxLength": protocol.MAX_NICK_CHARS},
            description="A valid nickname, or 'system' (the default)",
        ),
    ] = SYSTEM_AUTHOR


class Broadcast(Body):
    type_nouns = _PUBLISHING_NOUNS

    text: MessageText


class BroadcastResult(Body):
    """One stored message per room the broadcast reached."""

    messages: list[Message]


class ErrorDetail(Body):
    code: Annotated[
        str,
        Meta(description="Stable code: " + "; ".join(f"{k}: {v}" for k, v in ERROR_CODES.items())),
    ]
    message: Annotated[str, Meta(description="For humans; may change")]


class Error(Body):
    error: ErrorDetail


class Health(Body):
    status: Literal["ok"]
    version: str


class Ready(Body):
    """What ``/readyz`` answers, ready or not: the node's verdict and each dependency's state."""

    ready: bool
    status: Literal["ready", "degraded", "not_ready", "shutting_down"]
    store: Literal["ok", "down"]
    broker: Literal["ok", "degraded", "down", "none"]
    presence: Literal["ok", "degraded", "none"]


# -- accounts and tokens --------------------------------------------------------------------------


class Credentials(Body):
    name: Nickname
    password: Password


class Registration(Body):
    name: Annotated[Nickname, Meta(description="A valid nickname, free and not reserved")]
    password: Password
    session: Annotated[
        str,
        Meta(
            description="The WebSocket Session of the caller: lets it register the nickname its "
            "own connection holds"
        ),
    ] = ""


class Me(Body):
    name: Annotated[str | None, Meta(description="null for a guest")]
    admin: bool
    via: Annotated[
        str, Meta(extra_json_schema={"enum": ["guest", "session", "token", "jwt", "api_key"]})
    ]


class NewToken(Body):
    label: Annotated[str, Meta(extra_json_schema={"maxLength": MAX_LABEL_CHARS})] = ""


class Token(Body):
    id: Annotated[str, Meta(description="Names the token when it is revoked")]
    label: str
    created: Time


class CreatedToken(Token):
    token: Annotated[str, Meta(description="The secret: shown this once only")]


class TokenList(Body):
    tokens: list[Token]


# -- the person: rooms, read state, blocks --------------------------------------------------------


class PersonRoom(Body):
    """One of the caller's rooms: its newest ID, the caller's read marker, what is unread."""

    room: RoomName
    last_id: Annotated[int, Meta(ge=0, le=MAX_ID)]
    read_id: Annotated[int, Meta(ge=0, le=MAX_ID)]
    unread: Annotated[int, Meta(ge=0, description="Lines by others after read_id (capped)")]
    mentions: Annotated[int, Meta(ge=0, description="Mentions of the caller after read_id")]
    direct: Annotated[bool, Meta(description="A direct conversation")]


class PersonRoomList(Body):
    rooms: Annotated[list[PersonRoom], Meta(description="In the order first joined")]


class BlockList(Body):
    blocks: Annotated[list[str], Meta(description="The accounts the caller blocks")]


# -- room access, moderation and the audit log ----------------------------------------------------


class NewRoom(Body):
    room: RoomName
    private: bool = False
    topic: TopicText = ""


class RoomAccess(Body):
    name: RoomName
    topic: str
    private: bool
    owner: str | None
    moderators: list[str]
    members: Annotated[list[str], Meta(description="Invited accounts (private rooms)")]
    role: Annotated[
        str,
        Meta(extra_json_schema={"enum": ["admin", "owner", "moderator", "member", "none"]}),
    ]


class Topic(Body):
    topic: TopicText


class RoleChange(Body):
    role: Annotated[str, Meta(extra_json_schema={"enum": list(protocol.ROLES)})]


class Moderation(Body):
    action: Action
    name: Annotated[str, Meta(extra_json_schema={"minLength": 1})]
    duration: Annotated[
        int | UnsetType,
        Meta(
            extra_json_schema={"minimum": 1, "maximum": protocol.MAX_SANCTION_SECONDS},
            description="Seconds a ban or mute lasts; absent: until lifted",
        ),
    ] = UNSET
    reason: Annotated[str, Meta(extra_json_schema={"maxLength": protocol.MAX_REASON_CHARS})] = ""


class ModerationResult(Body):
    action: Action
    room: RoomName
    name: str
    until: MaybeTime


class Sanction(Body):
    id: int
    kind: Annotated[str, Meta(extra_json_schema={"enum": ["ban", "kick", "mute"]})]
    name: str
    account: bool
    until: MaybeTime
    by: str
    reason: str
    created: Time
    ip: Annotated[
        str | UnsetType | None, Meta(description="Only for admins: the guest's address")
    ] = UNSET


class SanctionList(Body):
    room: RoomName
    sanctions: list[Sanction]


class AuditEntry(Body):
    time: Time
    actor: str
    action: str
    room: str
    target: str
    detail: str


class AuditLog(Body):
    """Moderation actions, newest first."""

    entries: list[AuditEntry]


# -- the server admin page (``/api/admin``) ---------------------------------------------------


class Latency(Body):
    healthy: bool
    latency_ms: Annotated[
        float | None, Meta(description="The last round trip in milliseconds; null when it failed")
    ]


class NodeNumbers(Body):
    """One node's numbers, as it last recorded them (the answering node's: as they are now)."""

    node: str
    version: str
    started_ms: int
    seen_ms: int
    connections: int
    members: int
    rooms: Annotated[dict[str, int], Meta(description="Rooms with members here, and how many")]
    messages_received: int
    messages_delivered: int
    messages_per_second: float
    delivered_per_second: float
    slow_consumers_dropped: int
    store: Latency
    broker: Latency


class Overview(Body):
    """Every live node's numbers and their sums; rooms with their members on all nodes."""

    nodes: list[NodeNumbers]
    connections: int
    members: int
    messages_per_second: float
    slow_consumers_dropped: int
    rooms: Annotated[dict[str, int], Meta(description="Members per room, on all nodes")]


class AdminAccount(Body):
    id: str
    name: str
    created: Time
    disabled: bool
    admin: Annotated[bool, Meta(description="Made an admin on the admin page")]
    admin_by_setting: Annotated[bool, Meta(description="Named by the admins setting")]


class AdminAccountList(Body):
    accounts: list[AdminAccount]


class AccountFlags(Body):
    disabled: bool | UnsetType = UNSET
    admin: bool | UnsetType = UNSET


class SignedOut(Body):
    sessions: Annotated[int, Meta(description="Login sessions ended")]


class AdminRoom(Body):
    name: RoomName
    last_id: int
    topic: str
    private: bool
    members: Annotated[int, Meta(description="Members now, on all nodes")]


class AdminRoomList(Body):
    rooms: list[AdminRoom]
