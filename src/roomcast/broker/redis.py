"""Redis broker: carries room messages between nodes over Redis pub/sub.

Each room is one Redis channel, ``<prefix>r:<room>``. A node subscribes to the channel of every
room it has members in and publishes each stored message once, so Redis sends one copy per
subscribed node, never one per member. A channel message is ``M<node><id> <payload>`` (a chat
message) or ``P<node>`` (the room's members changed), where ``<node>`` is the 12-character ID of
the sending node. Control events of every room share one more channel, ``<prefix>control``, as
``C<node><room> <payload>``; each node subscribes to it from the start and keeps those of its
rooms. A node delivers its own messages and control events to its own members at once, without
the round trip through Redis, and ignores their echo.

The hot path speaks RESP directly over an asyncio transport with the ``hiredis`` parser: at about
1 µs of CPU per message published or received, it costs a tenth to a twentieth of redis-py's
client (docs/decisions.md, "Scale-out drivers"). Two connections per node: one subscribed, one for
publishing. Publications of one event-loop iteration go out in one write; each stays queued until
Redis has answered it, so a connection lost mid-flight re-sends it after reconnecting (a repeat is
harmless: the hub drops IDs it has delivered). ``RedisClient``, the same kind of connection used
for calls and their replies, serves the presence.

Health: ``healthy`` is true only while both connections are up and every subscription has been
confirmed. A lost connection is re-made with exponential backoff; after the subscribed connection
comes back the listener's ``resubscribed()`` runs, so the hub reads what it missed from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import secrets
import ssl
import urllib.parse
from collections import deque
from collections.abc import Callable
from typing import Any, Final, cast

import hiredis

from roomcast.broker.base import BrokerListener
from roomcast.record import record

log = logging.getLogger(__name__)

NODE_ID_LENGTH: Final = 12
# Tags a presence signal that comes from no node (Redis itself, reaping a dead node's members).
NO_NODE: Final = b"-" * NODE_ID_LENGTH
DEFAULT_PREFIX: Final = "roomcast:"
# How many publications wait for a lost connection before the oldest are dropped; the hub reads
# anything dropped from the store when it notices the gap.
MAX_QUEUED: Final = 100_000
KEEPALIVE_INTERVAL: Final = 5.0
KEEPALIVE_TIMEOUT: Final = 5.0
CONNECT_TIMEOUT: Final = 3.0
BACKOFF_FIRST: Final = 0.05
BACKOFF_MAX: Final = 2.0


def room_channel(prefix: str, room: str) -> str:
    """The Redis channel that carries ``room``'s messages and presence signals."""
    return f"{prefix}r:{room}"


def control_channel(prefix: str) -> str:
    """The Redis channel that carries the control events of every room."""
    return f"{prefix}control"


def publish_head(channel: bytes) -> bytes:
    """The start of a PUBLISH command to ``channel`` in RESP; the message follows."""
    return b"*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n" % (len(channel), channel)


def presence_signal(node: bytes) -> bytes:
    """The channel payload that says "the members of this room changed" (sent by ``node``)."""
    return b"P" + node


def encode_command(*parts: bytes) -> bytes:
    """One Redis command in RESP, ready to write."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        out.append(b"$%d\r\n%s\r\n" % (len(part), part))
    return b"".join(out)


@record
class RedisAddress:
    """Where a Redis server is and how to log in, from a ``redis://`` or ``rediss://`` URL."""

    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool
    db: int = 0

    @classmethod
    def from_url(cls, url: str) -> RedisAddress:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ValueError(f"not a Redis URL: {url!r}")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 6379,
            username=urllib.parse.unquote(parts.username) if parts.username else None,
            password=urllib.parse.unquote(parts.password) if parts.password else None,
            tls=parts.scheme == "rediss",
            db=int(parts.path.strip("/") or 0),
        )


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
    ) -> RespConnection:
        """Connect and log in; raises ``OSError`` or ``TimeoutError`` when Redis is unreachable.

        ``on_message(channel, data)`` receives pub/sub messages; ``on_answered(n)`` hears that
        ``n`` more replies written with ``write(..., replies=n)`` have arrived; with ``encoding``
        bulk replies come back as ``str``.
        """
        loop = asyncio.get_running_loop()
        context = ssl.create_default_context() if address.tls else None
        _, connection = await asyncio.wait_for(
            loop.create_connection(
                lambda: cls(on_message, on_answered, encoding),
                address.host,
                address.port,
                ssl=context,
                server_hostname=address.host if context else None,
            ),
            CONNECT_TIMEOUT,
        )
        try:
            if address.password is not None:
                login = [address.password.encode()]
                if address.username:
                    login.insert(0, address.username.encode())
                await asyncio.wait_for(connection.call(b"AUTH", *login), CONNECT_TIMEOUT)
            # Named, so that CLIENT LIST shows which node and role a connection belongs to.
            await asyncio.wait_for(connection.call(b"CLIENT", b"SETNAME", name), CONNECT_TIMEOUT)
            if address.db:  # keys live in the URL's database; channels ignore it
                await asyncio.wait_for(
                    connection.call(b"SELECT", str(address.db).encode()), CONNECT_TIMEOUT
                )
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


