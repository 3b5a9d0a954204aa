"""``/api/rooms/{room}/messages``: a page of a room's history, and posting into it with the API
key. Pages are cut by message ID, so they stay stable while new messages arrive.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from roomcast.http import bodies
from roomcast.http.callers import require_api_key
from roomcast.http.inputs import int_query, read_body, room_param
from roomcast.http.keys import HUB_KEY
from roomcast.http.replies import Refused, reply
from roomcast.http.rooms import readable_or_404, room_or_404
from roomcast.http.uploads import file_body
from roomcast.wire import protocol
from roomcast.wire.protocol import ChatMessage, ProtocolError

MAX_PAGE: Final = protocol.MAX_HISTORY_LIMIT


def message_body(message: ChatMessage) -> bodies.Message:
    return bodies.Message(
        id=message.id,
        room=message.room,
        author=message.author,
        text=message.text,
        wsid=message.wsid,
        time=protocol.iso_time(message.sent_ms),
        reply_to=message.reply_to,
        thread=message.thread,
        edited=None if message.edited_ms is None else protocol.iso_time(message.edited_ms),
        reactions=[
            bodies.Reaction(r.emoji, len(r.names), list(r.names)) for r in message.reactions
        ],
        replies=message.replies,
        attachments=[file_body(a) for a in message.attachments],
    )


async def room_messages(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    room = await room_param(request)
    before = int_query(request, "before", 1, bodies.MAX_ID)
    limit = int_query(request, "limit", 1, MAX_PAGE) or protocol.DEFAULT_HISTORY_LIMIT
    await readable_or_404(request, room)
    await room_or_404(hub, room)
    page = await hub.store.page(room, before, limit + 1)
    more = len(page) > limit
    if more:
        page = page[1:]
    return reply(
        bodies.MessagePage(
            room=room,
            messages=[message_body(m) for m in reversed(page)],
            next_before=page[0].id if more and page else None,
        )
    )


async def post_message(request: web.Request) -> web.Response:
    require_api_key(request)
    room = await room_param(request)
    body = await read_body(request, bodies.NewMessage)
    try:
        message = await request.app[HUB_KEY].post(room, body.text, body.author)
    except ProtocolError as exc:
        raise Refused.from_protocol(exc, 400) from None
    return reply(message_body(message), 201)


ROUTES = [
    web.get("/api/rooms/{room}/messages", room_messages, allow_head=False),
    web.post("/api/rooms/{room}/messages", post_message),
]
