"""Nicknames: which are allowed, their canonical form, and when two of them are the same name."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Final

from roomcast.wire.confusables import skeleton
from roomcast.wire.errors import ErrorCode, ProtocolError
from roomcast.wire.limits import MAX_NICK_CHARS, RESERVED_NICKS

# Characters never allowed in a nickname: controls, format characters (zero-width, bidi
# overrides), surrogates, private use, unassigned, and every separator but the plain space.
FORBIDDEN_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_GUEST_PATTERN: Final = re.compile(r"guest-[0-9a-z]+", re.IGNORECASE)


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
        if category in FORBIDDEN_CATEGORIES or (category == "Zs" and char != " "):
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
    key = unicodedata.normalize("NFC", folded.replace("i", "l"))
    # A name that is its own key (many guest names) gives the claims of nicknames the name's own
    # string to hold rather than a copy: 59 bytes per connection.
    return name if key == name else key


def name_key(name: str) -> str:
    """The key a name someone typed is looked up by (an account, a member): its nickname's key
    once it is a valid nickname, else the key of the text as typed."""
    try:
        return nick_key(validate_nick(name))
    except ProtocolError:
        return nick_key(name)


@functools.cache
def _reserved_keys() -> frozenset[str]:
    """The keys of the reserved names, computed on first use (the skeleton table loads late)."""
    return frozenset(nick_key(name) for name in RESERVED_NICKS)
