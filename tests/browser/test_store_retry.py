"""A line the store refuses is sent again by the page with its Ref, showing "retrying…" and never
"Not sent" while attempts remain, and is stored once when the store is back (a real Chromium,
a server on PostgreSQL through a TCP proxy that refuses connections)."""

from __future__ import annotations

import asyncio
import secrets
import threading
import urllib.parse
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import asyncpg
import pytest
from playwright.sync_api import expect

from cluster.conftest import POSTGRES_URL
from cluster.tcpproxy import TcpProxy
from conftest import ServerProcess

from .conftest import OpenChat

pytestmark = pytest.mark.browser
T = TypeVar("T")


class ProxyThread:
    """A ``TcpProxy`` in front of PostgreSQL, run on an event loop of its own thread (the
    server's connections go through it while the test's thread drives the browser)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        target = urllib.parse.urlsplit(POSTGRES_URL)
        self.proxy = self.run(TcpProxy(target.hostname or "127.0.0.1", target.port or 5432).start())

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(10)

    def close(self) -> None:
        self.run(self.proxy.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


async def _sql(statement: str) -> None:
    conn = await asyncpg.connect(POSTGRES_URL, timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
def proxied(
    server_factory: Callable[..., ServerProcess],
) -> Iterator[tuple[ServerProcess, ProxyThread]]:
    schema = f"roomcast_retry_{secrets.token_hex(4)}"
    proxy = ProxyThread()  # its loop runs the SQL too: Playwright's holds this thread
    proxy.run(_sql(f"CREATE SCHEMA {schema}"))
    parts = urllib.parse.urlsplit(POSTGRES_URL)
    user = f"{parts.username}@" if parts.username else ""
    url = parts._replace(
        netloc=f"{user}127.0.0.1:{proxy.proxy.port}", query=f"search_path={schema}"
    )
    try:
        yield server_factory("--db", urllib.parse.urlunsplit(url)), proxy
    finally:
        proxy.run(_sql(f"DROP SCHEMA {schema} CASCADE"))
        proxy.close()


def test_a_line_the_store_refused_is_retried_and_stored_once(
    proxied: tuple[ServerProcess, ProxyThread], open_chat: OpenChat
) -> None:
    server, proxy = proxied
    chat = open_chat(server, "lobby", nick="alice")
    chat.say("before")
    proxy.run(proxy.proxy.cut())
    chat.type_line("while the store is away")
    pending = chat.view.locator("li.pending")
    expect(pending.locator(".pending-status")).to_contain_text("retrying…")
    expect(pending).not_to_have_class("failed")
    proxy.run(proxy.proxy.restore())
    expect(pending).to_have_count(0, timeout=20_000)
    expect(chat.texts).to_have_text(["before", "while the store is away"])
    assert chat.errors == []
