"""Test helpers: base64 text, tutorial-format lines, and a frame-collecting WebSocket client."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any

import websockets


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def unb64(data: str) -> str:
    return base64.b64decode(data).decode("utf-8")


def chat_line(text: str, author: str | None = None, **extra: Any) -> str:
    """A client line in the tutorial's format, plus any extension fields."""
    line: dict[str, Any] = {"Message": b64(text)}
    if author is not None:
        line["Author"] = author
    line.update(extra)
    return json.dumps(line)


Frame = dict[str, Any]


class Client:
    """A real WebSocket client (the ``websockets`` library) that keeps every frame it receives.

    ``expect`` waits for the next frame matching a type and predicate, remembering the others so
    a later ``expect`` can still find them.
    """

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.frames: list[Frame] = []
        self._cursor = 0

    @classmethod
    async def connect(cls, url: str, **params: Any) -> Client:
        query = "&".join(f"{k}={v}" for k, v in params.items() if v is not None)
        ws = await websockets.connect(f"{url}?{query}" if query else url, max_size=None)
        return cls(ws)

    async def send(self, data: str | dict[str, Any]) -> None:
        await self.ws.send(data if isinstance(data, str) else json.dumps(data))

    async def say(self, text: str, author: str | None = None, **extra: Any) -> None:
        await self.send(chat_line(text, author, **extra))

    async def _next(self, timeout: float) -> Frame:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        frame: Frame = json.loads(raw)
        self.frames.append(frame)
        return frame

    async def expect(
        self,
        kind: str,
        where: Callable[[Frame], bool] = lambda f: True,
        timeout: float = 5.0,
    ) -> Frame:
        """The first unclaimed frame of ``kind`` that satisfies ``where``."""
        return await self.expect_where(lambda f: f.get("Type") == kind and where(f), timeout)

    async def expect_where(self, where: Callable[[Frame], bool], timeout: float = 5.0) -> Frame:
        """The first unclaimed frame of any type that satisfies ``where``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        index = self._cursor
        while True:
            while index < len(self.frames):
                frame = self.frames[index]
                if frame.get("Type") != "_claimed" and where(frame):
                    self.frames[index] = {"Type": "_claimed", "was": frame}
                    return frame
                index += 1
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no matching frame arrived; got {self.frames[-20:]}")
            try:
                await self._next(remaining)
            except TimeoutError:
                raise AssertionError(
                    f"no matching frame arrived; got {self.frames[-20:]}"
                ) from None

    async def chats(self, count: int, timeout: float = 5.0) -> list[Frame]:
        return [await self.expect("Chat", timeout=timeout) for _ in range(count)]

    async def quiet(self, kind: str, seconds: float = 0.3) -> list[Frame]:
        """Frames of ``kind`` that arrive within ``seconds`` (to assert that none do)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            try:
                await self._next(remaining)
            except TimeoutError:
                break
            except websockets.ConnectionClosed:
                break
        return [f for f in self.frames if f.get("Type") == kind]

    async def close(self) -> None:
        await self.ws.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()
