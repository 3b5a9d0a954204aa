"""A notification for an account that is away: built from a chat line, and written as the signed
webhook request that carries it.

The chat layer calls ``notification_for`` for each mention or direct line of an account and
enqueues the result; the notifier turns it into ``webhook_body`` (compact JSON, its keys in the
contract's order) and ``webhook_headers`` (the HMAC-SHA256 signature over exactly those bytes,
and the notification's ID as the ``Idempotency-Key`` of every retry).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
import uuid
from typing import Final

from roomcast.store.people import Notification
from roomcast.wire.encode import ChatMessage, iso_time

MENTION: Final = "mention"
DIRECT: Final = "direct"
KINDS: Final = (MENTION, DIRECT)

EXCERPT_CHARS: Final = 200
SIGNATURE_HEADER: Final = "X-Roomcast-Signature"

_ZWJ: Final = "\u200d"


def notification_for(
    account_id: str,
    account_name: str,
    message: ChatMessage,
    kind: str,
    delay_ms: int,
    now_ms: int,
) -> Notification:
    """The notification of ``message`` for the account, first due ``delay_ms`` after ``now_ms``.

    ``kind`` is ``MENTION`` or ``DIRECT``; the ID is fresh (a UUID4 in hex).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    return Notification(
        id=uuid.uuid4().hex,
        account_id=account_id,
        account=account_name,
        room=message.room,
        message_id=message.id,
        author=message.author,
        excerpt=excerpt(message.text),
        kind=kind,
        time_ms=message.sent_ms,
        due_ms=now_ms + delay_ms,
    )


def _extends(char: str) -> bool:
    """Whether ``char`` belongs to the grapheme cluster of the character before it."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")  # combining marks
        or char == _ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF  # skin tone modifiers
        or 0xE0020 <= code <= 0xE007F  # emoji tag sequences (subdivision flags)
    )


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters (code points), never inside a grapheme cluster.

    A cut that would split a cluster (a letter from its combining marks, an emoji from its
    modifier, a ZWJ sequence, a flag's pair of regional indicators) drops the whole cluster, so
    the excerpt may be a few characters shorter; a single cluster longer than ``limit`` is cut
    at ``limit`` all the same. The clusters are approximated from the character classes above,
    without the Unicode segmentation tables.
    """
    if len(text) <= limit:
        return text
    cut = limit
    while cut > 0 and (_extends(text[cut]) or text[cut - 1] == _ZWJ):
        cut -= 1
    if cut > 0 and _regional(text[cut]) and _regional(text[cut - 1]):
        run = 0
        while run < cut and _regional(text[cut - 1 - run]):
            run += 1
        cut -= run % 2  # an odd run before the cut: its last indicator pairs with the next
    return text[:cut] if cut > 0 else text[:limit]


def webhook_body(notification: Notification) -> bytes:
    """The JSON object POSTed for ``notification``: compact UTF-8, keys in the contract's order."""
    return json.dumps(
        {
            "account": notification.account,
            "room": notification.room,
            "id": notification.message_id,
            "author": notification.author,
            "excerpt": notification.excerpt,
            "kind": notification.kind,
            "time": iso_time(notification.time_ms),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    """The ``X-Roomcast-Signature`` value: ``sha256=`` and the hex HMAC-SHA256 of ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def webhook_headers(notification_id: str, body: bytes, secret: str) -> dict[str, str]:
    """The headers of the webhook request carrying ``body``; the same on every retry."""
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, body),
        "Idempotency-Key": notification_id,
    }
