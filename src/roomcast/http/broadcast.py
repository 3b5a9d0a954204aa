"""``POST /api/broadcast``: a system message to every room, with the API key."""

from __future__ import annotations

from aiohttp import web

from roomcast.http import bodies
from roomcast.http.callers import require_api_key
from roomcast.http.inputs import read_body
from roomcast.http.keys import HUB_KEY
from roomcast.http.messages import message_body
from roomcast.http.replies import Refused, reply
from roomcast.wire.protocol import ProtocolError


async def broadcast(request: web.Request) -> web.Response:
    require_api_key(request)
    body = await read_body(request, bodies.Broadcast)
    try:
        messages = await request.app[HUB_KEY].broadcast(body.text)
    except ProtocolError as exc:
        raise Refused.from_protocol(exc, 400) from None
    return reply(bodies.BroadcastResult([message_body(m) for m in messages]), 201)


ROUTES = [web.post("/api/broadcast", broadcast)]