class RedisBroker:
    """A ``Broker`` over Redis pub/sub, for any number of nodes."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        node: str | None = None,
        max_queued: int = MAX_QUEUED,
    ) -> None:
        self._address = RedisAddress.from_url(url)
        self.prefix = prefix
        self.node = (node or secrets.token_hex(NODE_ID_LENGTH // 2)).encode()
        if len(self.node) != NODE_ID_LENGTH:
            raise ValueError(f"a node ID has {NODE_ID_LENGTH} characters")
        self._max_queued = max_queued
        self._listener: BrokerListener | None = None
        self._rooms: dict[str, bytes] = {}  # room -> channel
        self._channels: dict[bytes, str] = {}  # channel -> room
        self._control_channel = control_channel(prefix).encode()
        self._sub: RespConnection | None = None
        self._sub_ready = False
        self._pub: RespConnection | None = None
        # Encoded PUBLISH commands: not yet written, and written but not yet confirmed.
        self._unsent: deque[bytes] = deque()
        self._unanswered: deque[bytes] = deque()
        self._publish_heads: dict[str, bytes] = {}  # room -> "PUBLISH <channel>" in RESP
        self._flush_scheduled = False
        self._dropped = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self, listener: BrokerListener) -> None:
        """Connect both connections (waiting up to a few seconds), then keep them up."""
        self._listener = listener
        self._stopping = False
        subscribed = asyncio.get_running_loop().create_future()
        self._tasks = [
            asyncio.create_task(self._keep_subscribed(subscribed), name="roomcast-redis-sub"),
            asyncio.create_task(self._keep_publishing(), name="roomcast-redis-pub"),
        ]
        try:
            await asyncio.wait_for(asyncio.shield(subscribed), CONNECT_TIMEOUT * 2)
        except TimeoutError:
            log.warning("Redis at %s not reachable yet; retrying", self._address.host)

    async def stop(self) -> None:
        """Send what is queued (for up to a second), then disconnect."""
        self._listener = None
        self._stopping = True
        if self._pub is not None and self._pub.connected and self._unsent:
            self._flush()
            with contextlib.suppress(TimeoutError, ConnectionError, hiredis.ReplyError):
                await asyncio.wait_for(self._pub.call(b"PING"), 1.0)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for connection in (self._sub, self._pub):
            if connection is not None:
                connection.close()
        self._sub = self._pub = None
        self._sub_ready = False
        self._rooms.clear()
        self._channels.clear()

    @property
    def healthy(self) -> bool:
        return (
            self._listener is not None
            and self._sub_ready
            and self._pub is not None
            and self._pub.connected
        )

    # -- subscriptions --------------------------------------------------------------------------

    def subscribe(self, room: str) -> None:
        if room in self._rooms:
            return
        channel = room_channel(self.prefix, room).encode()
        self._rooms[room] = channel
        self._channels[channel] = room
        if self._sub is not None and self._sub.connected:
            self._sub.write(encode_command(b"SUBSCRIBE", channel))

    def unsubscribe(self, room: str) -> None:
        channel = self._rooms.pop(room, None)
        if channel is None:
            return
        del self._channels[channel]
        if self._sub is not None and self._sub.connected:
            self._sub.write(encode_command(b"UNSUBSCRIBE", channel))

    async def _keep_subscribed(self, first: asyncio.Future[None]) -> None:
        backoff = Backoff()
        connected_before = False
        while not self._stopping:
            try:
                connection = await RespConnection.open(
                    self._address, self._on_message, name=b"roomcast-%s-sub" % self.node
                )
            except (OSError, TimeoutError, hiredis.ReplyError) as exc:
                await backoff.retry("Redis subscribe connection", exc)
                continue
            self._sub = connection
            try:
                connection.write(
                    encode_command(b"SUBSCRIBE", self._control_channel, *self._rooms.values())
                )
                # In subscribed mode PING answers after every earlier SUBSCRIBE is confirmed.
                await asyncio.wait_for(connection.call(b"PING"), KEEPALIVE_TIMEOUT)
            except (ConnectionError, TimeoutError, hiredis.ReplyError) as exc:
                log.warning("Redis subscribe failed (retrying): %s", exc)
                connection.close()
                self._sub = None
                await backoff.sleep()
                continue
            self._sub_ready = True
            backoff.reset()
            if not first.done():
                first.set_result(None)
            if connected_before:
                log.info("Redis subscription restored (%d rooms)", len(self._rooms))
                if self._listener is not None:
                    self._listener.resubscribed()
            connected_before = True
            await watch(connection)
            self._sub_ready = False
            self._sub = None
            if not self._stopping:
                log.warning("Redis subscription lost; reconnecting")

    def _on_message(self, channel: bytes, data: bytes) -> None:
        listener = self._listener
        room = self._channels.get(channel)
        if listener is None or data[1 : NODE_ID_LENGTH + 1] == self.node:
            return
        if room is None:
            if channel == self._control_channel:
                self._on_control(listener, data)
            return
        try:
            kind = data[0]
            if kind == 77:  # b"M"
                space = data.index(b" ", NODE_ID_LENGTH + 1)
                listener.deliver(room, int(data[NODE_ID_LENGTH + 1 : space]), data[space + 1 :])
            elif kind == 80:  # b"P"
                listener.presence_changed(room)
        except Exception:  # one bad message must not stop the others on this connection
            log.exception("Redis message on %r not handled", channel)

    def _on_control(self, listener: BrokerListener, data: bytes) -> None:
        try:
            space = data.index(b" ", NODE_ID_LENGTH + 1)
            room = data[NODE_ID_LENGTH + 1 : space].decode()
            if room in self._rooms:
                listener.control(room, data[space + 1 :])
        except Exception:  # one bad event must not stop the others on this connection
            log.exception("Redis control event not handled")

    # -- publishing -----------------------------------------------------------------------------

    def publish(self, room: str, message_id: int, payload: bytes) -> None:
        if self._listener is not None and room in self._rooms:
            self._listener.deliver(room, message_id, payload)
        self._enqueue(room, b"M%s%d %s" % (self.node, message_id, payload))

    def announce(self, room: str) -> None:
        self._enqueue(room, presence_signal(self.node))

    def publish_control(self, room: str, payload: bytes) -> None:
        if self._listener is not None and room in self._rooms:
            self._listener.control(room, payload)
        self._queue(
            publish_head(self._control_channel), b"C%s%s %s" % (self.node, room.encode(), payload)
        )

    def _enqueue(self, room: str, data: bytes) -> None:
        head = self._publish_heads.get(room)
        if head is None:
            head = publish_head(room_channel(self.prefix, room).encode())
            if len(self._publish_heads) > 10_000:
                self._publish_heads.clear()
            self._publish_heads[room] = head
        self._queue(head, data)

    def _queue(self, head: bytes, data: bytes) -> None:
        """Queue one PUBLISH (``head`` names its channel) for the next write."""
        unsent = self._unsent
        unsent.append(b"%s$%d\r\n%s\r\n" % (head, len(data), data))
        if len(unsent) > self._max_queued:
            unsent.popleft()
            self._dropped += 1
            if self._dropped in (1, 1000) or self._dropped % 100_000 == 0:
                log.warning("Redis unreachable: %d publications dropped so far", self._dropped)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """Write every publication of this loop iteration in one write."""
        self._flush_scheduled = False
        pub = self._pub
        if pub is None or not pub.connected or not self._unsent:
            return
        batch, self._unsent = self._unsent, deque()
        self._unanswered.extend(batch)
        pub.write(b"".join(batch), len(batch))

    def _answered(self, count: int) -> None:
        unanswered = self._unanswered
        for _ in range(min(count, len(unanswered))):
            unanswered.popleft()

    def _requeue_unanswered(self) -> None:
        """The publishing connection is gone: what it did not confirm goes out again."""
        self._unanswered.extend(self._unsent)
        self._unsent, self._unanswered = self._unanswered, deque()

    async def _keep_publishing(self) -> None:
        backoff = Backoff()
        while not self._stopping:
            try:
                connection = await RespConnection.open(
                    self._address, None, self._answered, name=b"roomcast-%s-pub" % self.node
                )
            except (OSError, TimeoutError, hiredis.ReplyError) as exc:
                await backoff.retry("Redis publish connection", exc)
                continue
            backoff.reset()
            self._pub = connection
            self._flush()
            await watch(connection)
            self._pub = None
            self._requeue_unanswered()
            if not self._stopping:
                log.warning("Redis publish connection lost; reconnecting")


async def watch(connection: RespConnection) -> None:
    """Return when ``connection`` is lost, or drop it and return when it stops answering pings."""
    while True:
        try:
            await asyncio.wait_for(asyncio.shield(connection.lost), KEEPALIVE_INTERVAL)
            return
        except TimeoutError:
            pass
        try:
            await asyncio.wait_for(connection.call(b"PING"), KEEPALIVE_TIMEOUT)
        except (ConnectionError, TimeoutError, hiredis.ReplyError) as exc:
            log.warning("Redis connection not answering (%s); dropping it", exc)
            connection.close()
            await connection.lost
            return


class Script:
    """A Lua script run with ``EVALSHA``, sent whole once when Redis does not know it yet."""

    def __init__(self, source: str) -> None:
        self.source = source.encode()
        self.sha = hashlib.sha1(self.source).hexdigest().encode()


class RedisClient:
    """Redis commands over one pipelined connection that re-connects by itself.

    Calls from any number of tasks share the connection: each writes its command at once and
    waits for its own reply, and Redis runs them in the order they were made. While the
    connection is down, calls fail at once with ``ConnectionError``.
    """

    def __init__(self, address: RedisAddress, *, name: bytes, timeout: float = 5.0) -> None:
        self._address = address
        self._name = name
        self.timeout = timeout
        self._connection: RespConnection | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._keep_connected(), name="roomcast-redis")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def wait_connected(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the connection; whether it is up."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), timeout)
        return self._connected.is_set()

    async def call(self, *parts: bytes | str | int | float) -> Any:
        """Run one command; raises ``ConnectionError``, ``TimeoutError`` or the reply's error."""
        connection = self._connection
        if connection is None or not connection.connected:
            raise ConnectionError("Redis is not connected")
        encoded = [p if isinstance(p, bytes) else str(p).encode() for p in parts]
        return await asyncio.wait_for(connection.call(*encoded), self.timeout)

    async def run(self, script: Script, *args: bytes | str | int | float) -> Any:
        """Run a Lua script (no declared keys) with ``args`` as ARGV."""
        try:
            return await self.call(b"EVALSHA", script.sha, 0, *args)
        except hiredis.ReplyError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        return await self.call(b"EVAL", script.source, 0, *args)

    async def _keep_connected(self) -> None:
        backoff = Backoff()
        while True:
            try:
                connection = await RespConnection.open(
                    self._address, name=self._name, encoding="utf-8"
                )
            except (OSError, TimeoutError, hiredis.ReplyError) as exc:
                await backoff.retry("Redis connection", exc)
                continue
            backoff.reset()
            self._connection = connection
            self._connected.set()
            await watch(connection)
            self._connected.clear()
            self._connection = None


class Backoff:
    """Waits between reconnect attempts: doubling from ``BACKOFF_FIRST`` to ``BACKOFF_MAX``,
    each with jitter, so nodes that lost Redis together do not all come back at once."""

    __slots__ = ("delay",)

    def __init__(self) -> None:
        self.delay = BACKOFF_FIRST

    def reset(self) -> None:
        self.delay = BACKOFF_FIRST

    async def sleep(self) -> None:
        await asyncio.sleep(self.delay * (0.5 + random.random()))
        self.delay = min(self.delay * 2, BACKOFF_MAX)

    async def retry(self, what: str, exc: BaseException) -> None:
        """Log a failed attempt (a warning once per outage; the retries that follow are
        routine) and wait before the next."""
        level = logging.WARNING if self.delay == BACKOFF_FIRST else logging.DEBUG
        log.log(level, "%s failed (retrying): %s", what, exc)
        await self.sleep()
