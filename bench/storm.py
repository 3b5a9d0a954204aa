"""The reconnect storm: every client of a restarted server comes back at once, resuming.

``CLIENTS`` clients in ``ROOMS`` rooms join and see ``LINES`` lines per room; the server is
stopped with SIGTERM (roomcast closes each connection with 1012 and a ``retry_after_ms`` hint
drawn from 0 to ``restart_spread``) and started again on the same data. Every client then
reconnects with ``session`` and ``since`` (the last ID it saw) in one of two ways:

- ``at_once``: all of them the moment the new server listens (hints ignored: the worst case);
- ``hinted``: each after its own hint, counted from its close, as roomcast's clients do (a
  refused connect while the server is still down is retried after 100-200 ms).

The first client of each room sends ``LINES`` more lines as soon as it is live again, so the
others take some of them from their backlog and some live, across the replay's boundary. When
every client is live and the room is quiet, each client's IDs must be exactly its room's IDs,
each once: ``lost`` and ``repeated`` count the exceptions. ``last_live_secs`` is the time from
the new server listening to the last client live (``Joined`` and its backlog read), and
``server_cpu`` the server's CPU seconds (all its processes and threads) over that time: steadier
than the time on a shared machine.

uWebSockets.js has no sessions or history: its row is the plain reconnect of the same clients to
the restarted peer, all at once, ``last_live_secs`` until the last upgrade is answered.

The clients are asyncio protocols on uvloop in this process (not the C generator: it has no
resume), pinned to the generator's core while the storm runs; its CPU is in ``client_cpu``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import struct
import time
from dataclasses import dataclass, field
from typing import Any, Final, cast
from urllib.parse import quote

from bench.scenarios import Plan
from bench.servers import GENERATOR_CPU, RunningServer, ServerSpec, cpu_seconds, start_server

_HANDSHAKE: Final = (
    "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
_CONNECTING: Final = 256  # connects in flight at once (the C generator's limit too)
LINES: Final = 3  # lines per room before the restart, and again from each talker after it


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (mask key 0: the payload goes as it is)."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + b"\0\0\0\0" + payload


def parse_frames(buffer: bytearray) -> list[tuple[int, bytes]]:
    """Take the complete server (unmasked) frames off the front of ``buffer``."""
    out = []
    while len(buffer) >= 2:
        n, at = buffer[1] & 0x7F, 2
        if n == 126:
            if len(buffer) < 4:
                break
            n, at = struct.unpack_from("!H", buffer, 2)[0], 4
        elif n == 127:
            if len(buffer) < 10:
                break
            n, at = struct.unpack_from("!Q", buffer, 2)[0], 10
        if len(buffer) < at + n:
            break
        out.append((buffer[0] & 0x0F, bytes(buffer[at : at + n])))
        del buffer[: at + n]
    return out


@dataclass
class Client:
    """One storm client's state across both of its connections."""

    room: str
    nick: str
    talker: bool
    session: str | None = None
    ids: list[int] = field(default_factory=list)
    retry_after: float | None = None
    closed_at: float = 0.0
    live_at: float = 0.0
    backlog_left: int = 0


class Connection(asyncio.Protocol):
    """One WebSocket connection of a ``Client``; ``live`` resolves when it is live."""

    def __init__(self, client: Client, plain: bool, storm: Storm) -> None:
        self.client, self.plain, self.storm = client, plain, storm
        self.live: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        client = self.client
        path = f"/ws?room={client.room}&nick={client.nick}"
        if client.session is not None:
            since = client.ids[-1] if client.ids else 0
            path += f"&session={quote(client.session)}&since={since}"
        self.transport.write(_HANDSHAKE.format(path=path).encode())

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                self._done(RuntimeError(bytes(self.buffer[:end]).decode(errors="replace")))
                return
            del self.buffer[: end + 4]
            self.upgraded = True
            if self.plain:
                self._live()
        for opcode, payload in parse_frames(self.buffer):
            if opcode == 1 and not self.plain:
                self._on_text(json.loads(payload))
            elif opcode == 8:
                self._on_close(payload)
            elif opcode == 9 and self.transport is not None:
                self.transport.write(client_frame(10, payload))

    def _on_text(self, frame: dict[str, Any]) -> None:
        client, kind = self.client, frame.get("Type")
        if kind == "Chat":
            client.ids.append(int(frame["ID"]))
            client.backlog_left -= 1
        elif kind == "Status":
            client.session = str(frame["Session"])
        elif kind == "Joined":
            client.backlog_left = int(frame.get("Backlog", 0))
        if kind in ("Chat", "Joined") and client.backlog_left <= 0 and not self.live.done():
            self._live()

    def _live(self) -> None:
        self.client.live_at = time.monotonic()
        self.live.set_result(None)

    def send_line(self, ref: int) -> None:
        assert self.transport is not None
        line = {"Message": base64.b64encode(b"storm").decode(), "Author": self.client.nick,
                "Ref": ref}  # fmt: skip
        self.transport.write(client_frame(1, json.dumps(line).encode()))

    def _on_close(self, payload: bytes) -> None:
        client = self.client
        client.closed_at = time.monotonic()
        code = struct.unpack_from("!H", payload)[0] if len(payload) >= 2 else 1005
        if code == 1012:
            try:
                hint = json.loads(payload[2:])
                client.retry_after = int(hint["retry_after_ms"]) / 1000.0
            except (ValueError, KeyError, TypeError):
                client.retry_after = None
        if self.transport is not None:
            self.transport.write(client_frame(8, payload[:2]))
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.client.closed_at:
            self.client.closed_at = time.monotonic()
        self._done(exc or ConnectionError("closed before live"))

    def _done(self, exc: BaseException) -> None:
        if not self.live.done():
            self.live.set_exception(exc)
        if not self.gone.done():
            self.gone.set_result(None)
        if self.transport is not None:
            self.transport.close()


