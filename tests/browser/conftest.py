"""Fixtures for the real-browser tests: one Chromium per test module, one context per user.

Every simulated user gets a context of their own (their own sessionStorage and localStorage, like
a different person on a different machine) and a ``ChatPage`` with the few actions and locators
the tests need. Uncaught page errors and Content-Security-Policy violations fail the test that
caused them. Screenshots go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from conftest import ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"

# A loaded 2-core CI machine is slow to start pages; waits are for an event, so a long ceiling
# costs nothing when things work.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module.

    Not for the whole session: while Playwright's sync API is alive it keeps its event loop
    marked as running in this thread, and the asyncio tests of other directories could not run.
    """
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


def save_screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def update_docs_screenshot(page: Page, name: str) -> None:
    """Refresh docs/screenshots/NAME.png when ROOMCAST_UPDATE_SCREENSHOTS=1."""
    path = save_screenshot(page, name)
    if os.environ.get("ROOMCAST_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / f"{name}.png")


def post_message(server: ServerProcess, room: str, text: str, author: str = "system") -> int:
    """Store a message through the REST API (as a bot would); returns its ID."""
    request = urllib.request.Request(
        f"{server.http_url}/api/rooms/{room}/messages",
        data=json.dumps({"text": text, "author": author}).encode(),
        headers={"Authorization": f"Bearer {server.api_key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.load(response)["id"])


@dataclass
class ChatPage:
    """One user's roomcast tab, with the locators and actions the tests use."""

    page: Page
    server: ServerProcess
    errors: list[str] = field(default_factory=list)

    # -- locators ----------------------------------------------------------------------------

    @property
    def connection(self) -> Locator:
        return self.page.locator("#connection-text")

    @property
    def view(self) -> Locator:
        """The message list of the room on screen."""
        return self.page.locator(".room-view:not([hidden])")

    @property
    def messages(self) -> Locator:
        """Stored messages of the room on screen (not lines still being sent, not notices)."""
        return self.view.locator("ol.messages:not(.pending-messages) > li.msg")

    @property
    def texts(self) -> Locator:
        return self.messages.locator(".text")

    @property
    def notices(self) -> Locator:
        return self.view.locator("li.notice")

    @property
    def people(self) -> Locator:
        return self.page.locator("#people .person-name")

    @property
    def title(self) -> Locator:
        return self.page.locator("#room-title")

    @property
    def alert(self) -> Locator:
        return self.page.locator("#alert")

    @property
    def log(self) -> Locator:
        return self.page.locator("#log")

    def room_button(self, room: str) -> Locator:
        return self.page.locator(f'#my-rooms .room-button[data-room="{room}"]')

    # -- actions -----------------------------------------------------------------------------

    def open(self, room: str) -> ChatPage:
        self.page.goto(f"{self.server.http_url}/#/room/{room}")
        self.wait_connected()
        return self

    def wait_connected(self) -> None:
        expect(self.connection).to_have_text("Connected")

    def type_line(self, text: str) -> None:
        box = self.page.locator("#composer-input")
        box.fill(text)
        box.press("Enter")

    def say(self, text: str) -> None:
        """Send a line and wait until the server has stored it (its pending copy is gone)."""
        self.type_line(text)
        expect(self.view.locator("li.pending")).to_have_count(0)

    def message_texts(self) -> list[str]:
        """Exact text of every stored message on screen (textContent keeps newlines)."""
        return [str(t) for t in self.texts.evaluate_all("els => els.map(e => e.textContent)")]

    def scroll_log(self, expression: str) -> None:
        """Set the log's scrollTop to ``expression`` (of ``log``), as a user scrolling would.

        The scroll event is dispatched at once rather than at the next frame, so the page has
        taken note before the test goes on.
        """
        self.log.evaluate(
            f"log => {{ log.scrollTop = {expression}; log.dispatchEvent(new Event('scroll')); }}"
        )

    def expect_in_view(self, line: Locator, visible: bool = True) -> None:
        """Wait until ``line`` is (or is not) inside the visible part of the message log.

        Geometry, not Playwright's viewport check: that one relies on IntersectionObserver,
        which Chromium does not update for a page that is not the front tab.
        """
        self.page.wait_for_function(
            """([line, visible]) => {
                const r = line.getBoundingClientRect();
                const log = document.getElementById("log").getBoundingClientRect();
                return (r.bottom > log.top + 1 && r.top < log.bottom - 1) === visible;
            }""",
            arg=[line.element_handle(), visible],
            polling=100,
        )

    def screenshot(self, name: str) -> Path:
        return save_screenshot(self.page, name)


OpenChat = Callable[..., ChatPage]


@pytest.fixture
def open_chat(browser: Browser) -> Iterator[OpenChat]:
    """Open roomcast for a new user: ``open_chat(server, "lobby", nick="alice")``.

    ``nick`` is the nickname the user had saved before (localStorage), so the page connects
    with it. Extra keyword arguments go to ``browser.new_context`` (viewport, color_scheme...).
    """
    contexts: list[BrowserContext] = []
    pages: list[ChatPage] = []

    def open_page(
        server: ServerProcess,
        room: str = "lobby",
        *,
        nick: str | None = None,
        connect: bool = True,
        **context_options: Any,
    ) -> ChatPage:
        options: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}, **context_options}
        context = browser.new_context(**options)
        contexts.append(context)
        if nick is not None:
            context.add_init_script(
                f"if (!localStorage.getItem('roomcast.nick')) "
                f"localStorage.setItem('roomcast.nick', {json.dumps(nick)});"
            )
        page = context.new_page()
        chat = ChatPage(page, server)
        page.on("pageerror", lambda error: chat.errors.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                chat.errors.append(f"CSP: {message.text}")
                if re.search("Content.Security.Policy", message.text)
                else None
            ),
        )
        pages.append(chat)
        if connect:
            chat.open(room)
            if nick is not None:
                expect(page.locator("#people .me .person-name")).to_have_text(nick)
        return chat

    yield open_page
    for context in contexts:
        context.close()
    errors = [error for chat in pages for error in chat.errors]
    assert not errors, "\n".join(errors)
