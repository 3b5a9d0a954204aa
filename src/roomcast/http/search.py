"""``GET /api/search``: the lines matching a query, in the rooms the caller may read.

The same search as the WebSocket's ``Search`` (``chat.searching``), with the API's usual
credentials (none: a guest, who sees public rooms). A malformed query or parameter is a 400.
"""

from __future__ import annotations

from aiohttp import web

from roomcast.chat import searching
from roomcast.http import bodies
from roomcast.http.callers import identity_of
from roomcast.http.inputs import int_query
from roomcast.http.keys import HUB_KEY
from roomcast.http.replies import Refused, reply
from roomcast.wire import protocol
from roomcast.wire.limits import DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT
from roomcast.wire.protocol import ProtocolError
from roomcast.wire.search_frames import SearchMessages


def _text_query(request: web.Request, name: str, *, required: bool = False) -> str | None:
    """The query parameter ``name``, given at most once (and given, when ``required``)."""
    values = request.query.getall(name, [])
    if len(values) > 1:
        raise Refused(400, "bad_param", f"{name} may be given once")
    if not values:
        if required:
            raise Refused(400, "bad_param", f"{name} is required")
        return None
    return values[0]


async def search(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    query = _text_query(request, "q", required=True)
    assert query is not None
    room = _text_query(request, "room")
    if room == "":
        raise Refused(400, "bad_param", "room must not be empty: leave it out to search every room")
    try:
        command = SearchMessages(
            query,
            None if room is None else protocol.validate_room(room),
            _text_query(request, "author") or None,
            int_query(request, "before", 1, bodies.MAX_ID),
            int_query(request, "limit", 1, MAX_SEARCH_LIMIT) or DEFAULT_SEARCH_LIMIT,
        )
        page = await searching.search(hub.store, await identity_of(request), command)
    except ProtocolError as exc:
        raise Refused.from_protocol(exc, 400) from None
    results = [
        bodies.SearchResult(
            room=f.message.room,
            id=f.message.id,
            author=f.message.author,
            text=f.message.text,
            time=protocol.iso_time(f.message.sent_ms),
            highlight=list(f.highlight),
        )
        for f in page.found
    ]
    return reply(bodies.SearchResults(results=results, more=page.more))


ROUTES = [web.get("/api/search", search, allow_head=False)]
