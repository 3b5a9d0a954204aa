"""A big room through the client library: ``Users`` carries the count beside the first names,
``members`` pages the rest, every name once; the terminal client says how many are there."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from textual.widgets import Static

from client.support import next_of
from roomcast.client import ChatClient, ChatError, Users, connect
from roomcast.terminal.app import ChatApp
from roomcast.terminal.options import ChatOptions

MOST = 3  # the server's userlist_max here
PEOPLE = [f"p{i:02d}" for i in range(8)]


async def test_users_count_and_members_pages_list_everyone_once(server_factory: Any) -> None:
    server = server_factory("--userlist-max", str(MOST), "--userlist-interval", "0.02")
    async with contextlib.AsyncExitStack() as stack:
        clients: list[ChatClient] = [
            await stack.enter_async_context(connect(server.http_url, nick=name, room="hall"))
            for name in PEOPLE
        ]
        watcher = clients[0]
        users = await next_of(watcher, Users, lambda u: u.count == len(PEOPLE), timeout=10)
        assert users.names == tuple(PEOPLE[:MOST])
        seen, after, more = list(users.names), users.names[-1], True
        while more:
            page = await watcher.members("hall", after=after, limit=2)
            assert page.count == len(PEOPLE)
            seen += page.names
            after, more = (page.names[-1] if page.names else after), page.more
        assert seen == PEOPLE
        with pytest.raises(ChatError, match="not_in_room"):
            await watcher.members("elsewhere")
        app = ChatApp(ChatOptions(server.http_url, ("hall",), "viewer", color=False, bell=False))
        async with app.run_test(size=(80, 24)) as pilot:
            async with asyncio.timeout(10):
                while "9 people" not in str(app.query_one("#people", Static).content):
                    await pilot.pause(0.05)
