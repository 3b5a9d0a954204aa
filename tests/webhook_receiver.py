"""A real webhook receiver for the notification tests: an aiohttp server on 127.0.0.1 that keeps
every request it is sent and answers with the statuses it is told, then 200."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from conftest import free_port


@dataclass(frozen=True)
class Received:
    """One request as it arrived."""

    body: bytes
    headers: dict[str, str]
    status: int

    @property
    def key(self) -> str:
        return self.headers["Idempotency-Key"]

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))

    def signed_with(self, secret: str) -> bool:
        expected = hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers["X-Roomcast-Signature"], "sha256=" + expected)


@dataclass
class Receiver:
    """The requests so far, and the answers still to give (then 200), each ``delay`` s late."""

    port: int
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    delay: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/roomcast"

    async def handle(self, request: web.Request) -> web.Response:
        status = self.answers.pop(0) if self.answers else 200
        body = await request.read()
        await asyncio.sleep(self.delay)
        self.received.append(Received(body, dict(request.headers), status))
        return web.Response(status=status)

    def delivered(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.status < 300]

    async def wait_for(self, count: int, timeout: float) -> list[Received]:
        """Wait until ``count`` requests arrived; all of them."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} of {count} requests in {timeout} s")
            await asyncio.sleep(0.05)
        return list(self.received)


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    """A receiver listening on a free port of 127.0.0.1 for as long as the block runs."""
    found = Receiver(free_port())
    app = web.Application()
    app.router.add_post("/hooks/roomcast", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", found.port)
    await site.start()
    try:
        yield found
    finally:
        await runner.cleanup()
