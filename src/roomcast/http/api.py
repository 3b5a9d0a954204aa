"""REST endpoints under ``/api``: thin wrappers that call the hub and the store.

Every error is ``{"error": {"code": "...", "message": "..."}}`` with a 4xx or 5xx status, also
for unknown paths, wrong methods and server bugs (``api_error_middleware``). Writes need
``Authorization: Bearer <api key>``. ``/api/openapi.json`` describes all of it (OpenAPI 3.1) and
``/api/asyncapi.json`` the WebSocket protocol (AsyncAPI 3).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web

from roomcast.auth import AuthError, Identity
from roomcast.chat.hub import Hub
from roomcast.chat.lines import SYSTEM_AUTHOR
from roomcast.http.specs import asyncapi_document, openapi_document
from roomcast.store import StoreUnavailable
from roomcast.wire import protocol
from roomcast.wire.protocol import ChatMessage, ProtocolError

log = logging.getLogger(__name__)

MAX_PAGE: Final = protocol.MAX_HISTORY_LIMIT
_STATUS_CODES: Final = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


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
    values = request.query.getall(name, [])
    if not values:
        return None
    raw = values[0]
    if len(values) > 1 or not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise bad_request("bad_param", f"{name} must be an integer between {low} and {high}")
    return int(raw)


async def _json_body(
    request: web.Request, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict[str, str]:
    """The body as a JSON object of string fields: all of ``required``, some of ``optional``."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise bad_request("bad_json", "body must be a JSON object")
    unknown = sorted(set(body) - set(required) - set(optional))
    if unknown:
        raise bad_request("unknown_field", f"unknown field(s): {', '.join(unknown)}")
    for key in required:
        if key not in body:
            raise bad_request("missing_field", f"{key} is required")
    for key, value in body.items():
        if not isinstance(value, str):
            raise bad_request("bad_field", f"{key} must be a string")
    return body


def _room(request: web.Request) -> str:
    try:
        return protocol.validate_room(request.match_info["room"])
    except ProtocolError as exc:
        raise bad_request(str(exc.code), exc.message) from None


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def api_error_middleware(hub_key: web.AppKey[Hub]) -> Any:
    """Under ``/api``: every failure as a JSON error, each 4xx/5xx counted in the metrics."""

    @web.middleware
    async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != "/api" and not request.path.startswith("/api/"):
            return await handler(request)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            if exc.content_type == "application/json":
                response = web.Response(
                    status=exc.status, text=exc.text, content_type="application/json"
                )
            else:
                code = _STATUS_CODES.get(exc.status, "error")
                response = json_error(exc.status, code, exc.reason.lower())
            if "Allow" in exc.headers:
                response.headers["Allow"] = exc.headers["Allow"]
        except StoreUnavailable as exc:
            response = json_error(503, "store_unavailable", str(exc))
        except Exception:
            log.exception("%s %s failed", request.method, request.path)
            response = json_error(500, "internal", "internal server error")
        if response.status >= 400:
            request.app[hub_key].metrics.http_error(response.status)
        return response

    return api_errors


