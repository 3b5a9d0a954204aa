"""RFC 6455 WebSocket, server side, without I/O: the opening handshake and the framing.

``parse_request`` reads an HTTP/1.1 request head; ``accept`` checks it is a valid upgrade and
builds the 101 answer. ``FrameParser`` takes bytes as they arrive and yields complete messages
and control frames, enforcing the protocol: masked client frames, no reserved bits (roomcast
negotiates no extension), control frames short and unfragmented, continuation frames in order,
a size limit applied before the payload is buffered, and UTF-8 text. A violation is raised as
``WebSocketViolation`` with the close code to answer with (1002, 1007 or 1009).
Server frames are built once by ``text_frame`` and friends and written as they are.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import parse_qsl, urlsplit

from roomcast.record import record

GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD_BYTES: Final = 16 * 1024

OP_CONTINUATION: Final = 0x0
OP_TEXT: Final = 0x1
OP_BINARY: Final = 0x2
OP_CLOSE: Final = 0x8
OP_PING: Final = 0x9
OP_PONG: Final = 0xA

CLOSE_NORMAL: Final = 1000
CLOSE_PROTOCOL_ERROR: Final = 1002
CLOSE_INVALID_DATA: Final = 1007
CLOSE_MESSAGE_TOO_BIG: Final = 1009
# Codes a peer may send in a close frame (RFC 6455 7.4; 1004-1006 and 1015 are reserved).
_VALID_CLOSE_CODES: Final = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
                                       1012, 1013, 1014})  # fmt: skip


class WebSocketViolation(Exception):
    """The peer broke the protocol; close the connection with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class BadRequest(Exception):
    """An HTTP request that cannot be upgraded: answer with ``status`` and close."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


# ---------------------------------------------------------------------------------------------
# Opening handshake
# ---------------------------------------------------------------------------------------------


@record
class Request:
    """The head of an HTTP/1.1 request; header names are lower-cased."""

    method: str
    target: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        """The query parameters; the first value wins when one is repeated."""
        params: dict[str, str] = {}
        for key, value in parse_qsl(urlsplit(self.target).query, keep_blank_values=True):
            params.setdefault(key, value)
        return params

    def wants_websocket(self) -> bool:
        return self.headers.get("upgrade", "").lower() == "websocket"


def find_head_end(buffer: bytes | bytearray) -> int:
    """Index just past the blank line ending the request head, or -1 if not there yet."""
    end = buffer.find(b"\r\n\r\n")
    return -1 if end < 0 else end + 4


def parse_request(head: bytes) -> Request:
    """Parse a request head (request line and headers, through the blank line)."""
    try:
        text = head.decode("latin-1")
        request_line, *lines = text.split("\r\n")
        method, target, version = request_line.split(" ")
    except ValueError:
        raise BadRequest(400, "bad_request", "malformed HTTP request line") from None
    if not version.startswith("HTTP/1."):
        raise BadRequest(505, "bad_request", "only HTTP/1.x is served")
    headers: dict[str, str] = {}
    for line in lines:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400, "bad_request", "malformed HTTP header")
        key = name.lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return Request(method, target, headers)


def accept(request: Request) -> bytes:
    """Check an upgrade request and return the ``101 Switching Protocols`` response bytes."""
    headers = request.headers
    if request.method != "GET":
        raise BadRequest(405, "method_not_allowed", "WebSocket upgrades use GET")
    connection_tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
    if not request.wants_websocket() or "upgrade" not in connection_tokens:
        raise BadRequest(426, "upgrade_required", "this endpoint speaks WebSocket only")
    if headers.get("sec-websocket-version") != "13":
        raise BadRequest(426, "unsupported_version", "Sec-WebSocket-Version must be 13")
    key = headers.get("sec-websocket-key", "")
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError
    except ValueError:
        raise BadRequest(400, "bad_websocket_key", "Sec-WebSocket-Key is not valid") from None
    digest = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {digest}\r\n\r\n"
    ).encode()


def http_response(status: int, reason: str, body: bytes, content_type: str) -> bytes:
    """A complete HTTP/1.1 response that closes the connection."""
    return (
        f"HTTP/1.1 {status} {reason}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


# ---------------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------------


@record
class TextMessage:
    text: str


@record
class BinaryMessage:
    data: bytes


@record
class Ping:
    payload: bytes


@record
class Pong:
    payload: bytes


@record
class Close:
    code: int | None
    reason: str


Event = TextMessage | BinaryMessage | Ping | Pong | Close


def unmask(payload: bytes | bytearray, mask: bytes) -> bytes:
    """XOR ``payload`` with the 4-byte ``mask`` repeated (done on one big integer, in C)."""
    length = len(payload)
    if not length:
        return b""
    key = (mask * (length // 4 + 1))[:length]
    value = int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")
    return value.to_bytes(length, "little")


@dataclass(slots=True)
class FrameParser:
    """Incremental parser of client frames for one connection.

    ``feed`` takes bytes as they arrive; ``next_event`` returns the next complete event, or None
    until more bytes are fed, so the caller decides how much to handle at a time.
    """

    max_message_bytes: int
    _buffer: bytearray = field(default_factory=bytearray)
    _offset: int = 0
    _fragments: list[bytes] = field(default_factory=list)
    _fragment_opcode: int = 0
    _fragment_size: int = 0

    def feed(self, data: bytes) -> None:
        if self._offset and self._offset == len(self._buffer):
            self._buffer.clear()
            self._offset = 0
        self._buffer += data

    def events(self, data: bytes = b"") -> Iterator[Event]:
        """``feed`` then every complete event (for callers that take all at once)."""
        self.feed(data)
        while (event := self.next_event()) is not None:
            yield event

    def next_event(self) -> Event | None:
        """The next complete message or control frame; raises ``WebSocketViolation``."""
        while True:
            buffer, offset = self._buffer, self._offset
            available = len(buffer) - offset
            if available < 2:
                return None
            first, second = buffer[offset], buffer[offset + 1]
            fin, opcode, length = first & 0x80, first & 0x0F, second & 0x7F
            head = 2
            if first & 0x70:
                raise WebSocketViolation(CLOSE_PROTOCOL_ERROR, "reserved bits set")
            if not second & 0x80:
                raise WebSocketViolation(CLOSE_PROTOCOL_ERROR, "client frames must be masked")
            if length == 126:
                if available < 4:
                    return None
                (length,) = struct.unpack_from("!H", buffer, offset + 2)
                head = 4
            elif length == 127:
                if available < 10:
                    return None
                (length,) = struct.unpack_from("!Q", buffer, offset + 2)
                head = 10
                if length >> 63:
                    raise WebSocketViolation(CLOSE_PROTOCOL_ERROR, "frame length overflow")
            # A whole text frame outside a fragmented message (nearly every frame) passes the
            # header checks but the size.
            whole_text = first == 0x80 | OP_TEXT and not self._fragment_opcode
            if not whole_text:
                self._check_header(fin, opcode, length)
            elif length > self.max_message_bytes:
                raise self._too_big()
            end = offset + head + 4 + length
            if len(buffer) < end:
                return None
            mask = bytes(buffer[offset + head : offset + head + 4])
            payload = unmask(buffer[offset + head + 4 : end], mask)
            self._offset = end
            if end > 65536 and end * 2 > len(buffer):
                del buffer[:end]
                self._offset = 0
            if whole_text:
                return _text_message(payload)
            event = self._frame(fin, opcode, payload)
            if event is not None:
                return event

    def _check_header(self, fin: int, opcode: int, length: int) -> None:
        if opcode >= OP_CLOSE:
            if opcode not in (OP_CLOSE, OP_PING, OP_PONG):
                raise WebSocketViolation(CLOSE_PROTOCOL_ERROR, f"unknown opcode {opcode}")
            if not fin or length > 125:
                raise WebSocketViolation(
                    CLOSE_PROTOCOL_ERROR, "control frames must be whole and at most 125 bytes"
                )
            return
        if opcode not in (OP_CONTINUATION, OP_TEXT, OP_BINARY):
            raise WebSocketViolation(CLOSE_PROTOCOL_ERROR, f"unknown opcode {opcode}")
        if opcode == OP_CONTINUATION and not self._fragment_opcode:
            raise WebSocketViolation(CLOSE_PROTOCOL_ERROR, "continuation frame with no message")
        if opcode != OP_CONTINUATION and self._fragment_opcode:
            raise WebSocketViolation(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one")
        if self._fragment_size + length > self.max_message_bytes:
            raise self._too_big()

    def _too_big(self) -> WebSocketViolation:
        return WebSocketViolation(
            CLOSE_MESSAGE_TOO_BIG, f"message larger than {self.max_message_bytes} bytes"
        )

    def _frame(self, fin: int, opcode: int, payload: bytes) -> Event | None:
        if opcode == OP_PING:
            return Ping(payload)
        if opcode == OP_PONG:
            return Pong(payload)
        if opcode == OP_CLOSE:
            return _close_event(payload)
        if not fin:
            if opcode != OP_CONTINUATION:
                self._fragment_opcode = opcode
            self._fragments.append(payload)
            self._fragment_size += len(payload)
            return None
        if opcode == OP_CONTINUATION:
            self._fragments.append(payload)
            payload = b"".join(self._fragments)
            opcode = self._fragment_opcode
            self._fragments.clear()
            self._fragment_opcode = self._fragment_size = 0
        if opcode == OP_BINARY:
            return BinaryMessage(payload)
        return _text_message(payload)


def _text_message(payload: bytes) -> TextMessage:
    try:
        return TextMessage(payload.decode("utf-8"))
    except UnicodeDecodeError:
        raise WebSocketViolation(CLOSE_INVALID_DATA, "text frame is not valid UTF-8") from None


def _close_event(payload: bytes) -> Close:
    if not payload:
        return Close(None, "")
    if len(payload) == 1:
        raise WebSocketViolation(CLOSE_PROTOCOL_ERROR, "close frame with a 1-byte payload")
    (code,) = struct.unpack_from("!H", payload)
    if code not in _VALID_CLOSE_CODES and not 3000 <= code <= 4999:
        raise WebSocketViolation(CLOSE_PROTOCOL_ERROR, f"invalid close code {code}")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise WebSocketViolation(CLOSE_INVALID_DATA, "close reason is not valid UTF-8") from None
    return Close(code, reason)


_SHORT: Final = struct.Struct("!BB")
_MEDIUM: Final = struct.Struct("!BBH")
_LONG: Final = struct.Struct("!BBQ")


def _frame_bytes(first: int, payload: bytes) -> bytes:
    length = len(payload)
    if length < 126:
        return _SHORT.pack(first, length) + payload
    if length < 65536:
        return _MEDIUM.pack(first, 126, length) + payload
    return _LONG.pack(first, 127, length) + payload


def text_frame(payload: bytes) -> bytes:
    """One unmasked, uncompressed, final text frame: the same bytes serve every recipient."""
    return _frame_bytes(0x80 | OP_TEXT, payload)


def ping_frame(payload: bytes = b"") -> bytes:
    return _frame_bytes(0x80 | OP_PING, payload)


def pong_frame(payload: bytes) -> bytes:
    return _frame_bytes(0x80 | OP_PONG, payload)


def close_frame(code: int, reason: str = "") -> bytes:
    """A close frame; the reason is cut to fit the 125-byte control frame limit."""
    encoded = reason.encode("utf-8")[:123]
    while True:
        try:
            encoded.decode("utf-8")
            break
        except UnicodeDecodeError:
            encoded = encoded[:-1]
    return _frame_bytes(0x80 | OP_CLOSE, struct.pack("!H", code) + encoded)
