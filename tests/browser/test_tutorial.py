"""The Caché tutorial's own page (tests/fixtures/tutorial) still chats with roomcast."""

from __future__ import annotations

import functools
import json
import re
import threading
import urllib.request
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import websockets.sync.client
from playwright.sync_api import Browser, Page, expect

from conftest import ServerProcess
from helpers import b64

from .conftest import OpenChat, save_screenshot

pytestmark = pytest.mark.browser

TUTORIAL_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "tutorial"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def tutorial_site() -> Iterator[str]:
    """A plain file server for the tutorial page, on another origin than roomcast."""
    handler = functools.partial(_QuietHandler, directory=str(TUTORIAL_DIR))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def open_tutorial(browser: Browser, tutorial_site: str) -> Iterator[Any]:
    contexts = []

    def open_page(server: ServerProcess, room: str) -> Page:
        context = browser.new_context(viewport={"width": 1000, "height": 640})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{tutorial_site}/ChatTest.html?room={room}&server=127.0.0.1:{server.port}")
        expect(page.locator("#headline")).to_have_text(re.compile(r"^CHAT - connected - \w+$"))
        return page

    yield open_page
    for context in contexts:
        context.close()


def tutorial_say(page: Page, line: str) -> None:
    page.locator("#inputline").fill(line)
    page.locator("#inputline").press("Enter")


@pytest.fixture
def server(server_factory: Any, tutorial_site: str) -> ServerProcess:
    """A server that lets the tutorial's origin (another port) open WebSockets."""
    return server_factory(  # type: ignore[no-any-return]
        "--allowed-origins", tutorial_site, "--userlist-interval", "0.02"
    )


def test_tutorial_page_and_new_client_chat_together(
    server: ServerProcess, open_chat: OpenChat, open_tutorial: Any
) -> None:
    tutorial = open_tutorial(server, "lobby")
    alice = open_chat(server, "lobby", nick="alice")
    expect(tutorial.locator("#userlist p")).to_have_count(2)

    # "/nick" only changes the page's variable; the next line carries it as Author.
    tutorial_say(tutorial, "/nick Pierre")
    tutorial_say(tutorial, "café au lait")
    expect(alice.texts).to_have_text(["café au lait"])
    expect(alice.messages.last.locator(".author")).to_have_text("Pierre")
    expect(alice.people).to_have_text(["alice", "Pierre"])
    names = tutorial.locator("#userlist p")
    expect(names).to_have_count(2)
    expect(names.filter(has_text="Pierre")).to_have_count(1)
    expect(names.filter(has_text="alice")).to_have_count(1)

    alice.say("bonjour Pierre")
    chat = tutorial.locator("#chat li")
    expect(chat.last.locator(".message")).to_have_text("bonjour Pierre")
    expect(chat.last.locator(".author")).to_have_text("alice")
    expect(chat.last.locator("small")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"))
    # The server stores and sends UTF-8; the tutorial decodes with atob (Latin-1), so its own
    # accented line comes back to it as mojibake. That is the tutorial's limit, not a loss.
    expect(chat.first.locator(".message")).to_have_text("cafÃ© au lait")

    # Lines of other rooms do not reach the tutorial page (its own server broadcast them all).
    bob = open_chat(server, "elsewhere", nick="bob")
    bob.say("not for the lobby")
    alice.say("last one")
    expect(chat.last.locator(".message")).to_have_text("last one")
    expect(chat).to_have_count(3)
    save_screenshot(tutorial, "tutorial-page")


def test_tutorial_page_shows_the_text_of_a_line_with_files(
    server: ServerProcess, open_tutorial: Any
) -> None:
    tutorial = open_tutorial(server, "lobby")
    with websockets.sync.client.connect(f"{server.ws_url}?room=lobby&nick=sharer") as ws:
        session = json.loads(ws.recv())["Session"]
        request = urllib.request.Request(
            f"{server.http_url}/api/rooms/lobby/uploads",
            data=b"the log",
            headers={"X-Roomcast-Session": session, "X-Filename": "app.log"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            upload = json.load(response)
        line = {"Message": b64("see the log"), "Ref": 1, "Attachments": [upload["id"]]}
        ws.send(json.dumps(line))
        chat = tutorial.locator("#chat li")
        expect(chat.last.locator(".message")).to_have_text("see the log")
        expect(chat.last.locator(".author")).to_have_text("sharer")
