"""Kernel send buffers: small for WebSocket connections, large for plain HTTP.

A WebSocket connection keeps a small kernel send buffer, so the bytes a client has not taken
stay in the transport, where the write-buffer high-water mark sees them: a client that stops
reading is found in kilobytes, not after the 4 MiB Linux would let the kernel hold. The
listening sockets get the small size, which every accepted socket inherits (no system call and
no socket object per connection: 66 bytes and three system calls fewer per connect); a
connection that turns out to be plain HTTP (a file download) gets the large one back.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterable
from typing import Final, Protocol

WEBSOCKET_SEND_BUFFER: Final = 128 * 1024
"""Asked for a WebSocket connection (Linux doubles it for its own bookkeeping)."""
HTTP_SEND_BUFFER: Final = 2 * 1024 * 1024
"""Asked for a plain HTTP connection: 4 MiB in the kernel, Linux's usual most for TCP."""


class _Socket(Protocol):
    def setsockopt(self, level: int, option: int, value: int, /) -> None: ...


def listen_with_websocket_buffers(sockets: Iterable[_Socket]) -> None:
    """Give listening sockets the WebSocket size, for the sockets they accept to inherit."""
    for sock in sockets:
        _set(sock, WEBSOCKET_SEND_BUFFER)


def set_send_buffer(transport: asyncio.BaseTransport, size: int) -> None:
    """Ask for a ``size``-byte kernel send buffer on ``transport``'s socket, if it has one."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        _set(sock, size)


def _set(sock: _Socket, size: int) -> None:
    with contextlib.suppress(OSError):  # a socket already closed, or not TCP
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
