"""The roomcast wire protocol, without I/O.

Text in, validated command objects out; events in, JSON frame payloads out (``websocket.py`` puts
them in WebSocket frames). Nothing here touches a socket or an event loop, so every rule of the
protocol can be tested with plain values. Every limit, error code and close code a client can see
is defined in this module.

The format is the one of the Caché "Asynchronous Websockets" tutorial chat, extended: a client
line is ``{"Message": "<base64>", "Author": "<nick>"}`` with no ``Type``; the server answers with
``Status``, ``Chat`` and ``userlist`` frames; further ``Type`` values add nicknames, rooms,
history, resume, acknowledgements, errors and pings. ``docs/protocol.md`` is the full spec.
"""

from __future__ import annotations

import binascii
import enum
import functools
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from roomcast.record import record
from roomcast.wire.confusables import skeleton

# ---------------------------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------------------------

DEFAULT_ROOM: Final = "default"
MAX_TEXT_CHARS: Final = 4000
MAX_FRAME_BYTES: Final = 64 * 1024
MAX_NICK_CHARS: Final = 32
MAX_ROOM_CHARS: Final = 64
MAX_REF_CHARS: Final = 64
MAX_HISTORY_LIMIT: Final = 200
DEFAULT_HISTORY_LIMIT: Final = 50
MAX_JSON_DEPTH: Final = 8
MAX_TOPIC_CHARS: Final = 200
MAX_REASON_CHARS: Final = 200
# The longest ban or mute (ten years); without a duration they last until lifted.
MAX_SANCTION_SECONDS: Final = 10 * 365 * 24 * 3600

RESERVED_NICKS: Final = frozenset(
    {
        "system",
        "admin",
        "administrator",
        "root",
        "server",
        "moderator",
        "mod",
        "roomcast",
        "guest",
        "operator",
        "owner",
        "staff",
        "support",
        "everyone",
        "here",
        "null",
        "undefined",
    }
)
GUEST_PREFIX: Final = "guest-"

# WebSocket close codes (RFC 6455, section 7.4.1) the server uses.
CLOSE_NORMAL: Final = 1000
CLOSE_GOING_AWAY: Final = 1001
CLOSE_PROTOCOL_ERROR: Final = 1002
CLOSE_UNSUPPORTED_DATA: Final = 1003
CLOSE_POLICY_VIOLATION: Final = 1008
CLOSE_MESSAGE_TOO_BIG: Final = 1009
CLOSE_TRY_AGAIN_LATER: Final = 1013
CLOSE_SESSION_REPLACED: Final = 4001
CLOSE_SIGNED_OUT: Final = 4003


Ref = str | int


class ErrorCode(enum.StrEnum):
    """Stable machine-readable codes carried by ``Error`` frames."""

    BAD_JSON = "bad_json"
    NOT_OBJECT = "not_object"
    TOO_DEEP = "too_deep"
    MISSING_FIELD = "missing_field"
    BAD_FIELD = "bad_field"
    BAD_BASE64 = "bad_base64"
    BAD_TEXT = "bad_text"
    EMPTY_MESSAGE = "empty_message"
    TOO_LONG = "too_long"
    UNKNOWN_TYPE = "unknown_type"
    NICK_INVALID = "nick_invalid"
    NICK_RESERVED = "nick_reserved"
    NICK_TAKEN = "nick_taken"
    ROOM_INVALID = "room_invalid"
    NOT_IN_ROOM = "not_in_room"
    TOO_MANY_ROOMS = "too_many_rooms"
    RATE_LIMITED = "rate_limited"
    NICK_REGISTERED = "nick_registered"
    LOGIN_REQUIRED = "login_required"
    FORBIDDEN = "forbidden"
    BANNED = "banned"
    MUTED = "muted"
    NOT_FOUND = "not_found"
    ROOM_EXISTS = "room_exists"
    STORE_UNAVAILABLE = "store_unavailable"
    INTERNAL = "internal"


