"""Request bodies decoded through their Structs, path rooms and query integers, each refusal
with the API's code and message (in the order the API has always checked them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from roomcast.http import bodies
from roomcast.http.inputs import int_query, read_body, room_param
from roomcast.http.keys import HUB_KEY
from roomcast.http.replies import api_errors
from roomcast.ops.serve import Node

from .conftest import error_of


async def _moderation(request: web.Request) -> web.Response:
    body = await read_body(request, bodies.Moderation)
    return web.json_response({"action": body.action, "duration": repr(body.duration)})


async def _message(request: web.Request) -> web.Response:
    body = await read_body(request, bodies.NewMessage)
    return web.json_response({"text": body.text, "author": body.author})


async def _params(request: web.Request) -> web.Response:
    return web.json_response(
        {"room": await room_param(request), "limit": int_query(request, "limit", 1, 10)}
    )


@pytest.fixture
async def probe(node: Node) -> AsyncIterator[TestClient[Any, Any]]:
    app = web.Application(middlewares=[api_errors])
    app[HUB_KEY] = node.hub
    app.router.add_post("/api/moderation", _moderation)
    app.router.add_post("/api/message", _message)
    app.router.add_get("/api/params/{room}", _params)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_a_valid_body_decodes_with_its_defaults(probe: TestClient[Any, Any]) -> None:
    reply = await probe.post("/api/moderation", json={"action": "kick", "name": "x"})
    assert await reply.json() == {"action": "kick", "duration": "UNSET"}
    reply = await probe.post("/api/message", json={"text": "hi"})
    assert await reply.json() == {"text": "hi", "author": "system"}


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        ("[1]", "bad_json", "body must be a JSON object"),
        ("{", "bad_json", "body must be a JSON object"),
        ('{"zz": 1, "aa": 2, "name": 3}', "unknown_field", "unknown field(s): aa, zz"),
        ('{"name": "x"}', "missing_field", "action is required"),
        ('{"action": 1, "name": 2}', "bad_field", "action must be a str"),
        ('{"name": 2, "action": 1}', "bad_field", "action must be a str"),
        (
            '{"action": "ban", "name": "x", "duration": true}',
            "bad_field",
            "duration must be an integer",
        ),
        (
            '{"action": "ban", "name": "x", "duration": null}',
            "bad_field",
            "duration must be an integer",
        ),
        (
            '{"action": "ban", "name": "x", "duration": 1.0}',
            "bad_field",
            "duration must be an integer",
        ),
    ],
)
async def test_bad_bodies_are_refused_with_the_first_rule_they_break(
    probe: TestClient[Any, Any], data: str, code: str, message: str
) -> None:
    reply = await probe.post("/api/moderation", data=data)
    assert await error_of(reply) == (400, code, message)


async def test_publishing_bodies_name_a_string_a_string(probe: TestClient[Any, Any]) -> None:
    reply = await probe.post("/api/message", json={"text": ["hi"]})
    assert await error_of(reply) == (400, "bad_field", "text must be a string")


async def test_a_lone_surrogate_reaches_the_domain_rules(probe: TestClient[Any, Any]) -> None:
    # The body parser keeps what JSON allows; the text rules, not the decoder, refuse it later.
    reply = await probe.post("/api/message", data='{"text": "a \\ud800 b"}')
    assert (await reply.json())["text"] == "a \ud800 b"


async def test_room_and_integer_parameters(probe: TestClient[Any, Any]) -> None:
    assert await (await probe.get("/api/params/lobby?limit=3")).json() == {
        "room": "lobby",
        "limit": 3,
    }
    assert (await (await probe.get("/api/params/lobby")).json())["limit"] is None
    for query in ("limit=0", "limit=11", "limit=1&limit=2", "limit=%C2%B2", "limit=-1"):
        reply = await probe.get(f"/api/params/lobby?{query}")
        assert await error_of(reply) == (
            400,
            "bad_param",
            "limit must be an integer between 1 and 10",
        )
    status, code, _ = await error_of(await probe.get("/api/params/-bad"))
    assert (status, code) == (400, "room_invalid")
    # A room the store knows is named as it was first spelled, whatever the case asked for.
    assert await probe.app[HUB_KEY].store.room_name("Lobby", claim=True) == "Lobby"
    for asked in ("lobby", "LOBBY", "Lobby"):
        assert (await (await probe.get(f"/api/params/{asked}")).json())["room"] == "Lobby"
