"""A fake socket for in-process WebSocket tests: client bytes in (the upgrade request, masked
frames), the server's written bytes back as frames. ``FakeTransport`` records what the server
does to the socket (writes, pause and resume, close, abort, EOF); ``Server.socket`` hands one to
the server's first protocol as the listener would. The server itself is built by the ``server``
fixture of tests/unit/transport/conftest.py.
"""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import Callable
from typing import Any

from roomcast.chat.hub import Hub
from roomcast.transport.connection import WebSocketService

# The opening handshake of RFC 6455 section 1.3, as a client sends it.
SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
SAMPLE_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
MASK = b"\x37\xfa\x21\x3d"


def upgrade_request(query: str, key: str = SAMPLE_KEY, **headers: str) -> bytes:
    """The bytes of a browser's upgrade request for ``/ws?query``."""
    lines = [
        f"GET /ws?{query} HTTP/1.1",
        "Host: chat.example:8000",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def client_frame(
    opcode: int, payload: bytes, *, fin: bool = True, mask: bytes | None = MASK
) -> bytes:
    """One client frame, masked with ``mask`` (unmasked when None)."""
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", first, length)
    elif length < 65536:
        head = struct.pack("!BBH", first, 126, length)
    else:
        head = struct.pack("!BBQ", first, 127, length)
    if mask is None:
        return head + payload
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return bytes((head[0], head[1] | 0x80)) + head[2:] + mask + masked


def text(frame: dict[str, Any] | str) -> bytes:
    """A masked text frame carrying ``frame`` as JSON (or a string as it is)."""
    data = frame if isinstance(frame, str) else json.dumps(frame)
    return client_frame(0x1, data.encode())


def read_frames(data: bytes) -> list[tuple[int, bytes]]:
    """The (opcode, payload) of each whole server frame in ``data``; server frames are never
    masked, and every frame the server writes is whole (FIN set)."""
    frames: list[tuple[int, bytes]] = []
    offset = 0
    while offset < len(data):
        first, second = data[offset], data[offset + 1]
        assert first & 0x80, "the server wrote a fragment"
        assert not second & 0x80, "the server masked a frame"
        length, offset = second & 0x7F, offset + 2
        if length == 126:
            (length,) = struct.unpack_from("!H", data, offset)
            offset += 2
        elif length == 127:
            (length,) = struct.unpack_from("!Q", data, offset)
            offset += 8
        frames.append((first & 0x0F, data[offset : offset + length]))
        offset += length
    assert offset == len(data), "the server wrote a partial frame"
    return frames


class FakeTransport(asyncio.Transport):
    """Records what the server does to the socket; the buffer size is what the test sets."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.protocol: asyncio.BaseProtocol | None = None
        self.reading = True
        self.closed = False
        self.aborted = False
        self.eof_written = False
        self.buffer_size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.eof_written, "write after write_eof"
        self.written += data

    def get_write_buffer_size(self) -> int:
        return self.buffer_size

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.protocol = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        assert self.protocol is not None
        return self.protocol

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof_written = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 50000) if name == "peername" else default


class Wire:
    """A client's side of one socket: bytes in, frames out."""

    def __init__(self, transport: FakeTransport) -> None:
        self.transport = transport
        self._read = 0

    def send(self, data: bytes) -> None:
        """Deliver ``data`` to whatever protocol holds the socket now."""
        protocol = self.transport.protocol
        assert isinstance(protocol, asyncio.Protocol)
        protocol.data_received(data)

    async def settle(self) -> None:
        """Let the server finish what the bytes so far started (admission, commands, flushes)."""
        for _ in range(20):
            await asyncio.sleep(0)

    async def new_bytes(self) -> bytes:
        """Everything written since the last call, once the server has settled."""
        await self.settle()
        data = bytes(self.transport.written[self._read :])
        self._read = len(self.transport.written)
        return data

    async def frames(self) -> list[tuple[int, bytes]]:
        """The frames written since the last call."""
        return read_frames(await self.new_bytes())

    async def json_frames(self) -> list[dict[str, Any]]:
        """The text frames written since the last call, as JSON; asserts nothing else came."""
        got = await self.frames()
        assert all(opcode == 0x1 for opcode, _ in got), got
        return [json.loads(payload) for _, payload in got]


class Server:
    """The server side: one hub and its WebSocket service; ``socket`` opens a new connection
    whose first protocol ``first_protocol`` makes, as the listener's protocol factory does."""

    def __init__(
        self,
        hub: Hub,
        service: WebSocketService,
        first_protocol: Callable[[], asyncio.Protocol],
    ) -> None:
        self.hub = hub
        self.service = service
        self._first_protocol = first_protocol

    def socket(self) -> Wire:
        """A fresh socket as the listener accepts it."""
        transport = FakeTransport()
        protocol = self._first_protocol()
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        return Wire(transport)

    async def connected(self, query: str) -> Wire:
        """A socket upgraded with ``query`` and admitted; what the server sent so far is read."""
        wire = self.socket()
        wire.send(upgrade_request(query))
        await wire.new_bytes()
        return wire
