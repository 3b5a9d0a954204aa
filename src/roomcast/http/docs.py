"""``/api/openapi.json`` (the REST API, OpenAPI 3.1) and ``/api/asyncapi.json`` (the WebSocket
protocol, AsyncAPI 3), each built for this server's settings.
"""

from __future__ import annotations

from aiohttp import web

from roomcast.http.keys import SETTINGS_KEY
from roomcast.http.specs import asyncapi_document, openapi_document


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(request.app[SETTINGS_KEY]))


async def asyncapi(request: web.Request) -> web.Response:
    return web.json_response(asyncapi_document(request.app[SETTINGS_KEY], request.host))


ROUTES = [
    web.get("/api/openapi.json", openapi, allow_head=False),
    web.get("/api/asyncapi.json", asyncapi, allow_head=False),
]
