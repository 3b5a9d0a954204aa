"""The pictures in the README and the docs: one lived-in scene shot light, dark and on a phone.

``ROOMCAST_UPDATE_SCREENSHOTS=1 make test-browser`` (or this module alone, as
``ROOMCAST_UPDATE_SCREENSHOTS=1 PYTHONPATH=src .venv/bin/pytest tests/browser/test_screenshots.py``)
copies them to docs/screenshots/; without it they only go to test-artifacts/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import ServerProcess

from .conftest import OpenChat, post_message, update_docs_screenshot
from .test_people import person
from .test_refusals import admin_call, create_room

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_docs_screenshots_light_dark_and_phone(server: ServerProcess, open_chat: OpenChat) -> None:
    """#lobby with its topic, people talking, two rooms with unread lines; a private room's
    settings."""
    admin_call(server, "PUT", "/api/rooms/lobby/topic", {"topic": "Be kind, stay on topic"})
    post_message(server, "lobby", "Welcome to #lobby. Be kind, stay on topic.", author="system")
    post_message(
        server, "lobby", "Deploy of roomcast 0.1.0 finished: all checks green.", "deploybot"
    )
    alice = person(open_chat, server, "alice")
    create_room(alice, "team", private=True, topic="Release planning")
    for room in ("team", "design", "ops"):
        alice.type_line(f"/join {room}")
        expect(alice.title).to_have_text(f"#{room}")
    alice.room_button("lobby").click()
    expect(alice.page.locator("#room-topic")).to_have_text("Be kind, stay on topic")
    bob = open_chat(server, "lobby", nick="bob")
    carol = open_chat(server, "lobby", nick="Carol Zhang")
    dana = open_chat(server, "lobby", nick="dana")
    bob.say("Morning! Did the release go out?")
    alice.say("Yes: the changelog is at https://example.com/roomcast/changes")
    alice.say("Reconnects now resume exactly where they left off.")
    carol.type_line("/me is reading it now")
    dana.say("Accents, Arabic (مرحبا) and Hebrew (שלום) all round-trip ✓")
    bob.say("Ship it, @alice!")
    expect(alice.texts).to_have_count(8)
    for room, lines in (("design", 2), ("ops", 1)):
        dana.type_line(f"/join {room}")
        for number in range(lines):
            dana.say(f"{room} update {number + 1}")
        badge = alice.room_button(room).locator(".unread")
        expect(badge).to_have_text(re.compile(f"^{lines}"))
    expect(alice.people).to_have_count(4)
    page = alice.page
    page.locator("#composer-input").blur()
    update_docs_screenshot(page, "roomcast")
    page.emulate_media(color_scheme="dark")
    update_docs_screenshot(page, "roomcast-dark")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(PHONE)
    expect(page.locator("#toggle-rooms")).to_be_visible()
    page.mouse.move(PHONE["width"] / 2, PHONE["height"] - 20)
    update_docs_screenshot(page, "roomcast-phone")

    # The owner's settings of her private room.
    page.set_viewport_size({"width": 1280, "height": 800})
    alice.room_button("team").click()
    page.click("#room-settings")
    page.locator("#invite-name").fill("bob")
    expect(page.locator("#room-sanctions")).to_contain_text("Nobody")
    update_docs_screenshot(page, "roomcast-room-settings")
