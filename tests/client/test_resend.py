"""``send`` re-sends a line by itself, with its Ref, when the store refused it or its commit's
reply was lost: one ID comes back and the line is stored once; past the bound, ``ChatError``.

The server reaches the shared PostgreSQL (a schema of its own) through a TCP proxy that loses
one reply or refuses connections.
"""

from __future__ import annotations

import asyncio
import secrets
import urllib.parse
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest

from client.test_client import stored_texts
from cluster.conftest import POSTGRES_URL
from cluster.tcpproxy import TcpProxy
from conftest import ServerProcess
from roomcast.client import ChatClient, ChatError, connect
from roomcast.client.calls import SEND_ATTEMPTS
from roomcast.wire import protocol


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    target = urllib.parse.urlsplit(POSTGRES_URL)
    proxy = await TcpProxy(target.hostname or "127.0.0.1", target.port or 5432).start()
    yield proxy
    await proxy.close()


@pytest.fixture
async def server(
    server_factory: Callable[..., ServerProcess], proxy: TcpProxy
) -> AsyncIterator[ServerProcess]:
    """A server on PostgreSQL, through ``proxy``, in a schema of its own."""
    schema = f"roomcast_resend_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(POSTGRES_URL, timeout=5)
    await admin.execute(f"CREATE SCHEMA {schema}")
    parts = urllib.parse.urlsplit(POSTGRES_URL)
    user = f"{parts.username}@" if parts.username else ""
    url = parts._replace(netloc=f"{user}127.0.0.1:{proxy.port}", query=f"search_path={schema}")
    server = server_factory("--db", urllib.parse.urlunsplit(url), start=False)
    await asyncio.to_thread(server.start)  # the proxy runs on this loop meanwhile
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


def count_sends(
    monkeypatch: pytest.MonkeyPatch, text: str, resent: asyncio.Event | None = None
) -> list[str]:
    """The Refs of every frame carrying the line ``text`` that the client writes; ``resent`` is
    set once it wrote it again."""
    refs: list[str] = []
    original = ChatClient._send_frame
    encoded = protocol.encode_text(text)

    def counted(self: ChatClient, frame: dict[str, Any]) -> bool:
        if frame.get("Message") == encoded:
            refs.append(frame["Ref"])
            if resent is not None and len(refs) > 1:
                resent.set()
        return original(self, frame)

    monkeypatch.setattr(ChatClient, "_send_frame", counted)
    return refs


async def test_a_line_whose_reply_was_lost_is_sent_again_and_stored_once(
    server: ServerProcess, proxy: TcpProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with connect(server.ws_url, nick="alice", room="lobby") as alice:
        first = await alice.send("before")
        sends = count_sends(monkeypatch, "its reply is lost")
        proxy.lose_reply_to(b"its reply is lost")
        line = await alice.send("its reply is lost")
    assert line == first + 1
    assert len(sends) == 2, "sent again"
    assert len(set(sends)) == 1, "with the same Ref"
    texts = await asyncio.to_thread(stored_texts, server, "lobby")
    assert texts == ["before", "its reply is lost"]


async def test_a_refused_line_is_sent_again_until_the_store_is_back(
    server: ServerProcess, proxy: TcpProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with connect(server.ws_url, nick="alice", room="lobby") as alice:
        await alice.send("before")
        resent = asyncio.Event()
        sends = count_sends(monkeypatch, "refused at first", resent)
        await proxy.cut()
        sending = asyncio.create_task(alice.send("refused at first"))
        await resent.wait()  # refused once, and sent again
        await proxy.restore()
        await sending
    assert len(set(sends)) == 1
    texts = await asyncio.to_thread(stored_texts, server, "lobby")
    assert texts == ["before", "refused at first"]


async def test_a_line_refused_every_time_raises_after_the_bound(
    server: ServerProcess, proxy: TcpProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with connect(server.ws_url, nick="alice", room="lobby") as alice:
        await alice.send("before")
        sends = count_sends(monkeypatch, "never stored")
        await proxy.cut()
        with pytest.raises(ChatError) as caught:
            await alice.send("never stored")
        await proxy.restore()
    assert caught.value.code == "store_unavailable"
    assert len(sends) == SEND_ATTEMPTS
    assert await asyncio.to_thread(stored_texts, server, "lobby") == ["before"]
