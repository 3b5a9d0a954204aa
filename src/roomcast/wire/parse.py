"""Client frame text in, a validated command out, or a ``ProtocolError`` with today's code.

A frame that is exactly one of the classes in ``frames`` (every chat line the tutorial and the
web client send, and the commands) is decoded and typed by msgspec in C, then each field's value
check runs in declaration order. Any other frame takes the slower path that decides every
error: orjson's JSON grammar, then the rules read from the frame's class (required keys, JSON
types, integer bounds) field by field in declaration order, each field's value check right after
its type, so a frame with several faults is refused for the first of them. That path accepts what
the classes refuse but the protocol allows: unknown keys, a ``null`` for an absent optional key
or for ``""`` in a required text, names that are within limits once NFC-normalised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import msgspec
import orjson

from roomcast.wire import frames, member_frames, search_frames
from roomcast.wire.attachments import MAX_ATTACHMENTS
from roomcast.wire.commands import (
    Command,
    CreateRoom,
    DeleteMessage,
    EditMessage,
    FetchEdits,
    FetchHistory,
    JoinRoom,
    LeaveRoom,
    MarkRead,
    Moderate,
    Ping,
    React,
    SendChat,
    SetBlock,
    SetNick,
    SetRole,
    SetTopic,
    StartDirect,
    Typing,
)
from roomcast.wire.errors import ErrorCode, ProtocolError, Ref
from roomcast.wire.limits import (
    MAX_INT_REF,
    MAX_JSON_DEPTH,
    MAX_NICK_CHARS,
    MAX_REASON_CHARS,
    MAX_REF_CHARS,
    MAX_TEXT_CHARS,
    MAX_TOPIC_CHARS,
    ROLES,
)
from roomcast.wire.member_frames import ListMembers
from roomcast.wire.search_frames import SearchMessages
from roomcast.wire.text import decode_message, validate_emoji, validate_line, validate_room

# A value check of one field: the value (None only for an absent optional key) and the
# server's text limit in, the value the command gets out.
ValueCheck = Callable[[Any, int], Any]
Values = dict[str, Any]


@dataclass(frozen=True, slots=True)
class _FieldRule:
    """What one field of a client frame accepts, read from its annotation in ``frames``."""

    key: str
    required: bool
    default: Any
    kind: type  # str, int, bool or list (of strings)
    low: int | None
    high: int | None
    check: ValueCheck | None

    def value(self, data: dict[str, Any], max_text_chars: int) -> Any:
        value = data.get(self.key)
        if value is None:
            if self.required and (self.key not in data or self.kind is not str):
                raise ProtocolError(ErrorCode.MISSING_FIELD, f"{self.key} is required")
            value = "" if self.required else self.default
        elif self.kind is str:
            if not isinstance(value, str):
                raise ProtocolError(ErrorCode.BAD_FIELD, f"{self.key} must be a string")
        elif self.kind is bool:
            if not isinstance(value, bool):
                raise ProtocolError(ErrorCode.BAD_FIELD, f"{self.key} must be true or false")
        elif self.kind is list:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ProtocolError(ErrorCode.BAD_FIELD, f"{self.key} must be a list of strings")
            if not (self.low or 0) <= len(value) <= (self.high or len(value)):
                raise ProtocolError(
                    ErrorCode.BAD_FIELD,
                    f"{self.key} must hold between {self.low} and {self.high} names",
                )
        elif isinstance(value, bool) or not isinstance(value, int):
            raise ProtocolError(ErrorCode.BAD_FIELD, f"{self.key} must be an integer")
        elif (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            raise ProtocolError(
                ErrorCode.BAD_FIELD, f"{self.key} must be between {self.low} and {self.high}"
            )
        return self.checked(value, max_text_chars)

    def checked(self, value: Any, max_text_chars: int) -> Any:
        """``value``, of the right type, after the field's value check."""
        return value if self.check is None else self.check(value, max_text_chars)


def _base_type(node: msgspec.inspect.Type) -> msgspec.inspect.Type:
    """The type of a field without ``| None`` and without ``Meta`` descriptions."""
    if isinstance(node, msgspec.inspect.UnionType):
        (node,) = (t for t in node.types if not isinstance(t, msgspec.inspect.NoneType))
    while isinstance(node, msgspec.inspect.Metadata):
        node = node.type
    return node


