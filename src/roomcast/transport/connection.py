"""WebSocket connections over bare asyncio transports: the fast path of the server.

After ``server.FrontDoor`` has read an upgrade request, the socket is handed to a
``WebSocketConnection``: an ``asyncio.Protocol`` that parses frames with ``websocket.FrameParser``
in ``data_received`` and hands commands to the hub. There is no task and no coroutine per
connection while it is idle or sending plain chat lines; a task exists only while a command that
must wait (a join, a history page) is being carried out, and the connection's later frames queue
behind it so their order is kept.

Writing: the hub hands the JSON payload of each frame over, room traffic through one
``RoomFanout`` per room and everything else through the connection itself; both frame it here,
a room's payload once for all its members. ``Outbox`` collects the frames of an event-loop
iteration and then writes each room's frames, joined, once to each member's transport, then each
connection's own frames, at most ``_WRITES_PER_TURN`` writes per event-loop turn: what is left
(the rest of a big room) goes on in the next turn, before any frame queued since. A transport
whose unsent bytes pass the high-water mark belongs to a slow consumer, which is dropped with
close code 1013.

Liveness: one timer for all connections pings those that were silent for ``ping_interval``
seconds and drops those that leave a ping unanswered for half of that, so a vanished peer is gone
within two intervals. It visits every connection once per quarter interval, a slice at a time
(``_HEARTBEAT_SLICES``), so connections opened together are not all pinged, nor their pongs
read, in one event-loop turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final

from roomcast.auth import AuthError
from roomcast.chat.hub import Hub
from roomcast.chat.state import Member, Peer
from roomcast.ops.config import Settings
from roomcast.ops.metrics import Histogram
from roomcast.store import StoreUnavailable
from roomcast.transport.admission import ConnectionLimits
from roomcast.wire import protocol, websocket
from roomcast.wire.http1 import Request
from roomcast.wire.protocol import ErrorCode, ProtocolError
from roomcast.wire.websocket import (
    BinaryMessage,
    Close,
    FrameParser,
    PingFrame,
    Pong,
    TextMessage,
    WebSocketViolation,
    text_frame,
)

log = logging.getLogger(__name__)

# A closing connection waits this long for the peer's close frame before cutting the socket.
_CLOSE_GRACE: Final = 2.0
# Evicted slow consumers get this long to take their close frame before the socket is cut.
_EVICTION_GRACE: Final = 5.0
# Frames queued behind a waiting command before the connection stops reading.
_MAX_QUEUED: Final = 64
# Events one connection may handle before the event loop serves the others.
_EVENTS_PER_TURN: Final = 200
_PAUSED_FOR_QUEUE: Final = 1
_PAUSED_FOR_FAIRNESS: Final = 2
# Transport writes of the outbox per event-loop turn. One line to a room of 1,000 was 1,000
# writes in one callback, 8-17 ms of CPU (bench/micro/stalls.py, 1 x 1,000 at 20 lines/s):
# the loop served nothing else meanwhile. 256 writes took at most 2.8 ms there; but where the
# sockets are full (at 1,000,000 deliveries a second with the generator short of a core) a write
# costs more and 256 took up to 10.9 ms, so a turn also ends after _TURN_SECONDS, checked every
# _WRITES_PER_CHECK writes (the longest turn in one such window then: 4.2 ms of CPU).
_WRITES_PER_TURN: Final = 256
_TURN_SECONDS: Final = 0.002
_WRITES_PER_CHECK: Final = 32
# Slices of the heartbeat's visit of every connection, one per timer call spread over the quarter
# interval. 10,000 idle connections (bench/micro/stalls.py --idle 10000 --rooms 1000 --rate 0)
# came due together and their pings took 28-87 ms to write in one turn, their pongs the rest of
# event-loop stalls of 48-140 ms every 19 s. In 32 slices a turn writes some 320 pings.
_HEARTBEAT_SLICES: Final = 32


class Outbox:
    """Writes what was queued during one loop iteration: room frames first, then own frames,
    over as many turns as ``_WRITES_PER_TURN`` makes it."""

    __slots__ = ("_connections", "_loop", "_rooms", "_scheduled", "_timings", "_writes")

    def __init__(self, loop: asyncio.AbstractEventLoop, timings: Histogram) -> None:
        """``timings``: what writing a room's frames to its members took, per turn."""
        self._loop = loop
        self._timings = timings
        self._rooms: list[RoomFanout] = []
        self._connections: list[WebSocketConnection] = []
        # Taken from the rooms and connections and not yet written: the bytes, the connections
        # still to write them to (written from the end), and whether they are a room's.
        self._writes: deque[tuple[bytes, list[WebSocketConnection], bool]] = deque()
        self._scheduled = False

    def room(self) -> RoomFanout:
        """A fan-out group for a new room."""
        return RoomFanout(self)

    def room_dirty(self, room: RoomFanout) -> None:
        self._rooms.append(room)
        self._schedule()

    def connection_dirty(self, connection: WebSocketConnection) -> None:
        self._connections.append(connection)
        self._schedule()

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        if not self._writes:
            self._take()
        self._write(_WRITES_PER_TURN)
        if self._writes or self._rooms or self._connections:
            self._schedule()

    def drain(self) -> None:
        """Write at once what was taken and not yet written, for a write outside the outbox
        (a member joining a room, a close frame) to come after it."""
        while self._writes:
            self._write(_WRITES_PER_TURN)

    def _take(self) -> None:
        """Take the frames queued since the last take: each room's, then each connection's."""
        rooms, self._rooms = self._rooms, []
        for room in rooms:
            data = room.take()
            if data is not None:
                self._writes.append((data, room.members(), True))
        connections, self._connections = self._connections, []
        for connection in connections:
            data = connection.take()
            if data is not None:
                self._writes.append((data, [connection], False))

    def _write(self, budget: int) -> None:
        writes = self._writes
        deadline = time.perf_counter() + _TURN_SECONDS
        while writes and budget > 0:
            data, targets, timed = writes[0]
            started = ended = time.perf_counter()
            while budget > 0 and ended <= deadline:
                step = min(budget, _WRITES_PER_CHECK)
                now = targets[-step:]
                del targets[-step:]
                budget -= len(now)
                for connection in now:
                    connection.write(data)
                ended = time.perf_counter()
                if not targets:
                    writes.popleft()
                    break
            if timed:
                self._timings.observe(ended - started)
            if ended > deadline:
                return