class Storm:
    """The clients of one run and the connections they have open."""

    connection_class: type[Connection] = Connection

    def __init__(self, port: int, clients: int, rooms: int, plain: bool) -> None:
        self.port, self.plain = port, plain
        self.clients = [Client(f"s{i % rooms}", f"n{i}", talker=i < rooms) for i in range(clients)]
        self.connections: dict[str, Connection] = {}
        self._slots = asyncio.Semaphore(_CONNECTING)

    async def connect(self, client: Client, retry: bool) -> Connection:
        """One connection of ``client``, live; refused connects retried when ``retry``."""
        loop = asyncio.get_running_loop()
        while True:
            async with self._slots:
                try:
                    _, connection = await loop.create_connection(
                        lambda: self.connection_class(client, self.plain, self),
                        "127.0.0.1",
                        self.port,
                    )
                    await asyncio.wait_for(connection.live, 60)
                except (ConnectionError, OSError, RuntimeError):
                    if not retry:
                        raise
                    connection = None
            if connection is not None:
                self.connections[client.nick] = connection
                return connection
            await asyncio.sleep(0.1 + 0.1 * random.random())

    async def send_lines(self, lines: int, first_ref: int) -> None:
        """``lines`` lines from each room's talker, one loop turn apart."""
        for n in range(lines):
            for client in self.clients:
                if client.talker:
                    self.connections[client.nick].send_line(first_ref + n)
            await asyncio.sleep(0)

    async def quiet(self, seconds: float = 0.5, limit: float = 30.0) -> None:
        """Wait until no client saw a new ID for ``seconds`` (at most ``limit``)."""
        deadline = time.monotonic() + limit
        seen = -1
        while time.monotonic() < deadline:
            count = sum(len(c.ids) for c in self.clients)
            if count == seen:
                return
            seen = count
            await asyncio.sleep(seconds)

    def check(self) -> dict[str, float]:
        """Lost and repeated IDs over every client, against the union of its room's IDs."""
        rooms: dict[str, set[int]] = {}
        for client in self.clients:
            rooms.setdefault(client.room, set()).update(client.ids)
        lost = repeated = 0
        for client in self.clients:
            lost += len(rooms[client.room] - set(client.ids))
            repeated += len(client.ids) - len(set(client.ids))
        return {"lost": lost, "repeated": repeated,
                "ids_per_room": round(sum(map(len, rooms.values())) / len(rooms), 1)}  # fmt: skip


async def _storm(server: RunningServer, clients: int, rooms: int, lines: int, mode: str,
                 plain: bool) -> dict[str, Any]:  # fmt: skip
    storm = Storm(server.port, clients, rooms, plain)
    loop = asyncio.get_running_loop()
    await asyncio.gather(*(storm.connect(c, retry=False) for c in storm.clients))
    if not plain:
        await storm.send_lines(lines, 1)
        await storm.quiet()
    stopped_at = time.monotonic()
    back_at = await loop.run_in_executor(None, server.restart)
    await asyncio.gather(*(c.gone for c in storm.connections.values()))
    storm.connections.clear()
    hinted = sum(c.retry_after is not None for c in storm.clients)
    cpu0 = time.process_time()
    server_user, server_system, _ = cpu_seconds(server)

    async def resume(client: Client) -> None:
        if mode == "hinted" and client.retry_after is not None:
            await asyncio.sleep(max(0.0, client.closed_at + client.retry_after - time.monotonic()))
        connection = await storm.connect(client, retry=True)
        if client.talker and not plain:
            for n in range(lines):
                connection.send_line(1000 + n)

    await asyncio.gather(*(resume(c) for c in storm.clients))
    last_live = max(c.live_at for c in storm.clients)
    user, system, _ = cpu_seconds(server)
    result: dict[str, Any] = {
        "server": server.spec.name, "mode": mode, "clients": clients, "rooms": rooms,
        "restart_secs": round(back_at - stopped_at, 2), "hinted": hinted,
        "last_live_secs": round(last_live - back_at, 3),
        "client_cpu": round(time.process_time() - cpu0, 2),
        "server_cpu": round(user + system - server_user - server_system, 2),
    }  # fmt: skip
    if not plain:
        await storm.quiet()
        result.update(storm.check())
    for connection in storm.connections.values():
        if connection.transport is not None:
            connection.transport.close()
    return result


def storm(server: RunningServer, clients: int, rooms: int, lines: int, mode: str) -> dict[str, Any]:
    """One storm against ``server`` (roomcast: resuming; any other server: plain reconnect)."""
    import uvloop

    plain = not server.spec.name.startswith("roomcast")
    affinity = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(GENERATOR_CPU)})
    try:
        return uvloop.run(_storm(server, clients, rooms, lines, mode, plain))
    finally:
        os.sched_setaffinity(0, affinity)


def scenario(spec: ServerSpec, plan: Plan) -> dict[str, Any]:
    """The storm at ``plan.storm_clients`` clients in ``plan.storm_rooms`` rooms: roomcast both
    at once and hinted, another server its plain reconnect; a fresh server for each run."""
    runs = []
    for mode in ("at_once", "hinted") if spec.name.startswith("roomcast") else ("at_once",):
        server = start_server(spec, plan.log_dir)
        try:
            runs.append(storm(server, plan.storm_clients, plan.storm_rooms, LINES, mode))
        finally:
            server.stop()
        print(f"bench:   {spec.name:13} storm: {runs[-1]}", flush=True)
    return {"server": spec.name, "runs": runs}
