"""HTTP/1.1 without I/O: the request head, the WebSocket opening handshake, a closing answer.

``parse_request`` reads an HTTP/1.1 request head; ``accept`` checks it is a valid WebSocket
upgrade (RFC 6455, section 4.2) and builds the 101 answer; ``http_response`` is a whole response
for the requests that are not upgraded.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Final
from urllib.parse import parse_qsl, urlsplit

from roomcast.record import record

GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD_BYTES: Final = 16 * 1024


class BadRequest(Exception):
    """An HTTP request that cannot be upgraded: answer with ``status`` and close."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


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
