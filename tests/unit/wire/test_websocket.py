"""RFC 6455 framing, driven with bytes: no sockets."""

from __future__ import annotations

import base64
import os
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomcast.wire import websocket as ws
from roomcast.wire.websocket import (
    BinaryMessage,
    Close,
    FrameParser,
    PingFrame,
    Pong,
    TextMessage,
    WebSocketViolation,
)


def client_frame(opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0) -> bytes:
    """A masked frame as a browser would send it."""
    mask = os.urandom(4)
    first = (0x80 if fin else 0) | rsv | opcode
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", first, 0x80 | length)
    elif length < 65536:
        head = struct.pack("!BBH", first, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, length)
    return head + mask + ws.unmask(payload, mask)


def events(data: bytes, limit: int = 65536) -> list[ws.Event]:
    return list(FrameParser(limit).events(data))


def violation(data: bytes, limit: int = 65536) -> WebSocketViolation:
    with pytest.raises(WebSocketViolation) as caught:
        events(data, limit)
    return caught.value


class TestFrames:
    def test_text_binary_ping_pong_close(self) -> None:
        data = (
            client_frame(ws.OP_TEXT, "héllo".encode())
            + client_frame(ws.OP_BINARY, b"\x00\x01")
            + client_frame(ws.OP_PING, b"p")
            + client_frame(ws.OP_PONG, b"q")
            + client_frame(ws.OP_CLOSE, struct.pack("!H", 1000) + b"bye")
        )
        assert events(data) == [
            TextMessage("héllo"),
            BinaryMessage(b"\x00\x01"),
            PingFrame(b"p"),
            Pong(b"q"),
            Close(1000, "bye"),
        ]

    @pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 100_000])
    def test_lengths(self, size: int) -> None:
        text = "x" * size
        assert events(client_frame(ws.OP_TEXT, text.encode()), limit=200_000) == [TextMessage(text)]

    def test_bytes_arriving_one_at_a_time(self) -> None:
        data = client_frame(ws.OP_TEXT, b"a" * 300) + client_frame(ws.OP_TEXT, b"b")
        parser = FrameParser(65536)
        received = [event for byte in data for event in parser.events(bytes([byte]))]
        assert received == [TextMessage("a" * 300), TextMessage("b")]

    def test_fragments_with_a_ping_between(self) -> None:
        data = (
            client_frame(ws.OP_TEXT, b"he", fin=False)
            + client_frame(ws.OP_PING, b"")
            + client_frame(ws.OP_CONTINUATION, b"ll", fin=False)
            + client_frame(ws.OP_CONTINUATION, b"o")
        )
        assert events(data) == [PingFrame(b""), TextMessage("hello")]

    def test_utf8_split_across_fragments(self) -> None:
        encoded = "é".encode()
        data = client_frame(ws.OP_TEXT, encoded[:1], fin=False) + client_frame(
            ws.OP_CONTINUATION, encoded[1:]
        )
        assert events(data) == [TextMessage("é")]

    @pytest.mark.parametrize(
        ("data", "code"),
        [
            (client_frame(ws.OP_TEXT, b"x", rsv=0x40), 1002),  # compressed, not negotiated
            (b"\x81\x01x", 1002),  # unmasked
            (client_frame(0x3, b""), 1002),  # reserved opcode
            (client_frame(0xB, b""), 1002),
            (client_frame(ws.OP_PING, b"x" * 126), 1002),
            (client_frame(ws.OP_PING, b"", fin=False), 1002),
            (client_frame(ws.OP_CONTINUATION, b"x"), 1002),
            (client_frame(ws.OP_TEXT, b"a", fin=False) + client_frame(ws.OP_TEXT, b"b"), 1002),
            (client_frame(ws.OP_TEXT, b"\xff\xfe"), 1007),
            (client_frame(ws.OP_CLOSE, b"\x03"), 1002),
            (client_frame(ws.OP_CLOSE, struct.pack("!H", 1005)), 1002),
            (client_frame(ws.OP_CLOSE, struct.pack("!H", 1000) + b"\xff"), 1007),
        ],
    )
    def test_violations(self, data: bytes, code: int) -> None:
        assert violation(data).code == code

    def test_size_limit_is_checked_from_the_header(self) -> None:
        # Only the header of a 1 MiB frame arrives: refused before any payload is buffered.
        head = struct.pack("!BBQ", 0x81, 0x80 | 127, 1 << 20) + b"mask"
        assert violation(head, limit=65536).code == 1009

    def test_size_limit_counts_fragments(self) -> None:
        data = client_frame(ws.OP_TEXT, b"a" * 40, fin=False) + client_frame(
            ws.OP_CONTINUATION, b"b" * 40
        )
        assert violation(data, limit=64).code == 1009

    @given(st.binary(max_size=300))
    def test_arbitrary_bytes_never_escape_as_other_errors(self, data: bytes) -> None:
        codes = set()
        parser = FrameParser(1024)
        try:
            for event in parser.events(data):
                assert isinstance(event, TextMessage | BinaryMessage | PingFrame | Pong | Close)
        except WebSocketViolation as exc:
            codes.add(exc.code)
        assert codes <= {1002, 1007, 1009}


class TestServerFrames:
    @pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
    def test_text_frame_header(self, size: int) -> None:
        payload = b"x" * size
        frame = ws.text_frame(payload)
        assert frame[0] == 0x81  # FIN + text, no RSV bits (uncompressed)
        assert frame[1] & 0x80 == 0  # server frames are not masked
        length, offset = frame[1], 2
        if length == 126:
            (length,) = struct.unpack("!H", frame[2:4])
            offset = 4
        elif length == 127:
            (length,) = struct.unpack("!Q", frame[2:10])
            offset = 10
        assert length == size
        assert frame[offset:] == payload

    def test_close_frame_reason_is_cut_on_a_character_boundary(self) -> None:
        frame = ws.close_frame(1001, "é" * 100)
        assert len(frame) <= 127
        assert struct.unpack_from("!H", frame, 2) == (1001,)
        frame[4:].decode("utf-8")

    def test_unmask_is_its_own_inverse(self) -> None:
        data = os.urandom(1000)
        mask = os.urandom(4)
        assert ws.unmask(ws.unmask(data, mask), mask) == data
        assert base64.b64encode(ws.unmask(b"", mask)) == b""
