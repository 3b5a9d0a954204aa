"""``connect``, the library's entry point: a ``ChatClient`` to ``await`` or to use with
``async with``.

Imports only ``roomcast.client.chat_client``.
"""

from __future__ import annotations

from collections.abc import Generator
from types import TracebackType
from typing import Any

from roomcast.client.chat_client import ChatClient


class _Connecting:
    """What ``connect`` returns: ``await`` it, or use it with ``async with``."""

    def __init__(self, client: ChatClient) -> None:
        self._client = client

    def __await__(self) -> Generator[Any, None, ChatClient]:
        return self._client.open().__await__()

    async def __aenter__(self) -> ChatClient:
        return await self._client.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._client.aclose()


def connect(
    url: str,
    *,
    nick: str | None = None,
    room: str | None = None,
    session: str | None = None,
    reconnect: bool = True,
    reconnect_delay: float = 0.25,
    max_reconnect_delay: float = 10.0,
    heartbeat: float | None = 20.0,
    connect_timeout: float = 10.0,
) -> _Connecting:
    """Connect to a roomcast server: ``async with connect(url, nick=...) as chat: ...``.

    ``url`` is the WebSocket URL (``ws://host:port/ws``); ``http://host:port`` works too.
    ``room`` is the first room (default ``default``). ``session`` takes over an earlier client's
    session (its nickname and its idempotent ``Ref``s). With ``reconnect`` the client reconnects
    after a drop, waiting from ``reconnect_delay`` up to ``max_reconnect_delay`` seconds between
    attempts. The first connection is not retried: its failure raises (``aiohttp.ClientError``,
    ``OSError``, ``TimeoutError``, or ``ChatError`` when the server refuses the room).
    """
    return _Connecting(
        ChatClient(
            url,
            nick=nick,
            room=room,
            session=session,
            reconnect=reconnect,
            reconnect_delay=reconnect_delay,
            max_reconnect_delay=max_reconnect_delay,
            heartbeat=heartbeat,
            connect_timeout=connect_timeout,
        )
    )
