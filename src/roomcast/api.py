"""REST endpoints under ``/api``: thin wrappers that call the hub and the store.

Every error is ``{"error": {"code": "...", "message": "..."}}`` with a 4xx or 5xx status. Writes
need ``Authorization: Bearer <api key>``.
"""

from __future__ import annotations

import hmac
import json
from typing import Any, Final

from aiohttp import web

from roomcast import protocol
from roomcast.hub import Hub
from roomcast.protocol import ChatMessage, ProtocolError
from roomcast.store import StoreUnavailable

MAX_PAGE: Final = protocol.MAX_HISTORY_LIMIT


def json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def message_json(message: ChatMessage) -> dict[str, Any]:
    frame = message.as_frame_object()
    return {
        "id": message.id,
        "room": message.room,
        "author": message.author,
        "text": message.text,
        "wsid": message.wsid,
        "time": frame["Time"],
    }


def bad_request(code: str, message: str) -> web.HTTPBadRequest:
    """A 400 to raise from deep inside a handler, with the standard JSON error body."""
    return web.HTTPBadRequest(
        text=json.dumps({"error": {"code": code, "message": message}}),
        content_type="application/json",
    )


def _int_param(request: web.Request, name: str, low: int, high: int) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise bad_request("bad_param", f"{name} must be an integer between {low} and {high}")
    return int(raw)


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise bad_request("bad_json", "body must be a JSON object")
    return body


def api_routes(hub_key: web.AppKey[Hub], api_key_key: web.AppKey[str]) -> list[web.RouteDef]:
    """The REST routes, reading the hub and the API key from the application."""

    def authorised(request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        expected = request.app[api_key_key]
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), expected.encode()
        ):
            return json_error(401, "unauthorized", "send Authorization: Bearer <api key>")
        return None

    async def list_rooms(request: web.Request) -> web.Response:
        hub = request.app[hub_key]
        try:
            summaries = {s.name: s.last_id for s in await hub.store.rooms()}
        except StoreUnavailable as exc:
            return json_error(503, "store_unavailable", str(exc))
        counts = await hub.presence.counts()
        names = sorted(set(summaries) | set(counts), key=str.casefold)
        rooms = [
            {"name": n, "members": counts.get(n, 0), "last_id": summaries.get(n, 0)} for n in names
        ]
        return web.json_response({"rooms": rooms})

    async def room_messages(request: web.Request) -> web.Response:
        hub = request.app[hub_key]
        try:
            room = protocol.validate_room(request.match_info["room"])
        except ProtocolError as exc:
            return json_error(400, str(exc.code), exc.message)
        before = _int_param(request, "before", 1, 2**63 - 1)
        limit = _int_param(request, "limit", 1, MAX_PAGE) or protocol.DEFAULT_HISTORY_LIMIT
        try:
            page = await hub.store.page(room, before, limit + 1)
        except StoreUnavailable as exc:
            return json_error(503, "store_unavailable", str(exc))
        more = len(page) > limit
        if more:
            page = page[1:]
        newest_first = [message_json(m) for m in reversed(page)]
        return web.json_response(
            {
                "room": room,
                "messages": newest_first,
                "next_before": page[0].id if more and page else None,
            }
        )

    async def post_message(request: web.Request) -> web.Response:
        denied = authorised(request)
        if denied is not None:
            return denied
        body = await _json_body(request)
        text, author = body.get("text"), body.get("author", "system")
        if not isinstance(text, str) or not isinstance(author, str):
            return json_error(400, "bad_field", "text (and author, if given) must be strings")
        try:
            message = await request.app[hub_key].post(request.match_info["room"], text, author)
        except ProtocolError as exc:
            return json_error(400, str(exc.code), exc.message)
        except StoreUnavailable as exc:
            return json_error(503, "store_unavailable", str(exc))
        return web.json_response(message_json(message), status=201)

    async def broadcast(request: web.Request) -> web.Response:
        denied = authorised(request)
        if denied is not None:
            return denied
        body = await _json_body(request)
        text = body.get("text")
        if not isinstance(text, str):
            return json_error(400, "bad_field", "text must be a string")
        try:
            messages = await request.app[hub_key].broadcast(text)
        except ProtocolError as exc:
            return json_error(400, str(exc.code), exc.message)
        except StoreUnavailable as exc:
            return json_error(503, "store_unavailable", str(exc))
        return web.json_response({"messages": [message_json(m) for m in messages]}, status=201)

    return [
        web.get("/api/rooms", list_rooms),
        web.get("/api/rooms/{room}/messages", room_messages),
        web.post("/api/rooms/{room}/messages", post_message),
        web.post("/api/broadcast", broadcast),
    ]
