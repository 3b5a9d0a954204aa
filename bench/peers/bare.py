"""The ceiling: a bare pre-framed fan-out server on raw asyncio Protocols and uvloop.

No features: no validation beyond JSON, no store, no presence, no slow-consumer policy. It parses
the HTTP upgrade itself, decodes masked client frames, encodes each Chat frame once with orjson,
frames it once and queues the same bytes for every member; once per event-loop iteration each
member that got something is written to with a single ``transport.write``. This is the shape of
roomcast's hot path with everything else taken away, so it bounds what roomcast can reach.

Run: ``python bench/peers/bare.py PORT``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import struct
import sys
import time
from typing import Any, ClassVar, cast
from urllib.parse import parse_qs, urlsplit

import orjson

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_ids = itertools.count(1)


def text_frame(payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        return struct.pack("!BB", 0x81, n) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload


class Outbox:
    """Members that got frames this loop iteration; flushed once with one write each."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.dirty: list[Client] = []

    def mark(self, client: Client) -> None:
        if not self.dirty:
            self.loop.call_soon(self.flush)
        self.dirty.append(client)

    def flush(self) -> None:
        dirty, self.dirty = self.dirty, []
        for client in dirty:
            chunks = client.chunks
            if client.transport is not None and not client.transport.is_closing():
                client.transport.write(chunks[0] if len(chunks) == 1 else b"".join(chunks))
            chunks.clear()


class Client(asyncio.Protocol):
    rooms: ClassVar[dict[str, dict[Client, None]]] = {}
    outbox: ClassVar[Outbox]

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.upgraded = False
        self.room = "default"
        self.wsid = f"{next(_ids):x}"
        self.chunks: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        members = self.rooms.get(self.room)
        if members is not None:
            members.pop(self, None)
            if not members:
                del self.rooms[self.room]
        self.transport = None

    def send(self, frame: bytes) -> None:
        if not self.chunks:
            self.outbox.mark(self)
        self.chunks.append(frame)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > 16384:
                    self.abort()
                return
            self.upgrade(bytes(self.buf[:end]))
            del self.buf[: end + 4]
        self.read_frames()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def upgrade(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        target = lines[0].split(" ")[1] if " " in lines[0] else "/"
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        key = headers.get("sec-websocket-key", "")
        accept = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
        query = parse_qs(urlsplit(target).query)
        self.room = query.get("room", ["default"])[0] or "default"
        assert self.transport is not None
        self.transport.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept.encode() + b"\r\n\r\n"
        )
        self.upgraded = True
        self.rooms.setdefault(self.room, {})[self] = None

    def read_frames(self) -> None:
        buf = self.buf
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    return
                length, head = struct.unpack_from("!H", buf, 2)[0], 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, head = struct.unpack_from("!Q", buf, 2)[0], 10
            masked = b1 & 0x80
            if masked:
                head += 4
            if len(buf) < head + length:
                return
            payload = bytes(buf[head : head + length])
            if masked:
                key = buf[head - 4 : head]
                mask = (bytes(key) * (length // 4 + 1))[:length]
                payload = (
                    int.from_bytes(payload, "little") ^ int.from_bytes(mask, "little")
                ).to_bytes(length, "little")
            del buf[: head + length]
            self.on_frame(b0 & 0x0F, payload)

    def on_frame(self, opcode: int, payload: bytes) -> None:
        if opcode == 1:
            self.on_text(payload)
        elif opcode == 8:
            if self.transport is not None and not self.transport.is_closing():
                self.transport.write(b"\x88\x02" + (payload[:2] or b"\x03\xe8"))
                self.transport.close()
        elif opcode == 9 and self.transport is not None:
            self.transport.write(bytes((0x8A, len(payload))) + payload)

    def on_text(self, payload: bytes) -> None:
        try:
            line: Any = orjson.loads(payload)
            message, author = line["Message"], line.get("Author", "")
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return
        now = time.time()
        frame = text_frame(
            orjson.dumps(
                {
                    "Type": "Chat",
                    "Message": message,
                    "Author": author,
                    "Room": self.room,
                    "WSID": self.wsid,
                    "Sent": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now)),
                    "ID": next(_ids),
                }
            )
        )
        for member in self.rooms.get(self.room, ()):
            member.send(frame)


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    Client.outbox = Outbox(loop)
    server = await loop.create_server(Client, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(int(sys.argv[1])))
