"""The texts a client sends: chat lines (base64 in ``Message``), one-line texts, room names,
reactions."""

from __future__ import annotations

import binascii
import re
import unicodedata
from typing import Final

import emoji

from roomcast.wire.errors import ErrorCode, ProtocolError
from roomcast.wire.limits import DEFAULT_ROOM, MAX_ROOM_CHARS, MAX_TEXT_CHARS
from roomcast.wire.nicknames import FORBIDDEN_CATEGORIES

_ROOM_PATTERN: Final = re.compile(r"[\w][\w.\-]*")
_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# C0 controls except tab and newline, DEL and C1 controls; lone surrogates (only a JSON "\ud800"
# escape can make one), which are not text and cannot be stored or sent as UTF-8.
_FORBIDDEN_TEXT: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SHORT_NAME: Final = re.compile(r":[a-z0-9_+\-]{2,32}:")


def validate_room(raw: str | None) -> str:
    """Return the canonical room name; missing or empty means ``default``.

    Room names are 1-64 letters, digits, ``_``, ``.`` or ``-`` (any script), starting with a
    letter, digit or ``_``; they are NFC-normalised. Two names are one room when their
    ``room_key`` is equal; the store gives the spelling the room was first given.
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


def room_key(name: str) -> str:
    """The identity of a room name: equal for ``Dev``, ``DEV`` and ``dev``.

    Only the ASCII letters A-Z fold (to a-z); every other character compares as it is (after
    the NFC of ``validate_room``). That is the one folding SQLite, PostgreSQL (in any locale)
    and Python compute alike, so a migration can compute the same key in SQL.
    """
    return name.translate(_ASCII_LOWER)


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


def validate_line(raw: str, what: str, max_chars: int) -> str:
    """A one-line text such as a topic or a reason: no control characters, bounded, trimmed."""
    text = unicodedata.normalize("NFC", raw).strip()
    # The limit holds for the text as sent too, not only for what is left after trimming.
    if len(raw) > max_chars or len(text) > max_chars:
        raise ProtocolError(ErrorCode.TOO_LONG, f"{what} must be at most {max_chars} characters")
    for char in text:
        if unicodedata.category(char) in FORBIDDEN_CATEGORIES:
            raise ProtocolError(
                ErrorCode.BAD_TEXT, f"{what} contains a forbidden character U+{ord(char):04X}"
            )
    return text


def validate_emoji(value: str) -> str:
    """A reaction: one emoji (one grapheme cluster) or a ``:short_name:``."""
    if _SHORT_NAME.fullmatch(value) or emoji.is_emoji(value):
        return value
    raise ProtocolError(
        ErrorCode.BAD_FIELD,
        "Emoji must be one emoji or a :short_name: (2-32 characters of a-z 0-9 _ + -)",
    )
