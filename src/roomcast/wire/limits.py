"""Every limit and fixed name of the chat protocol a client can see: sizes, ranges, roles."""

from __future__ import annotations

from typing import Final

DEFAULT_ROOM: Final = "default"
MAX_TEXT_CHARS: Final = 4000
MAX_FRAME_BYTES: Final = 64 * 1024
MAX_NICK_CHARS: Final = 32
MAX_ROOM_CHARS: Final = 64
MAX_REF_CHARS: Final = 64
# An integer Ref stays below 2^53, so JavaScript clients read it exactly.
MAX_INT_REF: Final = 2**53 - 1
# Message IDs and Since/Before are signed 64-bit integers.
MAX_ID: Final = 2**63 - 1
MAX_HISTORY_LIMIT: Final = 200
DEFAULT_HISTORY_LIMIT: Final = 50
# A Members page (big rooms), and the userlist_max default: rooms over it get userlist frames
# with the first names and Count, and page the rest with Members.
MAX_MEMBERS_LIMIT: Final = 200
DEFAULT_USERLIST_MAX: Final = 500
MAX_JSON_DEPTH: Final = 8
MAX_TOPIC_CHARS: Final = 200
MAX_REASON_CHARS: Final = 200
# Distinct emoji on one message, and the longest reaction (a :short_name: with its colons).
MAX_REACTIONS: Final = 20
MAX_EMOJI_CHARS: Final = 34
# Other people in one direct conversation, and the start of the name of every one (no other
# room may have it).
MAX_DIRECT_NAMES: Final = 8
DIRECT_ROOM_PREFIX: Final = "dm."
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

ROLES: Final = ("moderator", "member", "none")
MODERATION_ACTIONS: Final = ("kick", "ban", "unban", "mute", "unmute")
# Search: the longest query, and how many lines one page of results holds.
MAX_QUERY_CHARS: Final = 200
DEFAULT_SEARCH_LIMIT: Final = 20
MAX_SEARCH_LIMIT: Final = 100