def api_routes(hub_key: web.AppKey[Hub], api_key_key: web.AppKey[str]) -> list[web.RouteDef]:
    """The REST routes, reading the hub and the API key from the application."""

    def authorised(request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        expected = request.app[api_key_key]
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), expected.encode()
        ):
            denied = json_error(401, "unauthorized", "send Authorization: Bearer <api key>")
            denied.headers["WWW-Authenticate"] = 'Bearer realm="roomcast"'
            return denied
        return None

    async def caller(request: web.Request) -> Identity:
        """Who reads: private rooms show only to their members (and admins)."""
        try:
            return await request.app[hub_key].auth.identify(
                request.headers, {}, api_key_allowed=True
            )
        except AuthError as exc:
            raise web.HTTPUnauthorized(
                text=json.dumps({"error": {"code": exc.code, "message": exc.message}}),
                content_type="application/json",
            ) from None

    async def readable_or_404(request: web.Request, room: str) -> None:
        """A private room answers a non-member as if it did not exist."""
        try:
            await request.app[hub_key].moderation.check_read(await caller(request), room)
        except ProtocolError:
            raise web.HTTPNotFound(
                text=json.dumps(
                    {"error": {"code": "room_not_found", "message": f"no room {room!r}"}}
                ),
                content_type="application/json",
            ) from None

    async def room_or_404(hub: Hub, room: str) -> dict[str, Any]:
        """The room's JSON form; 404 when it was never created, has no history and no members."""
        summary = await hub.store.room(room)
        members = len(await hub.presence.members(room))
        if summary is None and not members:
            raise web.HTTPNotFound(
                text=json.dumps(
                    {"error": {"code": "room_not_found", "message": f"no room {room!r}"}}
                ),
                content_type="application/json",
            )
        return {
            "name": room,
            "topic": summary.topic if summary else "",
            "members": members,
            "last_id": summary.last_id if summary else 0,
        }

    async def list_rooms(request: web.Request) -> web.Response:
        hub = request.app[hub_key]
        summaries = {s.name: s for s in await hub.store.rooms()}
        counts = await hub.presence.counts()
        private = [name for name, s in summaries.items() if s.private]
        hidden = set(private) - await hub.moderation.readable(await caller(request), private)
        names = sorted((set(summaries) | set(counts)) - hidden, key=lambda n: (n.casefold(), n))
        rooms = []
        for name in names:
            summary = summaries.get(name)
            rooms.append(
                {
                    "name": name,
                    "topic": summary.topic if summary else "",
                    "members": counts.get(name, 0),
                    "last_id": summary.last_id if summary else 0,
                }
            )
        return web.json_response({"rooms": rooms})

    async def get_room(request: web.Request) -> web.Response:
        hub = request.app[hub_key]
        room = _room(request)
        await readable_or_404(request, room)
        return web.json_response(await room_or_404(hub, room))

    async def room_members(request: web.Request) -> web.Response:
        hub = request.app[hub_key]
        room = _room(request)
        await readable_or_404(request, room)
        await room_or_404(hub, room)
        names = await hub.presence.members(room)
        return web.json_response({"room": room, "members": [{"name": n} for n in names]})

    async def room_messages(request: web.Request) -> web.Response:
        hub = request.app[hub_key]
        room = _room(request)
        before = _int_param(request, "before", 1, 2**63 - 1)
        limit = _int_param(request, "limit", 1, MAX_PAGE) or protocol.DEFAULT_HISTORY_LIMIT
        await readable_or_404(request, room)
        await room_or_404(hub, room)
        page = await hub.store.page(room, before, limit + 1)
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
        room = _room(request)
        body = await _json_body(request, ("text",), ("author",))
        try:
            message = await request.app[hub_key].post(
                room, body["text"], body.get("author", SYSTEM_AUTHOR)
            )
        except ProtocolError as exc:
            return json_error(400, str(exc.code), exc.message)
        return web.json_response(message_json(message), status=201)

    async def broadcast(request: web.Request) -> web.Response:
        denied = authorised(request)
        if denied is not None:
            return denied
        body = await _json_body(request, ("text",))
        try:
            messages = await request.app[hub_key].broadcast(body["text"])
        except ProtocolError as exc:
            return json_error(400, str(exc.code), exc.message)
        return web.json_response({"messages": [message_json(m) for m in messages]}, status=201)

    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(openapi_document(request.app[hub_key].settings))

    async def asyncapi(request: web.Request) -> web.Response:
        document = asyncapi_document(request.app[hub_key].settings, request.host)
        return web.json_response(document)

    return [
        web.get("/api/rooms", list_rooms, allow_head=False),
        web.get("/api/rooms/{room}", get_room, allow_head=False),
        web.get("/api/rooms/{room}/members", room_members, allow_head=False),
        web.get("/api/rooms/{room}/messages", room_messages, allow_head=False),
        web.post("/api/rooms/{room}/messages", post_message),
        web.post("/api/broadcast", broadcast),
        web.get("/api/openapi.json", openapi, allow_head=False),
        web.get("/api/asyncapi.json", asyncapi, allow_head=False),
    ]
