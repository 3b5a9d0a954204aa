"""Multi-process fault tests: real ``roomcast serve`` nodes joined by the real Redis and PostgreSQL.

Every test gets a fresh PostgreSQL schema and its own Redis prefix, so it shares nothing with
other tests; nodes run with a short presence TTL so dead nodes are noticed in seconds.
``ChatClient`` reads its WebSocket in the background and keeps what a fault test checks: the IDs
of the chat messages in arrival order, acknowledgements, errors and user lists.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
import redis
import websockets

from conftest import ServerProcess

REDIS_URL = os.environ.get("ROOMCAST_TEST_REDIS", "redis://127.0.0.1:6379/0")
POSTGRES_URL = os.environ.get("ROOMCAST_TEST_POSTGRES", "postgresql://postgres@127.0.0.1/test")
PRESENCE_TTL = 3.0
# How this machine's Redis is started (the command of its service), for the restart test.
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


async def until(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Wait until ``check()`` holds; return how long it took."""
    started = time.monotonic()
    for _ in range(int(timeout / 0.05) + 1):
        if check():
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


async def ready(node: ServerProcess, timeout: float = 15.0) -> None:
    await readyz(node, 200, timeout)


async def readyz(node: ServerProcess, status: int, timeout: float) -> float:
    """Wait until the node's ``/readyz`` answers ``status`` (polled off the event loop, which may
    be running a proxy the node needs); return how long it took."""
    started = time.monotonic()
    await asyncio.to_thread(_wait_status, node.http_url + "/readyz", status, timeout)
    return time.monotonic() - started


def _wait_status(url: str, status: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while http_status(url) != status:
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer {status} within {timeout} s")
        time.sleep(0.05)


@dataclass
class ChatClient:
    """A WebSocket chat client that records what it receives, in the background."""

    ws: websockets.ClientConnection
    chats: list[dict[str, Any]] = field(default_factory=list)
    acks: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    userlists: list[tuple[float, list[str]]] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, node: ServerProcess, room: str = "lobby", **params: Any) -> ChatClient:
        query = "&".join(f"{k}={v}" for k, v in {"room": room, **params}.items() if v is not None)
        client = cls(await websockets.connect(f"{node.ws_url}?{query}", max_size=None))
        client.reader = asyncio.create_task(client._read())
        await until(lambda: bool(client.status), 5, "Status frame")
        return client

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                kind = frame.get("Type")
                if kind == "Chat":
                    self.chats.append(frame)
                elif kind == "Ack":
                    self.acks[str(frame["Ref"])] = frame["ID"]
                elif kind == "Error":
                    self.errors.append(frame)
                elif kind == "userlist":
                    self.userlists.append((time.monotonic(), [u["Name"] for u in frame["Users"]]))
                elif kind == "Status":
                    self.status = frame
        except websockets.ConnectionClosed:
            pass

    @property
    def closed(self) -> bool:
        return self.reader is not None and self.reader.done()

    @property
    def ids(self) -> list[int]:
        return [frame["ID"] for frame in self.chats]

    @property
    def last_id(self) -> int:
        return self.chats[-1]["ID"] if self.chats else 0

    @property
    def session(self) -> str:
        return str(self.status["Session"])

    @property
    def nick(self) -> str:
        return str(self.status["Nick"])

    async def say(self, text: str, ref: str) -> None:
        message = {"Message": base64.b64encode(text.encode()).decode(), "Ref": ref}
        await self.ws.send(json.dumps(message))

    async def close(self) -> None:
        await self.ws.close()
        if self.reader is not None:
            await self.reader


@dataclass
class Cluster:
    """Starts nodes that share one Redis prefix and one PostgreSQL schema."""

    make_server: Callable[..., ServerProcess]
    db_url: str
    prefix: str
    clients: list[ChatClient] = field(default_factory=list)

    def node_args(self, db_url: str | None = None) -> list[str]:
        return [
            "--broker",
            REDIS_URL,
            "--db",
            db_url or self.db_url,
            "--redis-prefix",
            self.prefix,
            "--presence-ttl",
            str(PRESENCE_TTL),
            "--userlist-interval",
            "0.02",
            "--shutdown-timeout",
            "2",
        ]

    async def node(self, *extra: str, db_url: str | None = None) -> ServerProcess:
        server = self.make_server(*self.node_args(db_url), *extra, start=False)
        await asyncio.to_thread(server.start)
        await ready(server)
        return server

    async def client(self, node: ServerProcess, **params: Any) -> ChatClient:
        client = await ChatClient.connect(node, **params)
        self.clients.append(client)
        return client

    async def stored(self, room: str = "lobby") -> list[asyncpg.Record]:
        """The room's history as PostgreSQL has it: (id, sender, ref) in ID order."""
        conn = await asyncpg.connect(self.db_url)
        try:
            return await conn.fetch(
                "SELECT id, sender, ref FROM messages WHERE room = $1 ORDER BY id", room
            )
        finally:
            await conn.close()


@pytest.fixture
async def cluster(server_factory: Callable[..., ServerProcess]) -> AsyncIterator[Cluster]:
    schema = f"roomcast_cluster_{secrets.token_hex(4)}"
    prefix = f"roomcast-test:{secrets.token_hex(4)}:"
    admin = await asyncpg.connect(POSTGRES_URL, timeout=5)
    await admin.execute(f"CREATE SCHEMA {schema}")
    cluster = Cluster(server_factory, f"{POSTGRES_URL}?search_path={schema}", prefix)
    try:
        yield cluster
    finally:
        for client in cluster.clients:
            if not client.closed:
                await client.ws.close()
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()
        client_redis = redis.Redis.from_url(REDIS_URL)
        try:
            keys = list(client_redis.scan_iter(match=prefix + "*", count=1000))
            if keys:
                client_redis.delete(*keys)
        except redis.RedisError:
            pass
        client_redis.close()


def redis_alive() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def start_redis() -> None:
    subprocess.run(REDIS_START, check=True, capture_output=True)
    deadline = time.monotonic() + 10
    while not redis_alive():
        if time.monotonic() > deadline:
            raise RuntimeError("Redis did not come back")
        time.sleep(0.05)


@pytest.fixture
def redis_restarter() -> Iterator[Callable[[], None]]:
    """Stop the real Redis (``shutdown nosave``); it is always running again after the test."""

    def stop() -> None:
        subprocess.run(["redis-cli", "shutdown", "nosave"], capture_output=True, check=False)

    try:
        yield stop
    finally:
        if not redis_alive():
            start_redis()
