"""RFC 6455 handshake and framing, driven with bytes: no sockets."""

from __future__ import annotations

import base64
import os
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomcast.wire import websocket as ws
from roomcast.wire.websocket import (
    BadRequest,
    BinaryMessage,
    Close,
    FrameParser,
    Ping,
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


class TestHandshake:
    head = (
        b"GET /ws?room=lobby&nick=ada&room=ignored HTTP/1.1\r\n"
        b"Host: 127.0.0.1:8000\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        b"Origin: http://127.0.0.1:8000\r\n\r\n"
    )

    def test_rfc_example_accept_key(self) -> None:
        request = ws.parse_request(self.head)
        assert request.path == "/ws"
        assert request.query == {"room": "lobby", "nick": "ada"}
        assert request.headers["origin"] == "http://127.0.0.1:8000"
        response = ws.accept(request)
        assert response.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
        assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in response
        assert b"Sec-WebSocket-Extensions" not in response  # no compression is negotiated

    def test_head_end(self) -> None:
        assert ws.find_head_end(self.head[:-2]) == -1
        assert ws.find_head_end(self.head + b"extra") == len(self.head)

    @pytest.mark.parametrize(
        ("replace", "by", "status"),
        [
            (b"GET ", b"POST ", 405),
            (b"Upgrade: websocket\r\n", b"", 426),
            (b"keep-alive, Upgrade", b"keep-alive", 426),
            (b"Version: 13", b"Version: 8", 426),
            (b"dGhlIHNhbXBsZSBub25jZQ==", b"short", 400),
            (b"HTTP/1.1", b"HTTP/2.0", 505),
        ],
    )
    def test_bad_upgrades(self, replace: bytes, by: bytes, status: int) -> None:
        with pytest.raises(BadRequest) as caught:
            ws.accept(ws.parse_request(self.head.replace(replace, by, 1)))
        assert caught.value.status == status

    def test_malformed_heads(self) -> None:
        for head in (b"GARBAGE\r\n\r\n", b"GET /ws HTTP/1.1\r\nNoColon\r\n\r\n"):
            with pytest.raises(BadRequest):
                ws.parse_request(head)


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
            Ping(b"p"),
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
        assert events(data) == [Ping(b""), TextMessage("hello")]

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
                assert isinstance(event, TextMessage | BinaryMessage | Ping | Pong | Close)
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
