"""For tests of ``ChatClient`` against a live server: waiting on its events (the next of a kind,
all until a condition holds, all that arrived), and a proxy that loses the server's answers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from roomcast.client import ChatClient, Event

E = TypeVar("E")


async def next_of(
    chat: ChatClient,
    kind: type[E],
    where: Callable[[E], bool] = lambda _: True,
    timeout: float = 5.0,
) -> E:
    """The next event of ``kind`` (for which ``where`` holds), skipping others."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        event: Any = await chat.next_event(max(0.01, deadline - loop.time()))
        if isinstance(event, kind) and where(event):
            return event


async def until(
    chat: ChatClient, done: Callable[[list[Event]], object], timeout: float = 15.0
) -> list[Event]:
    """Events until ``done(events)`` holds."""
    events: list[Event] = []
    async with asyncio.timeout(timeout):
        while not done(events):
            events.append(await chat.next_event())
    return events


async def arrived(chat: ChatClient) -> list[Event]:
    """Every event the server sent ``chat`` before now and it has not read yet: a ``Ping``'s
    ``Pong`` comes after all of them."""
    await chat.ping()
    events: list[Event] = []
    while True:
        try:
            events.append(await chat.next_event(0.05))
        except TimeoutError:
            return events


class AnswerCutter:
    """A TCP proxy in front of a server whose answers can be held back (dropped) and then cut
    off with the connections: a client's requests reach the server, their answers never reach
    the client, and the client's reconnect (through the proxy again) finds it open as usual."""

    def __init__(self, server_port: int) -> None:
        self._server_port = server_port
        self._holding = False
        self._clients: list[asyncio.StreamWriter] = []
        self._listener: asyncio.Server | None = None
        self.ws_url = ""

    async def __aenter__(self) -> AnswerCutter:
        self._listener = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._listener.sockets[0].getsockname()[1]
        self.ws_url = f"ws://127.0.0.1:{port}/ws"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.cut()
        assert self._listener is not None
        self._listener.close()

    def hold(self) -> None:
        """From now on, drop what the server sends until ``cut``."""
        self._holding = True

    def cut(self) -> None:
        """Abort every connection made so far (what was held is lost) and forward again."""
        for writer in self._clients:
            writer.transport.abort()
        self._clients.clear()
        self._holding = False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.append(writer)
        try:
            upstream_reader, upstream = await asyncio.open_connection(
                "127.0.0.1", self._server_port
            )
        except OSError:
            writer.transport.abort()  # the server is down: so is this connection
            return
        down = asyncio.ensure_future(self._pump(upstream_reader, writer, held=True))
        try:
            await self._pump(reader, upstream, held=False)
        finally:
            upstream.transport.abort()
            down.cancel()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, held: bool
    ) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                if held and self._holding:
                    continue
                writer.write(data)
                await writer.drain()
