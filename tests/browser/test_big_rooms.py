"""A big room in the browser: over ``userlist_max`` members the people panel shows the room's
count and the first names, "Show more" pages the rest with Members, and joins and leaves move
the count without a notice each."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from playwright.sync_api import expect
from websockets.sync.client import ClientConnection, connect

from .conftest import OpenChat

pytestmark = pytest.mark.browser

MOST = 3
OTHERS = 7

# Records every frame the page sends.
RECORD_SENT = """(() => {
    window.__sent = [];
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
        window.__sent.push(JSON.parse(String(data)));
        return send.call(this, data);
    };
})();"""


def member(stack: ExitStack, url: str, room: str, nick: str) -> ClientConnection:
    """A member of ``room`` that stays until closed (or the stack ends); its Joined has come."""
    ws = stack.enter_context(connect(f"{url}?room={room}&nick={nick}&userlist=diff"))
    while json.loads(ws.recv(timeout=10))["Type"] != "Joined":
        pass
    return ws


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as exits:
        yield exits


def test_a_big_room_shows_its_count_and_pages_its_people(
    server_factory: Any, open_chat: OpenChat, stack: ExitStack
) -> None:
    server = server_factory("--userlist-max", str(MOST), "--userlist-interval", "0.02")
    room = "crowd"
    # "a..." names sort before the page's guest name: the first names are theirs.
    nicks = [f"a{i}" for i in range(OTHERS)]
    for nick in nicks:
        member(stack, server.ws_url, room, nick)
    chat = open_chat(server, room, connect=False)
    chat.page.add_init_script(RECORD_SENT)
    chat.open(room)
    count, more = chat.page.locator("#people-count"), chat.page.locator("#people-more")
    expect(count).to_have_text(f"({OTHERS + 1})")
    expect(chat.people).to_have_text(nicks[:MOST])
    expect(more).to_have_text(f"Show more ({OTHERS + 1 - MOST} not shown)")
    more.click()
    expect(more).to_be_hidden()
    expect(chat.people).to_have_count(OTHERS + 1)
    sent = chat.page.evaluate("window.__sent.filter(f => f.Type === 'Members')")
    assert [(f["Room"], f["After"], f["Limit"]) for f in sent] == [(room, nicks[MOST - 1], 200)]
    notices = chat.notices.count()
    # A join and a leave move the count; a big room tells no one about each.
    late = member(stack, server.ws_url, room, "zed")
    expect(count).to_have_text(f"({OTHERS + 2})")
    expect(chat.people.filter(has_text="zed")).to_have_count(1)
    late.close()
    expect(count).to_have_text(f"({OTHERS + 1})")
    expect(chat.people.filter(has_text="zed")).to_have_count(0)
    assert chat.notices.count() == notices
