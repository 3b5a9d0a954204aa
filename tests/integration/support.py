"""Tools for the integration suite: a client with barriers, a raw WebSocket socket, HTTP and CLI.

``ChatClient`` extends the shared ``helpers.Client`` (a real ``websockets`` client) with the
waits these tests need: ``open`` returns once the server has admitted the client to its room,
``barrier`` is a Ping/Pong round trip after which every frame the server queued earlier for this
connection has arrived (so "nothing else came" can be asserted without sleeping), and
``close_code`` drains the connection and reports the close code the server sent.

``RawWebSocket`` speaks WebSocket by hand over a TCP socket, for what a well-behaved library
refuses to do: unmasked or reserved-opcode frames, invalid UTF-8, and peers that go silent.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import secrets
import struct
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import websockets

from helpers import Client, Frame

_refs = itertools.count(1)


def query_url(base: str, **params: Any) -> str:
    """``base`` with the given query parameters, properly percent-encoded (None is left out)."""
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    return f"{base}?{query}" if query else base


def user_names(frame: Frame) -> list[str]:
    """The sorted names of a userlist frame."""
    return sorted(user["Name"] for user in frame["Users"])


def latin1_b64(text: str) -> str:
    """What the tutorial's page sends: ``btoa(text)``, base64 of the Latin-1 bytes."""
    return base64.b64encode(text.encode("latin-1")).decode("ascii")


class ChatClient(Client):
    """A ``helpers.Client`` with admission, barriers, close codes and a linear-time ``expect``."""

    status: Frame
    joined: Frame | None = None

    @classmethod
    async def open(
        cls, url: str, *, joined: bool = True, timeout: float = 15.0, **params: Any
    ) -> ChatClient:
        """Connect and wait for Status (and, unless ``joined=False``, the first Joined)."""
        ws = await websockets.connect(
            query_url(url, **params), max_size=None, max_queue=None, open_timeout=timeout
        )
        client = cls(ws)
        client.status = await client.expect("Status", timeout=timeout)
        if joined:
            client.joined = await client.expect("Joined", timeout=timeout)
        return client

    async def __aenter__(self) -> ChatClient:
        return self

    @property
    def nick(self) -> str:
        """The nickname the server assigned at connect time."""
        return str(self.status["Nick"])

    async def expect(
        self,
        kind: str,
        where: Callable[[Frame], bool] = lambda f: True,
        timeout: float = 10.0,
    ) -> Frame:
        """As ``Client.expect``, skipping the already claimed prefix so long runs stay linear."""
        while self._cursor < len(self.frames) and self.frames[self._cursor]["Type"] == "_claimed":
            self._cursor += 1
        return await super().expect(kind, where, timeout)

    def discard(self) -> None:
        """Forget every frame received so far (for long-running senders)."""
        self.frames.clear()
        self._cursor = 0

    def after(self, frame: Frame) -> list[Frame]:
        """Every frame received after ``frame`` (one that ``expect`` returned), claimed or not."""
        index = next(i for i, f in enumerate(self.frames) if f.get("was") is frame)
        return [f.get("was", f) for f in self.frames[index + 1 :]]

    def received(self, kind: str) -> list[Frame]:
        """Every frame of ``kind`` received so far, claimed or not."""
        frames = (f.get("was", f) for f in self.frames)
        return [f for f in frames if f.get("Type") == kind]

    def unclaimed(self, kind: str) -> list[Frame]:
        """Frames of ``kind`` received so far that no ``expect`` has taken."""
        return [f for f in self.frames if f.get("Type") == kind]

    async def barrier(self, timeout: float = 10.0) -> None:
        """Round-trip a Ping: afterwards every frame queued before it for us has been received."""
        ref = f"barrier-{next(_refs)}"
        await self.send({"Type": "Ping", "Ref": ref})
        await self.expect("Pong", lambda f: f.get("Ref") == ref, timeout)

    async def request(self, frame: dict[str, Any], kind: str, timeout: float = 10.0) -> Frame:
        """Send ``frame`` with a fresh Ref and wait for the answer of ``kind`` (or an Error)."""
        ref = frame.setdefault("Ref", f"req-{next(_refs)}")
        await self.send(frame)
        return await self.expect_any({kind, "Error"}, lambda f: f.get("Ref") == ref, timeout)

    async def expect_any(
        self, kinds: set[str], where: Callable[[Frame], bool] = lambda f: True, timeout: float = 10
    ) -> Frame:
        """The first unclaimed frame whose Type is one of ``kinds`` and that satisfies ``where``."""
        return await self.expect_where(lambda f: f.get("Type") in kinds and where(f), timeout)

    async def chat_ids_until(self, last_id: int, room: str, timeout: float = 30.0) -> list[int]:
        """IDs of every Chat of ``room`` received (not yet claimed) until one with ``last_id``."""
        ids: list[int] = []
        while not ids or ids[-1] < last_id:
            frame = await self.expect("Chat", lambda f: f["Room"] == room, timeout)
            ids.append(frame["ID"])
        return ids

    async def close_code(self, timeout: float = 15.0) -> tuple[int | None, str]:
        """Read until the server closes; return the close code and reason it sent."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while (remaining := deadline - loop.time()) > 0:
                await self._next(remaining)
        except websockets.ConnectionClosed as closed:
            if closed.rcvd is None:
                return None, ""
            return closed.rcvd.code, closed.rcvd.reason
        except TimeoutError:
            pass
        raise AssertionError(f"the server did not close the connection within {timeout} s")


# ---------------------------------------------------------------------------------------------
# A WebSocket spoken by hand
# ---------------------------------------------------------------------------------------------

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING = 0x1, 0x2, 0x8, 0x9


def upgrade_request(port: int, path: str = "/ws", *extra: str, **params: Any) -> bytes:
    """A WebSocket upgrade request head for ``path`` with ``params``; ``extra`` header lines
    (``"Name: value"``) replace the standard ones of the same name."""
    key = base64.b64encode(os.urandom(16)).decode()
    headers = {
        "Host": f"127.0.0.1:{port}",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": key,
        "Sec-WebSocket-Version": "13",
    }
    for line in extra:
        name, value = line.split(": ", 1)
        headers[name] = value
    lines = [f"GET {query_url(path, **params)} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def encode_frame(
    opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True, rsv: int = 0
) -> bytes:
    """One client frame, however wrong the caller wants it to be."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    length = len(payload)
    mask_bit = 0x80 if mask else 0
    if length < 126:
        head = struct.pack("!BB", first, mask_bit | length)
    elif length < 65536:
        head = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        head = struct.pack("!BBQ", first, mask_bit | 127, length)
    if mask:
        key = os.urandom(4)
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        head += key
    return head + payload


