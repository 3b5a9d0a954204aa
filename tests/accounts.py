"""Test helpers for identities: register and log in over REST, connect WebSockets as someone.

``Person`` is a registered user with its session cookie; ``connect`` opens a ``helpers.Client``
with a cookie, a token (``token=`` in the URL) or an ``Authorization`` header.
"""

from __future__ import annotations

import json
import secrets
import urllib.parse
from dataclasses import dataclass
from typing import Any

import aiohttp
import websockets

from helpers import Client, Frame

PASSWORD = "correct horse battery"


@dataclass
class Reply:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def call(
    method: str,
    url: str,
    *,
    body: Any = None,
    cookie: str | None = None,
    bearer: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    sent = dict(headers or {})
    if cookie:
        sent["Cookie"] = cookie
    if bearer:
        sent["Authorization"] = f"Bearer {bearer}"
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
        session.request(method, url, json=body, headers=sent) as response,
    ):
        return Reply(response.status, response.headers, await response.read())


def unique(prefix: str) -> str:
    """A fresh name: letters only after the prefix (no i, l, o or m: no two names look alike)."""
    return prefix + "".join(secrets.choice("abcdefghjknpqrstuvwxyz") for _ in range(6))


@dataclass
class Person:
    name: str
    cookie: str

    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie}


async def register(base: str, name: str, password: str = PASSWORD) -> Person:
    reply = await call("POST", f"{base}/api/register", body={"name": name, "password": password})
    assert reply.status == 201, reply.body
    return Person(name, session_cookie(reply))


async def login(base: str, name: str, password: str = PASSWORD) -> Reply:
    return await call("POST", f"{base}/api/login", body={"name": name, "password": password})


def session_cookie(reply: Reply) -> str:
    """``roomcast_session=...`` from a Set-Cookie answer."""
    return str(reply.headers["Set-Cookie"]).split(";", 1)[0]


async def connect(
    ws_url: str,
    *,
    person: Person | None = None,
    token: str | None = None,
    bearer: str | None = None,
    **params: Any,
) -> Client:
    """A WebSocket client; raises ``websockets.InvalidStatus`` when the upgrade is refused."""
    query = {k: v for k, v in params.items() if v is not None}
    if token is not None:
        query["token"] = token
    url = f"{ws_url}?{urllib.parse.urlencode(query)}" if query else ws_url
    headers: dict[str, str] = {}
    if person is not None:
        headers["Cookie"] = person.cookie
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    ws = await websockets.connect(url, additional_headers=headers, max_size=None)
    return Client(ws)


async def joined(client: Client, room: str) -> Frame:
    """Wait until ``client`` is in ``room`` (its Room frame, which follows Joined)."""
    await client.expect("Joined", lambda f: f["Room"] == room)
    return await client.expect("Room", lambda f: f["Room"] == room)


async def closed_with(client: Client, timeout: float = 5.0) -> int | None:
    """Read until the server closes the connection; its close code."""
    try:
        while True:
            await client._next(timeout)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def signed_in(server: Any, name: str) -> str:
    """The WebSocket URL of a new account ``name`` on ``server`` (a ``ServerProcess``): an API
    token of its in the query."""
    person = await register(server.http_url, name)
    made = await call("POST", f"{server.http_url}/api/tokens", body={}, cookie=person.cookie)
    assert made.status == 201, made.body
    return f"{server.ws_url}?token={made.json()['token']}"
