"""Room administration: ``POST /api/rooms`` (create, public or private), a room's access (owner,
moderators, invited members, the caller's role), its topic and the roles of accounts in it.
"""

from __future__ import annotations

from aiohttp import web

from roomcast.auth import Identity
from roomcast.auth.access import role_in
from roomcast.http import bodies
from roomcast.http.callers import identity_of, signed_in
from roomcast.http.inputs import read_body, room_param
from roomcast.http.keys import HUB_KEY
from roomcast.http.replies import Refused, reply
from roomcast.moderation.policy import RoomPolicy
from roomcast.wire import protocol


def access_body(policy: RoomPolicy, identity: Identity) -> bodies.RoomAccess:
    access = policy.access
    return bodies.RoomAccess(
        name=access.name,
        topic=access.topic,
        private=access.private,
        owner=access.owner_name,
        moderators=sorted(access.moderators.values(), key=str.casefold),
        members=sorted(access.members.values(), key=str.casefold),
        role=role_in(access, identity).label,
    )


async def create_room(request: web.Request) -> web.Response:
    identity = signed_in(await identity_of(request, writing=True))
    if identity.account_id is None:
        raise Refused(403, "login_required", "rooms are created by accounts, not the API key")
    body = await read_body(request, bodies.NewRoom)
    hub = request.app[HUB_KEY]
    room = await hub.store.room_name(protocol.validate_room(body.room), claim=True)
    topic = protocol.validate_line(body.topic, "topic", protocol.MAX_TOPIC_CHARS)
    policy = await hub.moderation.create_room(identity, room, body.private, topic)
    return reply(access_body(policy, identity), 201)


async def room_access(request: web.Request) -> web.Response:
    identity = await identity_of(request)
    room = await room_param(request)
    policy = await request.app[HUB_KEY].moderation.check_read(identity, room)
    return reply(access_body(policy, identity))


async def set_topic(request: web.Request) -> web.Response:
    identity = signed_in(await identity_of(request, writing=True))
    room = await room_param(request)
    body = await read_body(request, bodies.Topic)
    topic = protocol.validate_line(body.topic, "topic", protocol.MAX_TOPIC_CHARS)
    policy = await request.app[HUB_KEY].moderation.set_topic(identity, room, topic)
    return reply(access_body(policy, identity))


async def set_role(request: web.Request) -> web.Response:
    identity = signed_in(await identity_of(request, writing=True))
    room = await room_param(request)
    body = await read_body(request, bodies.RoleChange)
    if body.role not in protocol.ROLES:
        raise Refused(400, "bad_field", f"role must be one of {', '.join(protocol.ROLES)}")
    policy = await request.app[HUB_KEY].moderation.set_role(
        identity, room, request.match_info["name"], body.role
    )
    return reply(access_body(policy, identity))


ROUTES = [
    web.post("/api/rooms", create_room),
    web.get("/api/rooms/{room}/access", room_access, allow_head=False),
    web.put("/api/rooms/{room}/topic", set_topic),
    web.put("/api/rooms/{room}/roles/{name}", set_role),
]
