"""The HTTP/1.1 request head and the WebSocket opening handshake, driven with bytes."""

from __future__ import annotations

import pytest

from roomcast.wire import http1
from roomcast.wire.http1 import BadRequest


class TestHandshake:
    head = (
        b"GET /ws?room=lobby&nick=ada&room=ignored HTTP/1.1\r\n"
        b"Host: 127.0.0.1:8000\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        b"Origin: http://127.0.0.1:8000\r\n\r\n"
    )

    def test_rfc_example_accept_key(self) -> None:
        request = http1.parse_request(self.head)
        assert request.path == "/ws"
        assert request.query == {"room": "lobby", "nick": "ada"}
        assert request.headers["origin"] == "http://127.0.0.1:8000"
        response = http1.accept(request)
        assert response.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
        assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in response
        assert b"Sec-WebSocket-Extensions" not in response  # no compression is negotiated

    def test_head_end(self) -> None:
        assert http1.find_head_end(self.head[:-2]) == -1
        assert http1.find_head_end(self.head + b"extra") == len(self.head)

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
            http1.accept(http1.parse_request(self.head.replace(replace, by, 1)))
        assert caught.value.status == status

    def test_malformed_heads(self) -> None:
        for head in (b"GARBAGE\r\n\r\n", b"GET /ws HTTP/1.1\r\nNoColon\r\n\r\n"):
            with pytest.raises(BadRequest):
                http1.parse_request(head)