class RawWebSocket:
    """A hand-made WebSocket client over TCP, able to break the protocol on purpose."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(
        cls, port: int, path: str = "/ws", timeout: float = 15.0, **params: Any
    ) -> RawWebSocket:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        writer.write(upgrade_request(port, path, **params))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    def send_frame(
        self,
        opcode: int,
        payload: bytes,
        *,
        fin: bool = True,
        mask: bool = True,
        rsv: int = 0,
    ) -> None:
        """Write one frame, however wrong the caller wants it to be."""
        self.writer.write(encode_frame(opcode, payload, fin=fin, mask=mask, rsv=rsv))

    def send_text(self, text: str | bytes) -> None:
        self.send_frame(OP_TEXT, text.encode() if isinstance(text, str) else text)

    async def read_frame(self, timeout: float = 15.0) -> tuple[int, bytes]:
        """The next frame from the server: (opcode, payload). Raises EOFError on a closed socket."""
        try:
            head = await asyncio.wait_for(self.reader.readexactly(2), timeout)
            length = head[1] & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
            payload = await asyncio.wait_for(self.reader.readexactly(length), timeout)
        except asyncio.IncompleteReadError:
            raise EOFError("the server closed the TCP connection") from None
        return head[0] & 0x0F, payload

    async def read_json(self, timeout: float = 15.0) -> Frame:
        """The next text frame, as JSON (pings are skipped without answering them)."""
        while True:
            opcode, payload = await self.read_frame(timeout)
            if opcode == OP_TEXT:
                frame: Frame = json.loads(payload)
                return frame
            assert opcode == OP_PING, (opcode, payload)

    async def close_code(self, timeout: float = 15.0) -> tuple[int, str]:
        """Read frames until the server's close frame; return its code and reason."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            opcode, payload = await self.read_frame(max(0.1, deadline - loop.time()))
            if opcode == OP_CLOSE:
                assert len(payload) >= 2, f"close frame without a code: {payload!r}"
                (code,) = struct.unpack("!H", payload[:2])
                return code, payload[2:].decode("utf-8", "replace")

    def abort(self) -> None:
        self.writer.transport.abort()


# ---------------------------------------------------------------------------------------------
# HTTP and the command line
# ---------------------------------------------------------------------------------------------


@dataclass
class HttpResult:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def http(
    method: str,
    url: str,
    *,
    json_body: Any = None,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 15.0,
) -> HttpResult:
    """One HTTP request (in a thread, so WebSocket clients keep reading meanwhile)."""
    all_headers = dict(headers or {})
    if json_body is not None:
        data = json.dumps(json_body).encode()
        all_headers.setdefault("Content-Type", "application/json")

    def call() -> HttpResult:
        request = urllib.request.Request(url, data=data, headers=all_headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return HttpResult(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as exc:
            return HttpResult(exc.code, dict(exc.headers), exc.read())

    return await asyncio.to_thread(call)


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


async def run_cli(
    *args: str, env: Mapping[str, str] | None = None, cwd: str | None = None, timeout: float = 60
) -> CliResult:
    """Run ``python -m roomcast ARGS`` without blocking the event loop."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "roomcast",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return CliResult(proc.returncode, out.decode(), err.decode())


class Names:
    """Room names and nicknames unique to one test, so tests can share one server."""

    def __init__(self) -> None:
        self._token = secrets.token_hex(3)
        self._count = itertools.count(1)

    def room(self, label: str = "room") -> str:
        return f"{label}-{self._token}-{next(self._count)}"

    def nick(self, label: str = "u") -> str:
        return f"{label}{self._token}{next(self._count)}"[:32]
