"""RFC 6455 WebSocket framing, server side, without I/O (``http1`` holds the opening handshake).

``FrameParser`` takes bytes as they arrive and yields complete messages and control frames,
enforcing the protocol: masked client frames, no reserved bits (roomcast negotiates no
extension), control frames short and unfragmented, continuation frames in order, a size limit
applied before the payload is buffered, and UTF-8 text. A violation is raised as
``WebSocketViolation`` with the close code to answer with (1002, 1007 or 1009, from ``errors``).
Server frames are built once by ``text_frame`` and friends and written as they are.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from roomcast.record import record
from roomcast.wire.errors import CLOSE_INVALID_DATA, CLOSE_MESSAGE_TOO_BIG, CLOSE_PROTOCOL_ERROR

OP_CONTINUATION: Final = 0x0
OP_TEXT: Final = 0x1
OP_BINARY: Final = 0x2
OP_CLOSE: Final = 0x8
OP_PING: Final = 0x9
OP_PONG: Final = 0xA

# Codes a peer may send in a close frame (RFC 6455 7.4; 1004-1006 and 1015 are reserved).
_VALID_CLOSE_CODES: Final = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
                                       1012, 1013, 1014})  # fmt: skip


class WebSocketViolation(Exception):
    """The peer broke the protocol; close the connection with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@record
class TextMessage:
    text: str


@record
class BinaryMessage:
    data: bytes


@record
class PingFrame:
    """A ping control frame (the client's application-level ``Ping`` command is another thing)."""

    payload: bytes


@record
class Pong:
    payload: bytes


@record
class Close:
    code: int | None
    reason: str


Event = TextMessage | BinaryMessage | PingFrame | Pong | Close


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
    # The parts of a fragmented message so far; None between messages (most are not fragmented).
    _fragments: list[bytes] | None = None
    _fragment_opcode: int = 0
    _fragment_size: int = 0

    @property
    def idle(self) -> bool:
        """True when every byte fed is consumed and no fragmented message is open: the parser
        is as new, and whoever holds it may drop it."""
        return self._offset == len(self._buffer) and self._fragments is None

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
            return PingFrame(payload)
        if opcode == OP_PONG:
            return Pong(payload)
        if opcode == OP_CLOSE:
            return _close_event(payload)
        if not fin:
            if opcode != OP_CONTINUATION:
                self._fragment_opcode = opcode
            if self._fragments is None:
                self._fragments = [payload]
            else:
                self._fragments.append(payload)
            self._fragment_size += len(payload)
            return None
        if opcode == OP_CONTINUATION:
            parts, self._fragments = self._fragments or [], None
            parts.append(payload)
            payload = b"".join(parts)
            opcode = self._fragment_opcode
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
