"""Waiting on a ``ChatClient``'s events in tests against a live server."""

from __future__ import annotations

import asyncio
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
