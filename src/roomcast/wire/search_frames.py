"""The frames of search: ``Search`` from a client, ``Results`` back, and the ``Search`` command.

A result is a ``Chat`` frame exactly as ``History`` gives it, with ``Highlight``: the line's text
cut into segments, each ``[text, matched]``, whose texts joined are the line's text (the decoded
``Message``). The highlight is data: a client marks the matched segments itself, never inserting
them as HTML.
"""

from __future__ import annotations

from typing import Annotated, Final

import msgspec
from msgspec import Meta

from roomcast.record import record
from roomcast.wire.errors import Ref
from roomcast.wire.frames import (
    ChatFrame,
    ClientFrame,
    Nickname,
    RefValue,
    RoomName,
    ServerFrame,
)
from roomcast.wire.limits import DEFAULT_SEARCH_LIMIT, MAX_ID, MAX_QUERY_CHARS, MAX_SEARCH_LIMIT

_encode: Final = msgspec.json.Encoder().encode

# A highlight: segments of the text, each (text, matched).
Segments = list[tuple[str, bool]]


class SearchCommand(ClientFrame, tag="Search"):
    """Find lines by their words in every room one may read (public rooms, and private rooms and
    direct conversations one is a member of), whether joined or not.

    Query: words (all must occur), "phrases", -exclusions (of a word or a phrase) and prefix*
    words; case and diacritics are ignored."""

    Query: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            description='Words, "phrases", -exclusions and prefix* words',
        ),
    ]
    Room: (
        Annotated[RoomName, Meta(description="Only this room's lines (newest matches first)")]
        | None
    ) = None
    Author: Annotated[Nickname, Meta(description="Only the lines of this name")] | None = None
    Before: (
        Annotated[int, Meta(ge=1, le=MAX_ID, description="Only lines with a lower ID")] | None
    ) = None
    Limit: Annotated[int, Meta(ge=1, le=MAX_SEARCH_LIMIT)] = DEFAULT_SEARCH_LIMIT
    Ref: RefValue | None = None


class FoundFrame(ChatFrame, tag="Chat"):
    """A line found: its Chat frame as History gives it, and its Highlight."""

    Highlight: Annotated[
        list[tuple[str, bool]],
        Meta(
            description=(
                "The line's text in segments [text, matched]: joined, the texts are the text;"
                " matched words are true (plain text, never HTML)"
            )
        ),
    ] = msgspec.field(default_factory=list)


class ResultsFrame(ServerFrame, tag="Results"):
    """Answers Search: the lines found, best first; More says more lines match."""

    Query: str
    Messages: list[FoundFrame]
    More: bool
    Ref: RefValue | None = None


@record
class SearchMessages:
    """Find lines matching ``query`` (the text as sent; the chat domain parses it)."""

    query: str
    room: str | None = None
    author: str | None = None
    before: int | None = None
    limit: int = DEFAULT_SEARCH_LIMIT
    ref: Ref | None = None


def found_frame(chat: ChatFrame, highlight: Segments) -> FoundFrame:
    """The Chat frame ``chat`` with its highlight (every field of ``chat`` carried over)."""
    fields = {name: getattr(chat, name) for name in chat.__struct_fields__}
    return FoundFrame(**fields, Highlight=highlight)


def encode_results(query: str, found: list[FoundFrame], more: bool, ref: Ref | None) -> bytes:
    return _encode(ResultsFrame(query, found, more, ref))