_KINDS: Final[dict[type[msgspec.inspect.Type], type]] = {
    msgspec.inspect.StrType: str,
    msgspec.inspect.LiteralType: str,
    msgspec.inspect.IntType: int,
    msgspec.inspect.BoolType: bool,
    msgspec.inspect.ListType: list,
}


def _rules(frame: type[msgspec.Struct], checks: dict[str, ValueCheck]) -> tuple[_FieldRule, ...]:
    """The field rules of ``frame`` in declaration order (``Type`` and ``Ref`` are read first)."""
    info = msgspec.inspect.type_info(frame)
    assert isinstance(info, msgspec.inspect.StructType)
    rules = []
    for field in info.fields:
        if field.encode_name in ("Type", "Ref"):
            continue
        base = _base_type(field.type)
        low = high = None
        if isinstance(base, msgspec.inspect.IntType):
            low, high = base.ge, base.le
        elif isinstance(base, msgspec.inspect.ListType):
            low, high = base.min_length, base.max_length
        rules.append(
            _FieldRule(
                key=field.encode_name,
                required=field.required,
                default=None if field.default is msgspec.NODEFAULT else field.default,
                kind=_KINDS[type(base)],
                low=low,
                high=high,
                check=checks.get(field.encode_name),
            )
        )
    return tuple(rules)


def _room(value: str | None, _limit: int) -> str | None:
    return None if value is None else validate_room(value)


def _message(value: str, limit: int) -> str:
    return decode_message(value, limit)


def _topic(value: str, _limit: int) -> str:
    return validate_line(value, "Topic", MAX_TOPIC_CHARS)


def _reason(value: str, _limit: int) -> str:
    return validate_line(value, "Reason", MAX_REASON_CHARS)


def _account(value: str, _limit: int) -> str:
    if not value:
        raise ProtocolError(ErrorCode.BAD_FIELD, "Name must not be empty")
    return value


def _role(value: str, _limit: int) -> str:
    if value not in ROLES:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"Role must be one of {', '.join(ROLES)}")
    return value


def _emoji(value: str, _limit: int) -> str:
    return validate_emoji(value)


def _names(value: list[str], _limit: int) -> list[str]:
    if any(not name for name in value):
        raise ProtocolError(ErrorCode.BAD_FIELD, "Names must not be empty")
    return value


def _after(value: str | None, _limit: int) -> str | None:
    """A page's starting name: any text of a nickname's length (it need not be a member)."""
    if value is not None and not 0 < len(value) <= MAX_NICK_CHARS:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"After must be 1-{MAX_NICK_CHARS} characters")
    return value


def _line_text(value: str, limit: int) -> str:
    """A line's text, "" when blank: a line of attachments may have none (``_line`` checks)."""
    try:
        return decode_message(value, limit)
    except ProtocolError as exc:
        if exc.code is not ErrorCode.EMPTY_MESSAGE:
            raise
        return ""


