"""A signed-in person is one nickname on all its tabs, in a real Chromium (D14): a nickname
chosen in one tab shows in the other's box and People, and People lists the person once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import ServerProcess

from .conftest import OpenChat
from .test_people import account_name, new_tab, person

pytestmark = pytest.mark.browser


def test_a_nickname_chosen_in_one_tab_is_the_other_tabs_nickname(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    name = account_name("carla")
    first = person(open_chat, server, name)
    second = new_tab(first, "lobby")
    bob = open_chat(server, "lobby", nick="bob")
    for chat in (first, second, bob):
        expect(chat.people).to_have_text(sorted(["bob", name]))

    first.type_line(f"/nick {name}2")
    for tab in (first, second):
        expect(tab.page.locator("#people .me .person-name")).to_have_text(f"{name}2")
        expect(tab.page.locator("#nick-input")).to_have_value(f"{name}2")
        expect(tab.people).to_have_text(sorted(["bob", f"{name}2"]))
    expect(bob.people).to_have_text(sorted(["bob", f"{name}2"]))
    # One rename notice, not a second person arriving.
    expect(second.notices.filter(has_text="is now known as")).to_have_count(1)
    expect(second.notices.filter(has_text=" joined")).to_have_count(1)

    # The other tab's box was being typed in: it still takes the new name once left.
    second.page.locator("#nick-input").focus()
    first.type_line(f"/nick {name}3")
    expect(second.page.locator("#people .me .person-name")).to_have_text(f"{name}3")
    second.page.locator("#composer-input").focus()
    expect(second.page.locator("#nick-input")).to_have_value(f"{name}3")

    # The other tab reconnecting keeps the person's nickname: it does not ask for the one it
    # had before (which would rename the person on every tab).
    second.page.evaluate(
        "async () => (await import('/static/link.js')).connection.drop(4000, 'test')"
    )
    second.wait_connected()
    first.page.wait_for_timeout(500)
    for chat in (first, second, bob):
        expect(chat.people).to_have_text(sorted(["bob", f"{name}3"]))
    expect(first.page.locator("#nick-input")).to_have_value(f"{name}3")
