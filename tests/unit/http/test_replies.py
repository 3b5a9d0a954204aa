"""The JSON error body for every failure under /api, counted in the metrics; Struct answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from roomcast.auth import AuthError
from roomcast.http import bodies
from roomcast.http.keys import HUB_KEY
from roomcast.http.replies import Refused, api_errors, reply
from roomcast.ops.serve import Node
from roomcast.store import StoreUnavailable
from roomcast.wire.protocol import ErrorCode, ProtocolError

from .conftest import error_of

FAILURES: dict[str, Exception] = {
    "refused": Refused(429, "rate_limited", "slow down", {"Retry-After": "3"}),
    "forbidden": ProtocolError(ErrorCode.FORBIDDEN, "not yours"),
    "invalid": ProtocolError(ErrorCode.ROOM_INVALID, "bad room"),
    "auth": AuthError("nick_registered", "taken", 409),
    "store": StoreUnavailable("the disk is gone"),
    "bug": ZeroDivisionError("oops"),
}


async def _fail(request: web.Request) -> web.Response:
    raise FAILURES[request.match_info["kind"]]


async def _outside(request: web.Request) -> web.Response:
    raise ValueError("not an API answer")


async def _read(request: web.Request) -> web.Response:
    return web.Response(body=await request.read())


async def _ok(request: web.Request) -> web.Response:
    return reply(bodies.Health("ok", "1.0"), 202)


@pytest.fixture
async def probe(node: Node) -> AsyncIterator[TestClient[Any, Any]]:
    app = web.Application(middlewares=[api_errors], client_max_size=10)
    app[HUB_KEY] = node.hub
    app.router.add_get("/api/fail/{kind}", _fail)
    app.router.add_get("/api/ok", _ok, allow_head=False)
    app.router.add_post("/api/ok", _ok)
    app.router.add_post("/api/read", _read)
    app.router.add_get("/outside", _outside)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("refused", (429, "rate_limited", "slow down")),
        ("forbidden", (403, "forbidden", "not yours")),
        ("invalid", (400, "room_invalid", "bad room")),
        ("auth", (409, "nick_registered", "taken")),
        ("store", (503, "store_unavailable", "the disk is gone")),
        ("bug", (500, "internal", "internal server error")),
    ],
)
async def test_failures_become_json_errors(
    probe: TestClient[Any, Any], node: Node, kind: str, expected: tuple[int, str, str]
) -> None:
    answer = await probe.get(f"/api/fail/{kind}")
    assert await error_of(answer) == expected
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert node.hub.metrics.http_errors == {expected[0]: 1}


async def test_refusal_headers_are_kept(probe: TestClient[Any, Any]) -> None:
    assert (await probe.get("/api/fail/refused")).headers["Retry-After"] == "3"


async def test_aiohttp_refusals_get_the_api_codes(probe: TestClient[Any, Any]) -> None:
    assert await error_of(await probe.get("/api/nothing")) == (404, "not_found", "not found")
    wrong_method = await probe.delete("/api/ok")
    assert await error_of(wrong_method) == (405, "method_not_allowed", "method not allowed")
    assert wrong_method.headers["Allow"] == "GET,POST"
    assert (await error_of(await probe.post("/api/read", data=b"x" * 100)))[:2] == (
        413,
        "too_large",
    )


async def test_paths_outside_the_api_are_left_alone(
    probe: TestClient[Any, Any], node: Node
) -> None:
    assert (await probe.get("/outside")).status == 500
    assert node.hub.metrics.http_errors == {}


async def test_answers_are_encoded_from_their_struct(probe: TestClient[Any, Any]) -> None:
    answer = await probe.get("/api/ok")
    assert answer.status == 202
    assert await answer.read() == b'{"status":"ok","version":"1.0"}'
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"


def test_a_protocol_refusal_takes_the_status_of_its_code_unless_told() -> None:
    banned = ProtocolError(ErrorCode.BANNED, "banned")
    assert Refused.from_protocol(banned).status == 403
    assert Refused.from_protocol(banned, 400).status == 400
