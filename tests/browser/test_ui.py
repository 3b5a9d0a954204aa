"""Layout, themes, keyboard use, labels and the page's security headers."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

import roomcast
from conftest import ServerProcess

from .conftest import OpenChat, post_message

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_phone_layout_works_with_the_keyboard_alone(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    post_message(server, "lobby", "Hello from a small screen!", author="bot")
    alice = open_chat(
        server,
        "lobby",
        nick="alice",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        reduced_motion="reduce",  # drawers appear at once, so screenshots show them whole
    )
    page = alice.page
    rooms = page.locator("#rooms-panel")
    expect(rooms).not_to_be_visible()
    expect(page.locator("#people-panel")).not_to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    alice.screenshot("phone")

    # Nothing has the focus on a touch screen (no keyboard popping up); the first Tab reaches
    # the skip link, which leads straight to the message box.
    expect(page.locator("#composer-input")).not_to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#composer-input")).to_be_focused()
    page.keyboard.type("typed with the keyboard")
    page.keyboard.press("Enter")
    expect(alice.texts.last).to_have_text("typed with the keyboard")
    assert page.url.endswith("#/room/lobby")

    # The rooms drawer opens from its button, takes the focus, and joins a room.
    toggle = page.locator("#toggle-rooms")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(rooms).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    alice.screenshot("phone-rooms")
    page.locator("#join-input").focus()
    page.keyboard.type("pocket")
    page.keyboard.press("Enter")
    expect(alice.title).to_have_text("#pocket")
    expect(rooms).not_to_be_visible()

    # The people drawer closes with Escape and gives the focus back to its button.
    people = page.locator("#toggle-people")
    people.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#people-panel")).to_be_visible()
    expect(page.locator("#people .person-name")).to_have_text(["alice"])
    page.keyboard.press("Escape")
    expect(page.locator("#people-panel")).not_to_be_visible()
    expect(people).to_be_focused()

    # Alt+Up and Alt+Down move between rooms.
    page.locator("#composer-input").focus()
    page.keyboard.press("Alt+ArrowUp")
    expect(alice.title).to_have_text("#lobby")
    page.keyboard.press("Alt+ArrowDown")
    expect(alice.title).to_have_text("#pocket")


def test_dark_theme_follows_the_system(server: ServerProcess, open_chat: OpenChat) -> None:
    post_message(server, "lobby", "Dark mode, easy on the eyes.", author="bot")
    dark = open_chat(server, "lobby", nick="owl", color_scheme="dark")
    light = open_chat(server, "lobby", nick="lark", color_scheme="light")
    lightness = "() => getComputedStyle(document.body).backgroundColor"
    assert dark.page.evaluate(lightness) == "rgb(16, 19, 24)"
    assert light.page.evaluate(lightness) == "rgb(246, 247, 249)"
    dark.say("hoot")
    expect(light.texts.last).to_have_text("hoot")
    dark.screenshot("dark")
    light.screenshot("light")


def test_every_control_has_a_label(server: ServerProcess, open_chat: OpenChat) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    unnamed = alice.page.evaluate(
        """() => [...document.querySelectorAll("button, input, textarea, [role=log]")]
            .filter((el) => {
                const label = el.getAttribute("aria-label")
                    || (el.getAttribute("aria-labelledby") || "").split(" ")
                        .map((id) => document.getElementById(id)?.textContent || "").join("")
                    || [...(el.labels || [])].map((l) => l.textContent).join("")
                    || el.textContent;
                return !label.trim();
            })
            .map((el) => el.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []
    expect(alice.page.get_by_role("textbox", name="Message")).to_be_visible()
    expect(alice.page.get_by_role("textbox", name="Your nickname")).to_be_visible()
    expect(alice.page.get_by_role("textbox", name="Join or create a room")).to_be_visible()
    expect(alice.page.get_by_role("log", name="Messages")).to_be_visible()


def test_page_is_served_with_a_strict_content_security_policy(server: ServerProcess) -> None:
    with urllib.request.urlopen(server.http_url + "/", timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
        html = response.read().decode()
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    # Nothing the policy would block: no inline script, no style or event-handler attributes.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"\s(?:style|on[a-z]+)\s*=", html) == []
    for asset in ("app.js", "style.css", "codec.js"):
        with urllib.request.urlopen(f"{server.http_url}/static/{asset}", timeout=10) as response:
            assert response.status == 200


def test_the_page_preloads_every_module_of_the_client(server: ServerProcess) -> None:
    """The browser fetches the modules at once instead of discovering them import by import."""
    with urllib.request.urlopen(server.http_url + "/", timeout=10) as response:
        html = response.read().decode()
    preloaded = re.findall(r'<link rel="modulepreload" href="/static/([\w.-]+)">', html)
    modules = {path.name for path in (Path(roomcast.__file__).parent / "web").glob("*.js")}
    # app.js is the entry point; admin.js is the admin page's own, not the client's.
    assert sorted(preloaded) == sorted(modules - {"app.js", "admin.js"})
