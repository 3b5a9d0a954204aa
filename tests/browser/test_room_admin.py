"""Room administration in a real Chromium: creating a room, its topic in the heading (D11, live),
a private room's people (invite, remove, moderators), kick, ban and mute from People and from a
message, the sanctions in force with unban and unmute, and nothing offered to who may not."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, expect

from conftest import ServerProcess

from .conftest import ChatPage, OpenChat
from .test_people import account_name, person
from .test_refusals import create_room

pytestmark = pytest.mark.browser


def person_menu(chat: ChatPage, name: str) -> Locator:
    """Open the "⋯" menu of ``name`` in People; the menu."""
    chat.page.locator(f'#people li.person[data-name="{name}"] .person-more').click()
    menu = chat.page.locator("#person-menu")
    expect(menu).to_be_visible()
    return menu


def settings(chat: ChatPage) -> Locator:
    chat.page.click("#room-settings")
    dialog = chat.page.locator("dialog.admin-dialog[open]")
    expect(dialog).to_be_visible()
    return dialog


def sanction_dialog(chat: ChatPage) -> Locator:
    dialog = chat.page.locator("dialog.admin-dialog[open]")
    expect(dialog).to_be_visible()
    return dialog


def test_the_topic_shows_in_the_heading_and_changes_live(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice = person(open_chat, server, account_name("alice"))
    create_room(alice, "plans", private=False, topic="Shipping on Tuesday")
    bob = open_chat(server, "plans", nick="bob")
    expect(bob.page.locator("#room-topic")).to_have_text("Shipping on Tuesday")
    reply = alice.page.context.request.put(
        f"{server.http_url}/api/rooms/plans/topic", data={"topic": "Shipping on Wednesday"}
    )
    assert reply.ok, reply.text()
    expect(bob.page.locator("#room-topic")).to_have_text("Shipping on Wednesday")
    expect(bob.notices.last).to_contain_text("The topic is now: Shipping on Wednesday")


def test_create_a_private_room_invite_appoint_and_remove(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    bob_name = account_name("bob")
    bob = person(open_chat, server, bob_name)
    alice = person(open_chat, server, account_name("alice"))
    page = alice.page
    page.click("#new-room")
    page.fill("#create-name", "team")
    page.check("#create-private")
    page.fill("#create-topic", "Plans")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(alice.title).to_have_text("#team")
    expect(page.locator("#room-topic")).to_have_text("Plans")

    # Bob is not invited yet: the room stays closed to him, and he stays where he is.
    bob.type_line("/join team")
    expect(bob.alert).to_contain_text("private")
    expect(bob.title).to_have_text("#lobby")

    dialog = settings(alice)
    expect(dialog.locator("#room-members")).to_contain_text("owner")
    dialog.locator("#invite-name").fill(bob_name)
    dialog.get_by_role("button", name="Invite", exact=True).click()
    expect(dialog.locator("#room-members")).to_contain_text(bob_name)
    bob.type_line("/join team")
    expect(bob.title).to_have_text("#team")
    expect(bob.page.locator("#room-settings")).to_be_hidden()

    # Made a moderator, Bob gets the room settings; unmade, they go away.
    dialog.get_by_role("button", name=f"Make moderator: {bob_name}").click()
    expect(dialog.locator("#room-members")).to_contain_text("moderator")
    expect(bob.page.locator("#room-settings")).to_be_visible()
    dialog.get_by_role("button", name=f"Unmake moderator: {bob_name}").click()
    expect(bob.page.locator("#room-settings")).to_be_hidden()

    # The topic, from the settings, reaches Bob live.
    dialog.locator("#settings-topic").fill("Plans for December")
    dialog.get_by_role("button", name="Save the topic").click()
    expect(bob.page.locator("#room-topic")).to_have_text("Plans for December")

    # Removed, Bob is taken out.
    dialog.get_by_role("button", name=f"Remove: {bob_name}").click()
    expect(bob.room_button("team")).to_have_count(0)
    expect(dialog.locator("#room-members")).not_to_contain_text(bob_name)
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator("#room-settings")).to_be_focused()


def test_moderators_kick_ban_and_mute_and_lift_them(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice = person(open_chat, server, account_name("alice"))
    create_room(alice, "hall", private=False)
    alice.type_line("/join hall")
    expect(alice.title).to_have_text("#hall")
    bob_name = account_name("bob")
    bob = person(open_chat, server, bob_name, "hall")
    carol = open_chat(server, "hall", nick="carol")

    # Nothing of it is offered to those who may not.
    expect(bob.page.locator("#room-settings")).to_be_hidden()
    expect(carol.page.locator("#new-room")).to_be_hidden()
    expect(carol.page.locator("#people .person-more")).to_have_count(0)
    bob.say("hello from bob")
    line = carol.messages.filter(has_text="hello from bob")
    line.hover()
    bar = line.locator(".msg-actions")
    expect(bar.get_by_role("button", name="Reply", exact=True)).to_be_visible()
    expect(bar.get_by_role("button", name="Moderate the author")).to_be_hidden()
    expect(bar.get_by_role("button", name="Delete", exact=True)).to_be_hidden()

    # Mute Bob from People: his lines are refused; the sanctions list lifts it.
    person_menu(alice, bob_name).get_by_role("menuitem", name=f"Mute {bob_name}…").click()
    dialog = sanction_dialog(alice)
    dialog.locator("#sanction-duration").select_option("3600")
    dialog.get_by_role("button", name="Mute", exact=True).click()
    expect(alice.notices.last).to_contain_text(re.compile(f"You muted {bob_name} until"))
    bob.type_line("muted line")
    failed = bob.view.locator("li.pending.failed")
    expect(failed).to_contain_text("muted")
    failed.get_by_role("button", name="Discard").click()
    dialog = settings(alice)
    sanctions = dialog.locator("#room-sanctions")
    expect(sanctions).to_contain_text(f"{bob_name} muted until")
    sanctions.get_by_role("button", name=f"Unmute {bob_name}").click()
    expect(sanctions).to_contain_text("Nobody is banned or muted here.")
    dialog.get_by_role("button", name="Close").click()

    # Kick Carol (a guest) with a reason, from People.
    person_menu(alice, "carol").get_by_role("menuitem", name="Kick carol…").click()
    dialog = sanction_dialog(alice)
    dialog.locator("#sanction-reason").fill("spam")
    dialog.get_by_role("button", name="Kick", exact=True).click()
    expect(carol.alert).to_contain_text("kicked you from #hall: spam")
    expect(carol.room_button("hall")).to_have_count(0)

    # Ban Bob from his message's actions, until lifted; delete is there too.
    line = alice.messages.filter(has_text="hello from bob")
    line.hover()
    bar = line.locator(".msg-actions")
    expect(bar.get_by_role("button", name="Delete", exact=True)).to_be_visible()
    bar.get_by_role("button", name="Moderate the author").click()
    alice.page.locator("#person-menu").get_by_role("menuitem", name=f"Ban {bob_name}…").click()
    dialog = sanction_dialog(alice)
    dialog.get_by_role("button", name="Ban", exact=True).click()
    expect(bob.alert).to_contain_text("banned you from #hall until a moderator lifts the ban")
    dialog = settings(alice)
    sanctions = dialog.locator("#room-sanctions")
    expect(sanctions).to_contain_text(f"{bob_name} banned until lifted")
    sanctions.get_by_role("button", name=f"Unban {bob_name}").click()
    expect(sanctions).not_to_contain_text(bob_name)
    bob.type_line("/join hall")
    expect(bob.title).to_have_text("#hall")