class ProtocolError(Exception):
    """A client mistake, reported to that client as an ``Error`` frame.

    ``ref`` echoes the ``Ref`` of the offending frame when it could be read, so a client can tell
    which of its requests failed.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        ref: Ref | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.ref = ref
        self.retry_after = retry_after


# ---------------------------------------------------------------------------------------------
# Validation of names and text
# ---------------------------------------------------------------------------------------------

# Characters never allowed in a nickname: controls, format characters (zero-width, bidi
# overrides), surrogates, private use, unassigned, and every separator but the plain space.
_FORBIDDEN_NICK_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_GUEST_PATTERN: Final = re.compile(r"guest-[0-9a-z]+", re.IGNORECASE)
_ROOM_PATTERN: Final = re.compile(r"[\w][\w.\-]*")
# C0 controls except tab and newline, DEL and C1 controls; lone surrogates (only a JSON "\ud800"
# escape can make one), which are not text and cannot be stored or sent as UTF-8.
_FORBIDDEN_TEXT: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def validate_nick(raw: str) -> str:
    """Return the canonical form of a nickname, or raise ``ProtocolError``.

    The canonical form is NFC-normalised with outer spaces removed. Allowed: 1-32 characters of
    letters, marks, digits, punctuation, symbols and single inner spaces.
    """
    name = unicodedata.normalize("NFC", raw).strip(" ")
    if not name:
        raise ProtocolError(ErrorCode.NICK_INVALID, "nickname must not be empty")
    if len(raw) > MAX_NICK_CHARS or len(name) > MAX_NICK_CHARS:
        raise ProtocolError(
            ErrorCode.NICK_INVALID, f"nickname must be at most {MAX_NICK_CHARS} characters"
        )
    for char in name:
        category = unicodedata.category(char)
        if category in _FORBIDDEN_NICK_CATEGORIES or (category == "Zs" and char != " "):
            raise ProtocolError(
                ErrorCode.NICK_INVALID,
                f"nickname contains a forbidden character U+{ord(char):04X}",
            )
    if "  " in name:
        raise ProtocolError(ErrorCode.NICK_INVALID, "nickname must not contain double spaces")
    key = nick_key(name)
    if key in _reserved_keys() or _GUEST_PATTERN.fullmatch(key):
        raise ProtocolError(ErrorCode.NICK_RESERVED, f"nickname {name!r} is reserved")
    return name


def nick_key(name: str) -> str:
    """The identity of a nickname for uniqueness: equal for names that look alike.

    NFKC (fullwidth and other compatibility forms become plain ones), the UTS #39 skeleton
    (Cyrillic and Greek look-alikes become Latin, ``0`` becomes ``O``, ``rn`` and ``m`` meet),
    case folding, the skeleton again (for look-alikes that only lower case reveals), and finally
    ``i`` as ``l``: capital ``I`` is both the capital of ``i`` and a look-alike of ``l``, so
    "ALICE", "alice" and "AIice" can only all be one name if ``i`` and ``l`` are one letter.
    """
    folded = skeleton(skeleton(unicodedata.normalize("NFKC", name)).casefold()).casefold()
    return unicodedata.normalize("NFC", folded.replace("i", "l"))


def _reserved_keys() -> frozenset[str]:
    global _RESERVED_KEYS
    if _RESERVED_KEYS is None:
        _RESERVED_KEYS = frozenset(nick_key(name) for name in RESERVED_NICKS)
    return _RESERVED_KEYS


_RESERVED_KEYS: frozenset[str] | None = None


def validate_room(raw: str | None) -> str:
    """Return the canonical room name; missing or empty means ``default``.

    Room names are 1-64 letters, digits, ``_``, ``.`` or ``-`` (any script), starting with a
    letter, digit or ``_``; they are NFC-normalised and case-sensitive.
    """
    if raw is None or raw == "":
        return DEFAULT_ROOM
    room = unicodedata.normalize("NFC", raw)
    if len(room) > MAX_ROOM_CHARS:
        raise ProtocolError(
            ErrorCode.ROOM_INVALID, f"room name must be at most {MAX_ROOM_CHARS} characters"
        )
    if not _ROOM_PATTERN.fullmatch(room):
        raise ProtocolError(
            ErrorCode.ROOM_INVALID,
            "room name may hold only letters, digits, '_', '.' and '-'",
        )
    return room


def validate_text(text: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Check a chat line: not blank, no control characters but tab and newline, bounded length.

    ``\\r\\n`` and lone ``\\r`` become ``\\n``.
    """
    if len(text) > max_chars:  # as sent: ``\r\n`` counts as two
        raise ProtocolError(
            ErrorCode.TOO_LONG, f"message is {len(text)} characters; the limit is {max_chars}"
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ProtocolError(ErrorCode.EMPTY_MESSAGE, "message text is empty")
    bad = _FORBIDDEN_TEXT.search(text)
    if bad:
        raise ProtocolError(
            ErrorCode.BAD_TEXT,
            f"message contains the control character U+{ord(bad.group()):04X}",
        )
    return text


def decode_message(b64: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Decode the base64 ``Message`` of a client line into validated text.

    The bytes are read as UTF-8; bytes that are not valid UTF-8 are read as Latin-1, which is what
    the tutorial's page sends (it encodes with ``btoa``).
    """
    # The longest valid text is max_chars characters of 4 UTF-8 bytes each: refuse a longer
    # Message before spending time on decoding it.
    if len(b64) > (max_chars * 4 + 2) // 3 * 4:
        raise ProtocolError(
            ErrorCode.TOO_LONG, f"message is longer than the limit of {max_chars} characters"
        )
    try:
        raw = binascii.a2b_base64(b64, strict_mode=True)
    except (binascii.Error, ValueError):
        raise ProtocolError(ErrorCode.BAD_BASE64, "Message is not valid base64") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return validate_text(text, max_chars)


def encode_text(text: str) -> str:
    """Base64 of the UTF-8 bytes of ``text``: the form of every ``Message`` field."""
    return binascii.b2a_base64(text.encode("utf-8"), newline=False).decode("ascii")


# ---------------------------------------------------------------------------------------------
# Commands (client -> server)
# ---------------------------------------------------------------------------------------------


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


ROLES: Final = ("moderator", "member", "none")


@record
class SetRole:
    """Make the account ``name`` a moderator or an invited member of ``room``, or neither."""

    room: str
    name: str
    role: str
    ref: Ref | None = None


MODERATION_ACTIONS: Final = ("kick", "ban", "unban", "mute", "unmute")


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


def validate_line(raw: str, what: str, max_chars: int) -> str:
    """A one-line text such as a topic or a reason: no control characters, bounded, trimmed."""
    text = unicodedata.normalize("NFC", raw).strip()
    # The limit holds for the text as sent too, not only for what is left after trimming.
    if len(raw) > max_chars or len(text) > max_chars:
        raise ProtocolError(ErrorCode.TOO_LONG, f"{what} must be at most {max_chars} characters")
    for char in text:
        if unicodedata.category(char) in _FORBIDDEN_NICK_CATEGORIES:
            raise ProtocolError(
                ErrorCode.BAD_TEXT, f"{what} contains a forbidden character U+{ord(char):04X}"
            )
    return text


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in item)
    return False


class _Fields:
    """Typed access to the fields of one client frame, raising precise errors."""

    __slots__ = ("data", "ref")

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.ref: Ref | None = None
        ref = data.get("Ref")
        if ref is None:
            return
        if isinstance(ref, bool) or not isinstance(ref, str | int):
            raise ProtocolError(ErrorCode.BAD_FIELD, "Ref must be a string or an integer")
        if isinstance(ref, str) and not 0 < len(ref) <= MAX_REF_CHARS:
            raise ProtocolError(ErrorCode.BAD_FIELD, f"Ref must be 1-{MAX_REF_CHARS} characters")
        if isinstance(ref, int) and not 0 <= ref < 2**53:
            raise ProtocolError(ErrorCode.BAD_FIELD, "Ref must be between 0 and 2^53")
        self.ref = ref

    def fail(self, code: ErrorCode, message: str) -> ProtocolError:
        return ProtocolError(code, message, self.ref)

    def required_str(self, key: str) -> str:
        if key not in self.data:
            raise self.fail(ErrorCode.MISSING_FIELD, f"{key} is required")
        return self.optional_str(key) or ""

    def optional_str(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(ErrorCode.BAD_FIELD, f"{key} must be a string")
        return value

    def optional_int(self, key: str, low: int, high: int) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(ErrorCode.BAD_FIELD, f"{key} must be an integer")
        if not low <= value <= high:
            raise self.fail(ErrorCode.BAD_FIELD, f"{key} must be between {low} and {high}")
        return value

    def optional_bool(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.fail(ErrorCode.BAD_FIELD, f"{key} must be true or false")
        return value

    def line(self, key: str, max_chars: int) -> str:
        raw = self.optional_str(key) or ""
        try:
            return validate_line(raw, key, max_chars)
        except ProtocolError as exc:
            raise self.fail(exc.code, exc.message) from None

    def room(self, key: str = "Room", *, required: bool = False) -> str | None:
        raw = self.required_str(key) if required else self.optional_str(key)
        if raw is None:
            return None
        try:
            return validate_room(raw)
        except ProtocolError as exc:
            raise self.fail(exc.code, exc.message) from None


_MAX_ID: Final = 2**63 - 1
_PLAIN_LINE_KEYS: Final = frozenset({"Message", "Author"})


def parse(data: str | bytes, max_text_chars: int = MAX_TEXT_CHARS) -> Command:
    """Turn one text frame from a client into a command, or raise ``ProtocolError``."""
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):  # orjson stops at 1024 levels
            raise ProtocolError(
                ErrorCode.TOO_DEEP, f"frame nests deeper than {MAX_JSON_DEPTH} levels"
            ) from None
        raise ProtocolError(ErrorCode.BAD_JSON, "frame is not valid JSON") from None
    if not isinstance(obj, dict):
        raise ProtocolError(ErrorCode.NOT_OBJECT, "frame must be a JSON object")
    if obj.keys() <= _PLAIN_LINE_KEYS:
        # The tutorial's chat line, most of what a server reads: skip the general field checks.
        message, author = obj.get("Message"), obj.get("Author")
        if type(message) is str and (author is None or type(author) is str):
            return SendChat(decode_message(message, max_text_chars), author or None)
    nested = any(isinstance(value, dict | list) for value in obj.values())
    if nested and _depth_exceeds(obj, MAX_JSON_DEPTH):
        raise ProtocolError(ErrorCode.TOO_DEEP, f"frame nests deeper than {MAX_JSON_DEPTH} levels")
    fields = _Fields(obj)
    kind = obj.get("Type")
    if kind is None or kind == "Chat":
        message = fields.required_str("Message")
        try:
            text = decode_message(message, max_text_chars)
        except ProtocolError as exc:
            raise fields.fail(exc.code, exc.message) from None
        author = fields.optional_str("Author")
        return SendChat(text, author or None, fields.room(), fields.ref)
    if not isinstance(kind, str):
        raise fields.fail(ErrorCode.BAD_FIELD, "Type must be a string")
    if kind == "Nick":
        return SetNick(fields.required_str("Name"), fields.ref)
    if kind == "Join":
        room = fields.room(required=True)
        assert room is not None
        return JoinRoom(room, fields.optional_int("Since", 0, _MAX_ID), fields.ref)
    if kind == "Leave":
        room = fields.room(required=True)
        assert room is not None
        return LeaveRoom(room, fields.ref)
    if kind == "History":
        limit = fields.optional_int("Limit", 1, MAX_HISTORY_LIMIT)
        return FetchHistory(
            fields.room(),
            fields.optional_int("Before", 1, _MAX_ID),
            DEFAULT_HISTORY_LIMIT if limit is None else limit,
            fields.ref,
        )
    if kind == "Ping":
        return Ping(fields.ref)
    return _parse_administration(kind, fields)


def _parse_administration(kind: str, fields: _Fields) -> Command:
    """The commands of room owners and moderators."""
    if kind not in _ADMINISTRATION:
        raise fields.fail(ErrorCode.UNKNOWN_TYPE, f"unknown Type {kind[:40]!r}")
    room = fields.room(required=True)
    assert room is not None
    if kind == "Create":
        return CreateRoom(
            room,
            bool(fields.optional_bool("Private")),
            fields.line("Topic", MAX_TOPIC_CHARS),
            fields.ref,
        )
    if kind == "Topic":
        fields.required_str("Topic")
        return SetTopic(room, fields.line("Topic", MAX_TOPIC_CHARS), fields.ref)
    if kind == "Delete":
        message_id = fields.optional_int("ID", 1, _MAX_ID)
        if message_id is None:
            raise fields.fail(ErrorCode.MISSING_FIELD, "ID is required")
        return DeleteMessage(room, message_id, fields.ref)
    name = fields.required_str("Name")
    if not name:
        raise fields.fail(ErrorCode.BAD_FIELD, "Name must not be empty")
    if kind == "Role":
        role = fields.required_str("Role")
        if role not in ROLES:
            raise fields.fail(ErrorCode.BAD_FIELD, f"Role must be one of {', '.join(ROLES)}")
        return SetRole(room, name, role, fields.ref)
    action = kind.lower()
    duration = (
        fields.optional_int("Duration", 1, MAX_SANCTION_SECONDS)
        if action in ("ban", "mute")
        else None
    )
    return Moderate(
        action, room, name, duration, fields.line("Reason", MAX_REASON_CHARS), fields.ref
    )


_ADMINISTRATION: Final = frozenset(
    {"Create", "Topic", "Role", "Delete", "Kick", "Ban", "Unban", "Mute", "Unmute"}
)


# ---------------------------------------------------------------------------------------------
# Events (server -> client)
# ---------------------------------------------------------------------------------------------


@record
class ChatMessage:
    """A stored chat message: the unit of history and of fan-out."""

    room: str
    id: int
    author: str
    text: str
    wsid: str
    sent_ms: int

    def as_frame_object(self) -> dict[str, Any]:
        second, millis = divmod(self.sent_ms, 1000)
        sent, iso_second = _second_texts(second)
        return {
            "Type": "Chat",
            "Message": encode_text(self.text),
            "Author": self.author,
            "Room": self.room,
            "WSID": self.wsid,
            "Sent": sent,
            "ID": self.id,
            "Time": iso_second + _MILLIS_SUFFIXES[millis],
        }


def encode(obj: dict[str, Any]) -> bytes:
    """Serialise one frame object to the UTF-8 JSON text of a frame."""
    return orjson.dumps(obj)


def encode_chat(message: ChatMessage) -> bytes:
    return orjson.dumps(message.as_frame_object())


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
    status: dict[str, Any] = {
        "Type": "Status",
        "WSID": wsid,
        "Message": encode_text(text),
        "Nick": nick,
        "Room": room,
        "Session": session,
        "Version": version,
    }
    if user is not None:
        status["User"] = user
    if admin:
        status["Admin"] = True
    return orjson.dumps(status)


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
    frame: dict[str, Any] = {
        "Type": "Room",
        "Room": room,
        "Topic": topic,
        "Private": private,
        "Moderators": moderators,
        "Role": role,
    }
    if owner is not None:
        frame["Owner"] = owner
    return orjson.dumps(_with_ref(frame, ref))


def encode_deleted(room: str, message_id: int) -> bytes:
    return orjson.dumps({"Type": "Deleted", "Room": room, "ID": message_id})


def encode_kicked(room: str, *, by: str, reason: str, banned: bool, until_ms: int | None) -> bytes:
    frame: dict[str, Any] = {
        "Type": "Kicked",
        "Room": room,
        "By": by,
        "Reason": reason,
        "Banned": banned,
    }
    if until_ms is not None:
        frame["Until"] = iso_time(until_ms)
    return orjson.dumps(frame)


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
    frame: dict[str, Any] = {"Type": "Moderated", "Action": action, "Room": room}
    if name is not None:
        frame["Name"] = name
    if message_id is not None:
        frame["ID"] = message_id
    if until_ms is not None:
        frame["Until"] = iso_time(until_ms)
    return orjson.dumps(_with_ref(frame, ref))


def encode_userlist(room: str, names: list[str]) -> bytes:
    return orjson.dumps({"Type": "userlist", "Room": room, "Users": [{"Name": n} for n in names]})


def encode_presence(room: str, joined: list[str], left: list[str]) -> bytes:
    """The opt-in diff form of ``userlist``: who joined and who left since the last one."""
    return orjson.dumps({"Type": "Presence", "Room": room, "Joined": joined, "Left": left})


def encode_nick(name: str, old: str, ref: Ref | None) -> bytes:
    return orjson.dumps(_with_ref({"Type": "Nick", "Name": name, "Old": old}, ref))


def encode_joined(
    room: str, last_id: int, ref: Ref | None, *, backlog: int = 0, truncated: bool = False
) -> bytes:
    """``Backlog`` is the number of ``Chat`` frames of history that follow before live ones."""
    joined: dict[str, Any] = {"Type": "Joined", "Room": room, "LastID": last_id, "Backlog": backlog}
    if truncated:
        joined["Truncated"] = True
    return orjson.dumps(_with_ref(joined, ref))


def encode_left(room: str, ref: Ref | None) -> bytes:
    return orjson.dumps(_with_ref({"Type": "Left", "Room": room}, ref))


def encode_history(room: str, messages: list[ChatMessage], more: bool, ref: Ref | None) -> bytes:
    return orjson.dumps(
        _with_ref(
            {
                "Type": "History",
                "Room": room,
                "Messages": [m.as_frame_object() for m in messages],
                "More": more,
            },
            ref,
        )
    )


def encode_ack(message_id: int, room: str, ref: Ref) -> bytes:
    return orjson.dumps({"Type": "Ack", "Ref": ref, "ID": message_id, "Room": room})


def encode_error(error: ProtocolError) -> bytes:
    frame: dict[str, Any] = {"Type": "Error", "Code": str(error.code), "Message": error.message}
    if error.retry_after is not None:
        frame["RetryAfter"] = round(error.retry_after, 2)
    return orjson.dumps(_with_ref(frame, error.ref))


def encode_pong(ref: Ref | None, now_ms: int) -> bytes:
    return orjson.dumps(_with_ref({"Type": "Pong", "Time": now_ms}, ref))


def _with_ref(obj: dict[str, Any], ref: Ref | None) -> dict[str, Any]:
    if ref is not None:
        obj["Ref"] = ref
    return obj
