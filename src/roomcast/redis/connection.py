"""One Redis connection speaking RESP over an asyncio transport, its replies parsed by hiredis.

At about 1 µs of CPU per message published or received it costs a tenth to a twentieth of
redis-py's client (docs/decisions.md, "Scale-out drivers").
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar, cast

import hiredis

from roomcast.redis.address import RedisAddress

# The default bound, in seconds, of opening a connection and of every call (``broker_timeout``).
TIMEOUT: Final = 5.0
# What opening a connection raises when Redis cannot be reached or refuses the login.
OPEN_FAILED: Final = (OSError, TimeoutError, hiredis.ReplyError)
# What a command raises when its connection is lost, silent, or Redis answers with an error.
CALL_FAILED: Final = (ConnectionError, TimeoutError, hiredis.ReplyError)


_T = TypeVar("_T")


async def answered(reply: Awaitable[_T], timeout: float) -> _T:
    """``reply`` within ``timeout`` seconds, or a ``TimeoutError`` that says so."""
    try:
        return await asyncio.wait_for(reply, timeout)
    except TimeoutError:
        raise TimeoutError(f"Redis did not answer within {timeout:g} s") from None


def encode_command(*parts: bytes) -> bytes:
    """One Redis command in RESP, ready to write."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        out.append(b"$%d\r\n%s\r\n" % (len(part), part))
    return b"".join(out)


class RespConnection(asyncio.Protocol):
    """One Redis connection: commands are written without waiting, replies parsed by hiredis.

    Replies resolve waiters in order. On a subscribed connection, ``message`` pushes go to
    ``on_message`` and subscribe confirmations are ignored; a ``PING`` there answers ``pong``.
    """

    def __init__(
        self,
        on_message: Callable[[bytes, bytes], None] | None = None,
        on_answered: Callable[[int], None] | None = None,
        encoding: str | None = None,
    ) -> None:
        self._reader = hiredis.Reader(encoding=encoding) if encoding else hiredis.Reader()
        self._waiters: deque[asyncio.Future[Any] | None] = deque()
        self._on_message = on_message
        self._on_answered = on_answered
        self.transport: asyncio.Transport | None = None
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @classmethod
    async def open(
        cls,
        address: RedisAddress,
        on_message: Callable[[bytes, bytes], None] | None = None,
        on_answered: Callable[[int], None] | None = None,
        *,
        name: bytes = b"roomcast",
        encoding: str | None = None,
        timeout: float = TIMEOUT,
    ) -> RespConnection:
        """Connect and log in, each step within ``timeout`` seconds; raises ``OSError`` or
        ``TimeoutError`` when Redis is unreachable or does not answer.

        ``on_message(channel, data)`` receives pub/sub messages; ``on_answered(n)`` hears that
        ``n`` more replies written with ``write(..., replies=n)`` have arrived; with ``encoding``
        bulk replies come back as ``str``.
        """
        loop = asyncio.get_running_loop()
        context = ssl.create_default_context() if address.tls else None
        _, connection = await answered(
            loop.create_connection(
                lambda: cls(on_message, on_answered, encoding),
                address.host,
                address.port,
                ssl=context,
                server_hostname=address.host if context else None,
            ),
            timeout,
        )
        try:
            if address.password is not None:
                login = [address.password.encode()]
                if address.username:
                    login.insert(0, address.username.encode())
                await answered(connection.call(b"AUTH", *login), timeout)
            # Named, so that CLIENT LIST shows which node and role a connection belongs to.
            await answered(connection.call(b"CLIENT", b"SETNAME", name), timeout)
            if address.db:  # keys live in the URL's database; channels ignore it
                await answered(connection.call(b"SELECT", str(address.db).encode()), timeout)
        except BaseException:
            connection.close()
            raise
        return connection

    # -- asyncio.Protocol -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        reader = self._reader
        reader.feed(data)
        on_message = self._on_message
        waiters = self._waiters
        answered = 0
        while (reply := reader.gets()) is not False:
            if on_message is not None and type(reply) is list:
                kind = reply[0]
                if kind == b"message":
                    on_message(reply[1], reply[2])
                    continue
                if kind != b"pong":
                    continue  # subscribe / unsubscribe confirmations
            if not waiters:
                continue
            waiter = waiters.popleft()
            if waiter is None:
                answered += 1
            elif not waiter.done():
                if isinstance(reply, hiredis.ReplyError):
                    waiter.set_exception(reply)
                else:
                    waiter.set_result(reply)
        if answered and self._on_answered is not None:
            self._on_answered(answered)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        error = ConnectionError(f"Redis connection lost: {exc or 'closed'}")
        while self._waiters:
            waiter = self._waiters.popleft()
            if waiter is not None and not waiter.done():
                waiter.set_exception(error)
        if not self.lost.done():
            self.lost.set_result(None)

    # -- commands -------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()

    def write(
        self, data: bytes, replies: int = 0, *, waiter: asyncio.Future[Any] | None = None
    ) -> None:
        """Write encoded commands: ``replies`` answers only to count, then ``waiter``'s."""
        if self.transport is None:
            raise ConnectionError("Redis connection is closed")
        self.transport.write(data)
        self._waiters.extend([None] * replies)
        if waiter is not None:
            self._waiters.append(waiter)

    def call(self, *parts: bytes) -> asyncio.Future[Any]:
        """Send one command; the future gets its reply (or its error)."""
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.write(encode_command(*parts), waiter=waiter)
        return waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
