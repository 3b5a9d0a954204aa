"""What a client is told when something fails: ``Error`` frame codes and WebSocket close codes."""

from __future__ import annotations

import enum
from typing import Final

# WebSocket close codes (RFC 6455, section 7.4.1) the server uses, and its own (4000-4999).
CLOSE_NORMAL: Final = 1000
CLOSE_GOING_AWAY: Final = 1001
CLOSE_PROTOCOL_ERROR: Final = 1002
CLOSE_UNSUPPORTED_DATA: Final = 1003
CLOSE_INVALID_DATA: Final = 1007
CLOSE_POLICY_VIOLATION: Final = 1008
CLOSE_MESSAGE_TOO_BIG: Final = 1009
CLOSE_SERVICE_RESTART: Final = 1012
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
    TOO_MANY = "too_many"
    RATE_LIMITED = "rate_limited"
    NICK_REGISTERED = "nick_registered"
    LOGIN_REQUIRED = "login_required"
    FORBIDDEN = "forbidden"
    BANNED = "banned"
    MUTED = "muted"
    NOT_FOUND = "not_found"
    ROOM_EXISTS = "room_exists"
    STORE_UNAVAILABLE = "store_unavailable"
    OUTCOME_UNKNOWN = "outcome_unknown"
    ATTACHMENT_NOT_FOUND = "attachment_not_found"
    ATTACHMENT_USED = "attachment_used"
    TOO_MANY_ATTACHMENTS = "too_many_attachments"
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