class RoomFanout:
    """The members of one room on this node; a payload sent here is framed once for all of them."""

    __slots__ = ("_members", "_outbox", "_pending")

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox
        self._members: dict[str, WebSocketConnection] = {}
        self._pending: list[bytes] = []

    def __len__(self) -> int:
        return len(self._members)

    def send(self, payload: bytes) -> None:
        if not self._pending:
            self._outbox.room_dirty(self)
        self._pending.append(text_frame(payload))

    def add(self, peer: Peer) -> None:
        """Start sending room traffic to ``peer``, after what it was sent on its own."""
        assert isinstance(peer, WebSocketConnection)
        self.flush()
        peer.flush()
        self._members[peer.wsid] = peer

    def discard(self, peer: Peer) -> None:
        self._members.pop(peer.wsid, None)

    def members(self) -> list[WebSocketConnection]:
        return list(self._members.values())

    def take(self) -> bytes | None:
        """The frames queued since the last take, joined; None when there are none."""
        pending = self._pending
        if not pending:
            return None
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        pending.clear()
        return data

    def flush(self) -> None:
        """Write the queued frames to every member now, after what the outbox holds."""
        self._outbox.drain()
        data = self.take()
        if data is not None:
            for member in self._members.values():
                member.write(data)


class WebSocketService:
    """Every WebSocket connection of this server: admission, liveness and shutdown."""

    def __init__(self, hub: Hub, settings: Settings, outbox: Outbox) -> None:
        self.hub = hub
        self.settings = settings
        self.outbox = outbox
        self.connections: dict[str, WebSocketConnection] = {}
        self.limits = ConnectionLimits(settings.max_connections, settings.max_connections_per_ip)
        self._heartbeat: asyncio.TimerHandle | None = None
        # The heartbeat's round: the connections it has yet to visit, and its timer calls left.
        self._unvisited: list[WebSocketConnection] = []
        self._beats_left = 0
        # The heartbeat's time (time.monotonic()) at its last visit, which a connection records
        # as when it was last heard from: one float for all, where a float each would be 24
        # bytes per connection; it is at most one visit (ping_interval / 128) early.
        self.beat_time = time.monotonic()
        self._all_gone: asyncio.Event | None = None
        self._last_framed: tuple[bytes, bytes] = (b"", text_frame(b""))

    def start(self) -> None:
        self._schedule_heartbeat()

    def framed(self, payload: bytes) -> bytes:
        """The text frame of ``payload``, made once when the same payload goes to many
        connections one after another (a user list or ``Presence`` to a room's members, a read
        marker to a person's tabs): they queue one shared frame, not a copy each."""
        last = self._last_framed
        if last[0] is payload:
            return last[1]
        frame = text_frame(payload)
        self._last_framed = (payload, frame)
        return frame

    def open(
        self,
        transport: asyncio.Transport,
        request: Request,
        remote: str,
        leftover: bytes,
        accepted: bytes,
    ) -> WebSocketConnection:
        """Take over an upgraded socket; ``accepted``, its 101 answer, goes out with the first
        frames."""
        connection = WebSocketConnection(self, transport, remote)
        # Its kernel send buffer is the listening socket's, small (see ``send_buffer``).
        transport.set_protocol(connection)
        self.connections[connection.wsid] = connection
        self.hub.metrics.connections_opened += 1
        connection.begin(request, leftover, accepted)
        return connection

    def forget(self, connection: WebSocketConnection) -> None:
        if self.connections.pop(connection.wsid, None) is not None:
            self.limits.release(connection.remote)
        if not self.connections and self._all_gone is not None:
            self._all_gone.set()

    async def close_all(self, code: int, reason: str | Callable[[], str], timeout: float) -> None:
        """Close every connection with ``code`` and wait (at most ``timeout``) until they go;
        ``reason`` is the close reason, or a function giving each connection its own."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        for connection in list(self.connections.values()):
            connection.close(code, reason if isinstance(reason, str) else reason())
        self._all_gone = asyncio.Event()
        if not self.connections:
            self._all_gone.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._all_gone.wait(), timeout)
        for connection in list(self.connections.values()):
            connection.abort()

    def _schedule_heartbeat(self) -> None:
        self._heartbeat = asyncio.get_running_loop().call_later(
            self.settings.ping_interval / 4 / _HEARTBEAT_SLICES, self._beat
        )

    def _beat(self) -> None:
        """Visit the next slice of connections: ping the silent, drop those whose ping went
        unanswered."""
        if not self._beats_left:
            self._unvisited = list(self.connections.values())
            self._beats_left = _HEARTBEAT_SLICES
        unvisited = self._unvisited
        # From the end, so what is visited is let go of slice by slice.
        start = len(unvisited) - -(-len(unvisited) // self._beats_left)
        visiting = unvisited[start:]
        del unvisited[start:]
        self._beats_left -= 1
        now = self.beat_time = time.monotonic()
        interval = self.settings.ping_interval
        ping = websocket.ping_frame()
        for connection in visiting:
            if connection.ping_sent:
                if now - connection.ping_sent > interval / 2:
                    log.info("connection %s dropped: no answer to ping", connection.wsid)
                    connection.abort()
            elif now - connection.last_seen >= interval:
                connection.ping_sent = now
                connection.send_frame(ping)
                connection.release_parser()
        self._schedule_heartbeat()


class WebSocketConnection(asyncio.Protocol):
    """One client: frames in through ``data_received``, payloads out, framed. A hub ``Peer``."""

    __slots__ = (
        "_chunks",
        "_failed",
        "_parser",
        "_paused",
        "_queue",
        "_service",
        "_transport",
        "close_code",
        "closing",
        "last_seen",
        "member",
        "ping_sent",
        "remote",
        "wsid",
    )

    def __init__(
        self, service: WebSocketService, transport: asyncio.Transport, remote: str
    ) -> None:
        self.wsid = secrets.token_hex(8)
        self.remote = remote
        self.member: Member | None = None
        self.closing = False
        self.close_code: int | None = None
        # The service's ``beat_time``, not the loop's time: on Python 3.11 get_running_loop()
        # makes a getpid() system call, about one a chat line here (strace of
        # bench/micro/line_cost.py).
        self.last_seen = service.beat_time
        self.ping_sent = 0.0
        self._service = service
        self._transport = transport
        # Made when bytes arrive; dropped once what came is handled and was only control frames
        # (an idle client's pongs), or when the heartbeat finds the connection silent. An idle
        # connection holds none (136 bytes: the parser and its buffer) and a chatting one keeps
        # its own, as making one per frame read costs 0.5 us (docs/decisions.md).
        self._parser: FrameParser | None = None
        # Frames queued for the end of this loop iteration; None when there are none (most idle
        # connections), so an idle connection holds no list.
        self._chunks: list[bytes] | None = None
        self._failed = False
        self._paused = 0
        # Texts waiting behind a command in progress; None when nothing is in progress.
        self._queue: deque[str] | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def begin(self, request: Request, leftover: bytes, accepted: bytes) -> None:
        """Admit the client in the background; frames that arrive meanwhile wait their turn.

        The 101 answer ``accepted`` is held, with every frame sent until the admission is over
        (Status, Joined, the room's state), and written in one piece when the connection joins
        its room (``RoomFanout.add``) or is refused: one write instead of two or three per connect
        (bench/micro/connect_cost.py).
        """
        self._queue = deque()
        self._chunks = [accepted]  # not handed to the outbox: ``_admit`` flushes it
        asyncio.get_running_loop().create_task(self._admit(request))
        if leftover:
            self.data_received(leftover)

    async def _admit(self, request: Request) -> None:
        try:
            admitted = await self._admit_member(request)
        finally:
            if not self._transport.is_closing():
                self.flush()
        if admitted:
            await self._drain()

    async def _admit_member(self, request: Request) -> bool:
        """Identify the client and connect it to the hub: whether it is in (or it is refused,
        or gone)."""
        hub, query = self._service.hub, request.query
        # Mistakes in the URL are reported after the Status frame, which always comes first.
        mistakes: list[ProtocolError] = []
        try:
            since = _since_param(query.get("since"))
        except ProtocolError as exc:
            mistakes.append(exc)
            since = None
        try:
            identity = await hub.auth.identify(request.headers, query, api_key_allowed=False)
        except AuthError as exc:
            refusal: str | None = exc.message
        else:
            refusal = None
            if identity.is_guest and not self._service.settings.allow_guests:
                refusal = "this server admits only signed-in users: log in first"
        if refusal is not None:
            hub.send_error(self, ProtocolError(ErrorCode.LOGIN_REQUIRED, refusal))
            self.close(protocol.CLOSE_SIGNED_OUT, "sign in again")
            return False
        form = query.get("userlist", "full")
        if form not in ("full", "diff"):
            mistakes.append(ProtocolError(ErrorCode.BAD_FIELD, "userlist must be full or diff"))
        try:
            self.member = await hub.connect(
                self,
                room=query.get("room"),
                nick=query.get("nick"),
                since=since,
                session=query.get("session"),
                userlist_diffs=form == "diff",
                remote=self.remote,
                url_mistakes=mistakes,
                identity=identity,
            )
        except ProtocolError as exc:
            hub.send_error(self, exc)
            self.close(protocol.CLOSE_POLICY_VIOLATION, exc.message)
            return False
        except StoreUnavailable as exc:
            hub.send_error(self, ProtocolError(ErrorCode.STORE_UNAVAILABLE, str(exc)))
            self.close(protocol.CLOSE_TRY_AGAIN_LATER, "message store unavailable")
            return False
        if self._transport.is_closing():
            await hub.disconnect(self.member)
            return False
        log.info("connection %s open from %s as %s", self.wsid, self.remote, self.member.nick)
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self._chunks = None
        self._service.forget(self)
        if self.member is not None:
            log.info("connection %s closed (code %s)", self.wsid, self.close_code)
            task = asyncio.get_running_loop().create_task(self._service.hub.disconnect(self.member))
            task.add_done_callback(_log_failure)

    def abort(self) -> None:
        self.closing = True
        self._transport.abort()

    # -- reading --------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._failed:
            return  # after a violation the rest of the stream is noise; wait for the EOF
        self.last_seen = self._service.beat_time
        self.ping_sent = 0.0
        parser = self._parser
        if parser is None:
            parser = self._parser = FrameParser(self._service.settings.max_frame_bytes)
        parser.feed(data)
        if not self._paused & _PAUSED_FOR_FAIRNESS:
            self._consume()

    def _consume(self) -> None:
        """Handle up to ``_EVENTS_PER_TURN`` events, then give other connections a turn."""
        parser = self._parser
        if self._failed or parser is None:
            return
        chatting = False
        try:
            for _ in range(_EVENTS_PER_TURN):
                event = parser.next_event()
                if event is None:
                    if not chatting and parser.idle:
                        self._parser = None
                    self._resume(_PAUSED_FOR_FAIRNESS)
                    return
                if isinstance(event, TextMessage):
                    chatting = True
                    if not self.closing:
                        self._on_text(event.text)
                elif isinstance(event, PingFrame):
                    self.send_frame(websocket.pong_frame(event.payload))
                elif isinstance(event, Close):
                    self._on_close(event)
                    return
                elif isinstance(event, BinaryMessage):
                    self._fail(protocol.CLOSE_UNSUPPORTED_DATA, "binary frames are not accepted")
                    return
                elif not isinstance(event, Pong):
                    raise AssertionError(event)
        except WebSocketViolation as violation:
            self._fail(violation.code, violation.reason)
            return
        self._pause(_PAUSED_FOR_FAIRNESS)
        asyncio.get_running_loop().call_soon(self._consume)

    def _pause(self, reason: int) -> None:
        if not self._paused and not self._transport.is_closing():
            self._transport.pause_reading()
        self._paused |= reason

    def _resume(self, reason: int) -> None:
        if not self._paused & reason:
            return
        self._paused &= ~reason
        if not self._paused and not self._transport.is_closing():
            self._transport.resume_reading()

    def release_parser(self) -> None:
        """Drop the frame parser when it holds nothing (the heartbeat's, for a silent client)."""
        parser = self._parser
        if parser is not None and not self._paused and parser.idle:
            self._parser = None

    def eof_received(self) -> bool:
        return False

    def _on_text(self, text: str) -> None:
        queue = self._queue
        if queue is not None:
            queue.append(text)
            if len(queue) >= _MAX_QUEUED:
                self._pause(_PAUSED_FOR_QUEUE)
            return
        pending = self._dispatch(text)
        if pending is not None:
            self._queue = deque()
            asyncio.get_running_loop().create_task(self._finish(pending))

    def _dispatch(self, text: str) -> Awaitable[None] | None:
        """Parse and start one command; an awaitable when it has to wait for something."""
        hub = self._service.hub
        assert self.member is not None
        try:
            command = protocol.parse(text, self._service.settings.max_text_chars)
        except ProtocolError as exc:
            hub.send_error(self, exc)
            return None
        try:
            return hub.dispatch(self.member, command)
        except Exception:
            log.exception("connection %s: command failed", self.wsid)
            hub.send_error(self, ProtocolError(ErrorCode.INTERNAL, "internal error", command.ref))
            return None

    async def _finish(self, pending: Awaitable[None]) -> None:
        try:
            await pending
        except Exception:
            log.exception("connection %s: command failed", self.wsid)
            self._service.hub.send_error(self, ProtocolError(ErrorCode.INTERNAL, "internal error"))
        await self._drain()

    async def _drain(self) -> None:
        """Carry out the queued texts in order, then go back to handling frames at once."""
        queue = self._queue
        assert queue is not None
        while queue and not self.closing:
            if len(queue) < _MAX_QUEUED:
                self._resume(_PAUSED_FOR_QUEUE)
            pending = self._dispatch(queue.popleft())
            if pending is not None:
                try:
                    await pending
                except Exception:
                    log.exception("connection %s: command failed", self.wsid)
                    self._service.hub.send_error(
                        self, ProtocolError(ErrorCode.INTERNAL, "internal error")
                    )
        self._queue = None

    def _on_close(self, event: Close) -> None:
        if self.close_code is None:
            self.close_code = event.code or 1005
        if not self.closing:
            self.flush()
            self.closing = True
            self._transport.write(websocket.close_frame(event.code or protocol.CLOSE_NORMAL))
        self._transport.close()

    def _fail(self, code: int, reason: str) -> None:
        """Close for a protocol violation: close frame, end of our stream, ignore what follows.

        The socket is not closed while the peer may still be sending (that would reset the
        connection and could destroy the close frame before the peer reads it): it closes when
        the peer closes its side, or after a grace time.
        """
        log.info("connection %s: closing with %d: %s", self.wsid, code, reason)
        self._failed = True
        transport = self._transport
        if not self.closing:
            self.flush()
            self.closing = True
            self.close_code = code
            transport.write(websocket.close_frame(code, reason))
        if transport.can_write_eof():
            transport.write_eof()
        self._resume(_PAUSED_FOR_FAIRNESS | _PAUSED_FOR_QUEUE)
        asyncio.get_running_loop().call_later(_CLOSE_GRACE, transport.abort)

    # -- writing (the hub's Peer interface) -----------------------------------------------------

    def send(self, payload: bytes) -> None:
        """Queue one text frame holding ``payload`` for this client."""
        self.send_frame(self._service.framed(payload))

    def send_frame(self, frame: bytes) -> None:
        """Queue one complete WebSocket frame for this client."""
        if self.closing:
            return
        chunks = self._chunks
        if chunks is None:
            self._chunks = [frame]
            self._service.outbox.connection_dirty(self)
        else:
            chunks.append(frame)

    def take(self) -> bytes | None:
        """The frames queued since the last take, joined; None when there are none."""
        chunks = self._chunks
        if chunks is None:
            return None
        self._chunks = None
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def flush(self) -> None:
        """Write the queued frames now, after what the outbox holds (for this client too)."""
        self._service.outbox.drain()
        data = self.take()
        if data is not None:
            self.write(data)

    def write(self, data: bytes) -> None:
        if self.closing:
            return
        transport = self._transport
        transport.write(data)
        if transport.get_write_buffer_size() > self._service.settings.write_buffer_high_water:
            self._evict()

    def _evict(self) -> None:
        log.warning("connection %s dropped: slow consumer", self.wsid)
        self._service.hub.metrics.slow_consumers_dropped += 1
        self.closing = True
        self.close_code = protocol.CLOSE_TRY_AGAIN_LATER
        self._chunks = None
        transport = self._transport
        transport.write(websocket.close_frame(self.close_code, "slow consumer: output full"))
        transport.close()
        asyncio.get_running_loop().call_later(_EVICTION_GRACE, transport.abort)

    def close(self, code: int, reason: str) -> None:
        """Send a close frame; the socket closes when the peer answers, or after a grace time."""
        if self.closing:
            return
        self.flush()
        self.closing = True
        self.close_code = code
        transport = self._transport
        transport.write(websocket.close_frame(code, reason))
        asyncio.get_running_loop().call_later(_CLOSE_GRACE, transport.abort)


def _since_param(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ProtocolError(ErrorCode.BAD_FIELD, "since must be a non-negative integer")
    return int(raw)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("disconnect failed", exc_info=task.exception())