def _attachments(value: list[str] | None, _limit: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if not value:
        raise ProtocolError(ErrorCode.BAD_FIELD, "Attachments must not be empty")
    if len(value) > MAX_ATTACHMENTS:
        raise ProtocolError(
            ErrorCode.TOO_MANY_ATTACHMENTS, f"a line carries at most {MAX_ATTACHMENTS} files"
        )
    if len(set(value)) != len(value):
        raise ProtocolError(ErrorCode.BAD_FIELD, "Attachments names an upload twice")
    return tuple(value)


def _line(v: Values, ref: Ref | None) -> SendChat:
    attachments = v["Attachments"]
    if not v["Message"] and not attachments:
        raise ProtocolError(ErrorCode.EMPTY_MESSAGE, "message text is empty")
    return SendChat(
        v["Message"], v["Author"] or None, v["Room"], ref, v["ReplyTo"], v["Thread"], attachments
    )


_CHECKS: Final[dict[str, ValueCheck]] = {
    "Room": _room,
    "Message": _message,
    "Topic": _topic,
    "Reason": _reason,
    "Role": _role,
    "Emoji": _emoji,
}
_NAMED_CHECKS: Final = {**_CHECKS, "Name": _account}

Build = Callable[[Values, Ref | None], Command]


def _delete(values: Values, ref: Ref | None) -> DeleteMessage:
    target = values["Target"] if values["Target"] is not None else values["ID"]
    if target is None:
        raise ProtocolError(ErrorCode.MISSING_FIELD, "Target is required")
    return DeleteMessage(values["Room"], target, ref)


def _moderate(action: str) -> Build:
    return lambda v, ref: Moderate(
        action, v["Room"], v["Name"], v.get("Duration"), v["Reason"], ref
    )


Rules = tuple[_FieldRule, ...]
Kind = tuple[type[msgspec.Struct], Rules, Build]


def _kind(frame: type[msgspec.Struct], checks: dict[str, ValueCheck], build: Build) -> Kind:
    return frame, _rules(frame, checks), build


# Type -> (the frame's class, its field rules, the command built from the checked values).
_FRAMES: Final[dict[str | None, Kind]] = {
    None: _kind(
        frames.ChatLine,
        {**_CHECKS, "Message": _line_text, "Attachments": _attachments},
        _line,
    ),
    "Nick": _kind(
        frames.NickCommand,
        {},
        lambda v, ref: SetNick(v["Name"], ref),
    ),
    "Join": _kind(
        frames.JoinCommand,
        _CHECKS,
        lambda v, ref: JoinRoom(v["Room"], v["Since"], ref),
    ),
    "Leave": _kind(
        frames.LeaveCommand,
        _CHECKS,
        lambda v, ref: LeaveRoom(v["Room"], ref),
    ),
    "History": _kind(
        frames.HistoryCommand,
        _CHECKS,
        lambda v, ref: FetchHistory(
            v["Room"], v["Before"], v["Limit"], ref, v["Thread"], v["Around"], v["After"]
        ),
    ),
    "Ping": _kind(frames.PingCommand, {}, lambda v, ref: Ping(ref)),
    "Create": _kind(
        frames.CreateCommand,
        _CHECKS,
        lambda v, ref: CreateRoom(v["Room"], v["Private"], v["Topic"], ref),
    ),
    "Topic": _kind(
        frames.TopicCommand,
        _CHECKS,
        lambda v, ref: SetTopic(v["Room"], v["Topic"], ref),
    ),
    "Edit": _kind(
        frames.EditCommand,
        _CHECKS,
        lambda v, ref: EditMessage(v["Room"], v["Target"], v["Message"], ref),
    ),
    "Delete": _kind(frames.DeleteCommand, _CHECKS, _delete),
    "React": _kind(
        frames.ReactCommand,
        _CHECKS,
        lambda v, ref: React(v["Room"], v["Target"], v["Emoji"], v["Remove"], ref),
    ),
    "Typing": _kind(
        frames.TypingCommand,
        _CHECKS,
        lambda v, ref: Typing(v["Room"], v["Stop"], ref),
    ),
    "Read": _kind(
        frames.ReadCommand,
        _CHECKS,
        lambda v, ref: MarkRead(v["Room"], v["ID"], ref),
    ),
    "Direct": _kind(
        frames.DirectCommand,
        {"Names": _names},
        lambda v, ref: StartDirect(tuple(v["Names"]), ref),
    ),
    "Block": _kind(
        frames.BlockCommand,
        _NAMED_CHECKS,
        lambda v, ref: SetBlock(v["Name"], True, ref),
    ),
    "Unblock": _kind(
        frames.UnblockCommand,
        _NAMED_CHECKS,
        lambda v, ref: SetBlock(v["Name"], False, ref),
    ),
    "Edits": _kind(
        frames.EditsCommand,
        _CHECKS,
        lambda v, ref: FetchEdits(v["Room"], v["Target"], ref),
    ),
    "Role": _kind(
        frames.RoleCommand,
        _NAMED_CHECKS,
        lambda v, ref: SetRole(v["Room"], v["Name"], v["Role"], ref),
    ),
    "Search": _kind(
        search_frames.SearchCommand,
        _CHECKS,
        lambda v, ref: SearchMessages(
            v["Query"], v["Room"], v["Author"], v["Before"], v["Limit"], ref
        ),
    ),
    "Members": _kind(
        member_frames.MembersCommand,
        {**_CHECKS, "After": _after},
        lambda v, ref: ListMembers(v["Room"], v["After"], v["Limit"], ref),
    ),
    **{
        action.capitalize(): _kind(frame, _NAMED_CHECKS, _moderate(action))
        for action, frame in frames.MODERATION_COMMANDS.items()
    },
}
_FRAMES["Chat"] = _FRAMES[None]
_BY_CLASS: Final = {frame: (rules, build) for frame, rules, build in _FRAMES.values()}

_TUTORIAL_LINE: Final = msgspec.json.Decoder(frames.TutorialLine)
# Chat lines first: they are most of what a server reads.
_DECODERS: Final = (
    msgspec.json.Decoder(frames.ChatLine),
    msgspec.json.Decoder(
        frames.CommandFrame | search_frames.SearchCommand | member_frames.MembersCommand
    ),
)
# What msgspec raises for a frame that is not of the class asked for: another shape, not JSON
# (orjson's grammar decides), a lone surrogate, or nesting past msgspec's depth (the
# field-by-field path then says too_deep).
_NOT_THIS_FRAME: Final = (
    msgspec.ValidationError,
    msgspec.DecodeError,
    UnicodeEncodeError,
    RecursionError,
)
_TOO_DEEP: Final = f"frame nests deeper than {MAX_JSON_DEPTH} levels"


def parse(data: str | bytes, max_text_chars: int = MAX_TEXT_CHARS) -> Command:
    """Turn one text frame from a client into a command, or raise ``ProtocolError``."""
    try:
        line = _TUTORIAL_LINE.decode(data)
    except _NOT_THIS_FRAME:
        return _parse_typed(data, max_text_chars)
    # The tutorial's chat line: a ChatLine with no Room and no Ref, so no other check applies.
    return SendChat(decode_message(line.Message, max_text_chars), line.Author or None)


def _parse_typed(data: str | bytes, max_text_chars: int) -> Command:
    for decoder in _DECODERS:
        try:
            frame = decoder.decode(data)
        except _NOT_THIS_FRAME:
            continue
        rules, build = _BY_CLASS[type(frame)]
        ref = frame.Ref
        try:
            return build(
                {
                    rule.key: rule.checked(getattr(frame, rule.key), max_text_chars)
                    for rule in rules
                },
                ref,
            )
        except ProtocolError as exc:
            raise ProtocolError(exc.code, exc.message, ref) from None
    return _parse_frame(data, max_text_chars)


def _parse_frame(data: str | bytes, max_text_chars: int) -> Command:
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):  # orjson stops at 1024 levels
            raise ProtocolError(ErrorCode.TOO_DEEP, _TOO_DEEP) from None
        raise ProtocolError(ErrorCode.BAD_JSON, "frame is not valid JSON") from None
    if not isinstance(obj, dict):
        raise ProtocolError(ErrorCode.NOT_OBJECT, "frame must be a JSON object")
    nested = any(isinstance(value, dict | list) for value in obj.values())
    if nested and _depth_exceeds(obj, MAX_JSON_DEPTH):
        raise ProtocolError(ErrorCode.TOO_DEEP, _TOO_DEEP)
    ref = _ref(obj.get("Ref"))
    try:
        kind = obj.get("Type")
        if kind is not None and not isinstance(kind, str):
            raise ProtocolError(ErrorCode.BAD_FIELD, "Type must be a string")
        found = _FRAMES.get(kind)
        if found is None:
            assert kind is not None
            raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown Type {kind[:40]!r}")
        _, rules, build = found
        return build({rule.key: rule.value(obj, max_text_chars) for rule in rules}, ref)
    except ProtocolError as exc:
        raise ProtocolError(exc.code, exc.message, ref) from None


def _ref(value: object) -> Ref | None:
    """The frame's ``Ref``, checked before anything else so that every later error can echo it."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ProtocolError(ErrorCode.BAD_FIELD, "Ref must be a string or an integer")
    if isinstance(value, str) and not 0 < len(value) <= MAX_REF_CHARS:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"Ref must be 1-{MAX_REF_CHARS} characters")
    if isinstance(value, int) and not 0 <= value <= MAX_INT_REF:
        raise ProtocolError(ErrorCode.BAD_FIELD, "Ref must be between 0 and 2^53")
    return value


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
