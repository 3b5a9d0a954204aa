"""``/api/rooms``, ``/api/rooms/{room}`` and its members: what exists and who is in it.

A private room shows only to its members (and admins): to anyone else it answers as if it did
not exist.
"""

from __future__ import annotations

from aiohttp import web

from roomcast.chat.hub import Hub
from roomcast.http import bodies
from roomcast.http.callers import identity_of
from roomcast.http.inputs import room_param
from roomcast.http.keys import HUB_KEY
from roomcast.http.replies import Refused, reply
from roomcast.wire.protocol import ProtocolError


def _no_room(room: str) -> Refused:
    return Refused(404, "room_not_found", f"no room {room!r}")


async def readable_or_404(request: web.Request, room: str) -> None:
    """Refuse with 404 unless the caller may read ``room``."""
    try:
        await request.app[HUB_KEY].moderation.check_read(await identity_of(request), room)
    except ProtocolError:
        raise _no_room(room) from None


async def room_or_404(hub: Hub, room: str) -> bodies.Room:
    """The room; 404 when it was never created, has no history and no members."""
    summary = await hub.store.room(room)
    members = len(await hub.presence.members(room))
    if summary is None and not members:
        raise _no_room(room)
    return bodies.Room(
        name=room,
        topic=summary.topic if summary else "",
        members=members,
        last_id=summary.last_id if summary else 0,
    )


async def list_rooms(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    summaries = {s.name: s for s in await hub.store.rooms()}
    counts = await hub.presence.counts()
    private = [name for name, s in summaries.items() if s.private]
    hidden = set(private) - await hub.moderation.readable(await identity_of(request), private)
    names = sorted((set(summaries) | set(counts)) - hidden, key=lambda n: (n.casefold(), n))
    rooms = []
    for name in names:
        summary = summaries.get(name)
        rooms.append(
            bodies.Room(
                name=name,
                topic=summary.topic if summary else "",
                members=counts.get(name, 0),
                last_id=summary.last_id if summary else 0,
            )
        )
    return reply(bodies.RoomList(rooms))


async def get_room(request: web.Request) -> web.Response:
    room = await room_param(request)
    await readable_or_404(request, room)
    return reply(await room_or_404(request.app[HUB_KEY], room))


async def room_members(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    room = await room_param(request)
    await readable_or_404(request, room)
    await room_or_404(hub, room)
    names = await hub.presence.members(room)
    return reply(bodies.MemberList(room, [bodies.Member(name) for name in names]))


ROUTES = [
    web.get("/api/rooms", list_rooms, allow_head=False),
    web.get("/api/rooms/{room}", get_room, allow_head=False),
    web.get("/api/rooms/{room}/members", room_members, allow_head=False),
]
