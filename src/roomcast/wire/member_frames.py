"""The frames of big rooms: ``Members`` from a client pages a room's member list, ``Members``
back is one page of it.

A room of more than ``userlist_max`` members gets ``userlist`` frames with the first
``userlist_max`` names and ``Count``; ``Members`` gives the rest, ``Limit`` names at a time, in
the ``userlist`` order (case-insensitive), each page after the name ``After`` (exclusive).
"""

from __future__ import annotations

from typing import Annotated, Final

import msgspec
from msgspec import Meta

from roomcast.record import record
from roomcast.wire.errors import Ref
from roomcast.wire.frames import ClientFrame, Nickname, RefValue, RoomName, ServerFrame
from roomcast.wire.limits import MAX_MEMBERS_LIMIT

_encode: Final = msgspec.json.Encoder().encode


class MembersCommand(ClientFrame, tag="Members"):
    """Ask for a page of a room's members: the names after After (exclusive; from the first
    without it), in the userlist's order. Only a member of the room may ask."""

    Room: RoomName | None = None
    After: (
        Annotated[Nickname, Meta(description="The last name of the previous page (exclusive)")]
        | None
    ) = None
    Limit: Annotated[int, Meta(ge=1, le=MAX_MEMBERS_LIMIT)] = MAX_MEMBERS_LIMIT
    Ref: RefValue | None = None


class MembersFrame(ServerFrame, tag="Members"):
    """Answers Members: a page of names; More says more names follow the last of them."""

    Room: RoomName
    Names: list[Nickname]
    Count: Annotated[int, Meta(ge=0, description="How many members the room has in all")]
    More: bool
    After: Nickname | None = None
    Ref: RefValue | None = None


@record
class ListMembers:
    """A page of at most ``limit`` member names of ``room`` after ``after`` (from the first
    when None); ``room`` None is the connection's first room."""

    room: str | None = None
    after: str | None = None
    limit: int = MAX_MEMBERS_LIMIT
    ref: Ref | None = None


def encode_members(
    room: str, names: list[str], count: int, more: bool, after: str | None, ref: Ref | None
) -> bytes:
    return _encode(MembersFrame(room, names, count, more, after, ref))
