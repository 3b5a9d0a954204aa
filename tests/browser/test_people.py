"""People in the browser: a person's rooms, read positions and badges on every tab and device,
direct conversations, blocks, mentions and desktop notifications.

Two browser contexts are two people (or one person on two devices); two pages in one context
are two tabs of one person. Accounts are registered through the REST API in the context, so
its pages connect signed in.
"""

from __future__ import annotations

import json
import random
import re
import string
from itertools import pairwise
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from conftest import ServerProcess

from .conftest import ChatPage, OpenChat, post_message

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"

# Makes the page look hidden (or visible again), as a tab in the background does: headless
# Chromium shows every page as visible.
SET_HIDDEN = """hidden => {
    Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
    Object.defineProperty(document, "visibilityState", {
        configurable: true, get: () => (hidden ? "hidden" : "visible"),
    });
    document.dispatchEvent(new Event("visibilitychange"));
}"""

# Records every frame the page sends, with the page's own clock.
RECORD_SENT = """(() => {
    window.__sent = [];
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
        window.__sent.push([performance.now(), String(data)]);
        return send.call(this, data);
    };
})();"""

# Has the page sent {"Type":"Read"} with this ID?
READ_SENT = """id => window.__sent.some(([, data]) => {
    const frame = JSON.parse(data);
    return frame.Type === "Read" && frame.ID === id;
})"""

# Scrolls the log to the top (older pages come in) until a line with this text is there.
PAGE_BACK_TO = """text => {
    const log = document.getElementById("log");
    log.scrollTop = 0;
    log.dispatchEvent(new Event("scroll"));
    return [...document.querySelectorAll(".room-view:not([hidden]) li.msg .text")]
        .some((el) => el.textContent === text);
}"""

# Records the desktop notifications the page shows and every request for the permission.
RECORD_NOTIFICATIONS = """(() => {
    window.__notes = [];
    window.__asked = 0;
    const Real = window.Notification;
    const ask = Real.requestPermission.bind(Real);
    class Recorded extends Real {
        constructor(title, options) {
            super(title, options);
            window.__notes.push(this);
        }
    }
    Recorded.requestPermission = (...args) => {
        window.__asked += 1;
        return ask(...args);
    };
    window.Notification = Recorded;
})();"""


# -- helpers -------------------------------------------------------------------------------------


def account_name(prefix: str) -> str:
    return prefix + "".join(random.choices(string.ascii_lowercase, k=5))


def person(
    open_chat: OpenChat,
    server: ServerProcess,
    name: str,
    room: str = "lobby",
    *,
    new: bool = True,
    init: tuple[str, ...] = (),
    **context_options: Any,
) -> ChatPage:
    """A page of account ``name`` (registered when ``new``, else logged in) in a context of its
    own, open on ``room``; ``init`` scripts run before the page's own."""
    chat = open_chat(server, room, connect=False, **context_options)
    for script in init:
        chat.page.context.add_init_script(script)
    path = "/api/register" if new else "/api/login"
    reply = chat.page.context.request.post(
        server.http_url + path, data={"name": name, "password": PASSWORD}
    )
    assert reply.ok, reply.text()
    chat.open(room)
    expect(chat.page.locator("#people .me .person-name")).to_have_text(name)
    return chat


def new_tab(chat: ChatPage, room: str) -> ChatPage:
    """Another tab of the same person (same context: same cookie, its own sessionStorage)."""
    page = chat.page.context.new_page()
    tab = ChatPage(page, chat.server, chat.errors)
    page.on("pageerror", lambda error: tab.errors.append(f"page error: {error}"))
    return tab.open(room)


def set_hidden(chat: ChatPage, hidden: bool) -> None:
    chat.page.evaluate(SET_HIDDEN, hidden)


def my_rooms(chat: ChatPage) -> dict[str, dict[str, Any]]:
    """``GET /api/me/rooms`` as the page's account."""
    reply = chat.page.context.request.get(chat.server.http_url + "/api/me/rooms")
    assert reply.ok
    return {entry["room"]: entry for entry in reply.json()["rooms"]}


def wait_read(chat: ChatPage, room: str, message_id: int) -> None:
    """Wait until the person's read marker in ``room`` is at ``message_id``."""
    for _ in range(100):
        if my_rooms(chat)[room]["read_id"] >= message_id:
            return
        chat.page.wait_for_timeout(100)
    raise AssertionError(f"read marker of {room} never reached {message_id}")


def badges(chat: ChatPage, room: str) -> tuple[Locator, Locator]:
    """The unread and mention badges of ``room`` in the rooms panel."""
    button = chat.page.locator(f'.rooms-panel .room-button[data-room="{room}"]')
    return button.locator(".unread"), button.locator(".mention-count")


def direct_button(chat: ChatPage, names: str) -> Locator:
    return chat.page.locator("#direct-rooms .room-button").filter(
        has=chat.page.locator("bdi", has_text=re.compile(f"^{re.escape(names)}$"))
    )


def line(chat: ChatPage, text: str) -> Locator:
    """The stored message of the room on screen whose text is exactly ``text``."""
    exact = chat.page.locator(".text").filter(has_text=re.compile(f"^{re.escape(text)}$"))
    return chat.messages.filter(has=exact)


def sent_reads(page: Page) -> list[tuple[float, dict[str, Any]]]:
    """The Read frames the page sent: (the page's time in ms, frame)."""
    sent = page.evaluate("window.__sent")
    frames = [(at, json.loads(data)) for at, data in sent]
    return [(at, frame) for at, frame in frames if frame.get("Type") == "Read"]


def around_divider(chat: ChatPage) -> list[str | None]:
    """The texts of the lines just before and just after the "new since you were here" line."""
    return list(
        chat.view.locator(".since-divider").evaluate(
            """divider => {
                const text = (li) => li?.querySelector(".text")?.textContent ?? null;
                let before = divider.previousElementSibling;
                while (before && !before.matches("li.msg")) before = before.previousElementSibling;
                return [text(before), text(divider.nextElementSibling)];
            }"""
        )
    )


# -- the person's rooms, counts and read positions -----------------------------------------------


def test_rooms_and_badges_come_back_on_a_reload_a_new_tab_and_another_device(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice_name, bob_name = account_name("alice"), account_name("bob")
    alice = person(open_chat, server, alice_name, "lobby")
    for room in ("ops", "design"):
        alice.type_line(f"/join {room}")
        expect(alice.title).to_have_text(f"#{room}")
    alice.room_button("lobby").click()
    bob = person(open_chat, server, bob_name, "ops")
    for text in ("one", "two", f"hey @{alice_name}, look"):
        bob.say(text)
    unread, mentions = badges(alice, "ops")
    expect(unread).to_have_text(re.compile(r"^3"))
    expect(mentions).to_have_text(re.compile(r"^1"))

    # A reload: the same rooms, the same badges (the server's counts, not the tab's).
    alice.page.reload()
    alice.wait_connected()
    expect(alice.page.locator("#my-rooms .room-button")).to_have_count(3)
    expect(unread).to_have_text(re.compile(r"^3"))
    expect(mentions).to_have_text(re.compile(r"^1"))

    # A new tab knows nothing of this tab's rooms: the Rooms frame brings them.
    tab = new_tab(alice, "lobby")
    expect(tab.page.locator("#my-rooms .room-button")).to_have_count(3)
    tab_unread, tab_mentions = badges(tab, "ops")
    expect(tab_unread).to_have_text(re.compile(r"^3"))
    expect(tab_mentions).to_have_text(re.compile(r"^1"))
    expect(badges(tab, "design")[0]).to_have_count(0)

    # Another device: the account logs in from a browser of its own.
    laptop = person(open_chat, server, alice_name, "design", new=False)
    expect(laptop.page.locator("#my-rooms .room-button")).to_have_text(
        [re.compile("lobby"), re.compile("ops"), re.compile("design")]
    )
    laptop_unread, laptop_mentions = badges(laptop, "ops")
    expect(laptop_unread).to_have_text(re.compile(r"^3"))
    expect(laptop_mentions).to_have_text(re.compile(r"^1"))

    # Reading the room in one tab clears its badges in the other tab and on the other device.
    tab.room_button("ops").click()
    expect(tab.texts).to_have_text(["one", "two", f"hey @{alice_name}, look"])
    for page in (alice, laptop):
        expect(badges(page, "ops")[0]).to_have_count(0)
        expect(badges(page, "ops")[1]).to_have_count(0)
    entry = my_rooms(alice)["ops"]
    assert entry["read_id"] == entry["last_id"]
    assert (entry["unread"], entry["mentions"]) == (0, 0)

    # A room left is left for the person: a new tab does not bring it back.
    tab.type_line("/leave design")
    expect(tab.room_button("design")).to_have_count(0)
    for _ in range(50):
        if "design" not in my_rooms(alice):
            break
        tab.page.wait_for_timeout(100)
    assert "design" not in my_rooms(alice)
    third = new_tab(alice, "lobby")
    expect(third.page.locator("#my-rooms .room-button")).to_have_count(2)


def test_new_since_you_were_here_marks_where_the_reader_left(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    name = account_name("reader")
    last = 0
    for number in range(1, 6):
        last = post_message(server, "lobby", f"old {number}", author="archivist")
    reader = person(open_chat, server, name, "lobby")
    expect(reader.texts.last).to_have_text("old 5")
    # Nothing unread on a first visit: no line.
    expect(reader.view.locator(".since-divider")).to_have_count(0)
    wait_read(reader, "lobby", last)
    reader.page.close()
    for number in range(1, 4):
        post_message(server, "lobby", f"new {number}", author="archivist")

    # Back in a new tab: the line sits where the marker was, between what was read and not.
    back = new_tab(reader, "lobby")
    expect(back.texts.last).to_have_text("new 3")
    divider = back.view.locator(".since-divider")
    expect(divider).to_have_text(re.compile("New since you were here", re.IGNORECASE))
    assert around_divider(back) == ["old 5", "new 1"]
    back.screenshot("people-new-since")

    # The page read them (it is at the bottom): the next visit has no line.
    wait_read(back, "lobby", last + 3)
    back.page.reload()
    back.wait_connected()
    expect(back.texts.last).to_have_text("new 3")
    expect(back.view.locator(".since-divider")).to_have_count(0)
    back.page.close()

    # More new lines than the newest page holds: the line is at the top of what is loaded,
    # then older pages bring it to its place.
    for number in range(1, 121):
        post_message(server, "lobby", f"later {number}", author="archivist")
    again = new_tab(reader, "lobby")
    expect(again.texts.last).to_have_text("later 120")
    expect(again.view.locator(".since-divider")).to_have_count(1)
    on_top = again.view.locator(".since-divider").evaluate(
        "divider => divider.nextElementSibling === divider.parentElement.querySelector('li.msg')"
    )
    assert on_top
    again.page.wait_for_function(PAGE_BACK_TO, arg="old 1", polling=200)
    assert around_divider(again) == ["new 3", "later 1"]


def test_reading_sends_read_from_the_bottom_at_most_once_a_second(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    last = 0
    for number in range(1, 41):
        last = post_message(server, "lobby", f"line {number}", author="archivist")
    reader = person(open_chat, server, account_name("reader"), "lobby", init=(RECORD_SENT,))
    page = reader.page
    expect(reader.texts.last).to_have_text("line 40")
    page.wait_for_function(READ_SENT, arg=last)
    assert sent_reads(page)[-1][1] == {"Type": "Read", "Room": "lobby", "ID": last}

    # Scrolled up, lines are not read: no Read, and they count as new.
    reader.scroll_log("0")
    before = len(sent_reads(page))
    for number in range(41, 44):
        last = post_message(server, "lobby", f"line {number}", author="archivist")
    expect(page.locator("#new-marker")).to_have_text(re.compile("3 new messages"))
    page.wait_for_timeout(1_200)
    assert len(sent_reads(page)) == before
    # Back at the bottom: read.
    reader.scroll_log("log.scrollHeight")
    page.wait_for_function(READ_SENT, arg=last)
    wait_read(reader, "lobby", last)

    # A burst at the bottom: at most one Read a second, each for a higher ID than the one
    # before, the last one for the newest line.
    before = len(sent_reads(page))
    for number in range(44, 54):
        last = post_message(server, "lobby", f"line {number}", author="archivist")
        page.wait_for_timeout(150)
    expect(reader.texts.last).to_have_text("line 53")
    page.wait_for_function(READ_SENT, arg=last)
    reads = sent_reads(page)
    ids = [frame["ID"] for _, frame in reads]
    assert ids == sorted(set(ids)), ids
    times = [at for at, _ in reads]
    assert all(b - a >= 990 for a, b in pairwise(times)), times
    assert len(reads) - before <= 3, ids

    # A hidden page reads nothing; seen again, it reads what came meanwhile.
    set_hidden(reader, True)
    last = post_message(server, "lobby", "while away", author="archivist")
    expect(reader.texts.last).to_have_text("while away")
    page.wait_for_timeout(1_200)
    assert sent_reads(page)[-1][1]["ID"] < last
    set_hidden(reader, False)
    page.wait_for_function(READ_SENT, arg=last)
    wait_read(reader, "lobby", last)


# -- direct conversations and blocks -------------------------------------------------------------


def test_direct_conversations_start_from_people_and_msg(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice_name, bob_name, carol_name = (account_name(n) for n in ("alice", "bob", "carol"))
    alice = person(open_chat, server, alice_name, "lobby")
    bob = person(open_chat, server, bob_name, "lobby")
    for chat in (alice, bob):
        expect(chat.page.locator("#direct-section")).to_be_visible()
        expect(chat.page.locator("#direct-rooms")).to_contain_text("Click a name in People")

    # A click on a name in People opens the conversation, named by the other person.
    alice.page.locator("#people .person-open", has_text=bob_name).click()
    expect(alice.title).to_have_text(bob_name)
    expect(direct_button(alice, bob_name)).to_have_attribute("aria-current", "page")
    room = alice.page.evaluate("decodeURIComponent(location.hash.split('/').pop())")
    assert re.fullmatch(r"dm\.[0-9a-f]{16}", room), room
    expect(alice.page.locator("#composer-input")).to_have_attribute(
        "placeholder", f"Message {bob_name}"
    )
    alice.say("hi bob")

    # Bob's page joins it in the background; a direct line counts as unread and as a mention.
    theirs = direct_button(bob, alice_name)
    expect(theirs.locator(".unread")).to_have_text(re.compile(r"^1"))
    expect(theirs.locator(".mention-count")).to_have_text(re.compile(r"^1"))
    expect(bob.page.locator(".rooms-panel")).not_to_contain_text("dm.")
    theirs.click()
    expect(bob.title).to_have_text(alice_name)
    expect(bob.texts).to_have_text(["hi bob"])
    expect(theirs.locator(".unread")).to_have_count(0)
    bob.screenshot("people-direct")

    # /msg NAME TEXT writes in the same conversation.
    bob.room_button("lobby").click()
    bob.type_line(f"/msg {alice_name} hello back")
    expect(bob.title).to_have_text(alice_name)
    expect(bob.texts).to_have_text(["hi bob", "hello back"])
    assert bob.page.evaluate("decodeURIComponent(location.hash.split('/').pop())") == room
    expect(alice.texts).to_have_text(["hi bob", "hello back"])

    # /msg to someone new asks the server for the conversation first, then writes in it.
    carol = person(open_chat, server, carol_name, "lobby")
    carol.type_line(f"/msg {alice_name} are you free?")
    expect(carol.title).to_have_text(alice_name)
    expect(carol.texts).to_have_text(["are you free?"])
    expect(direct_button(alice, carol_name).locator(".unread")).to_have_text(re.compile(r"^1"))
    expect(alice.page.locator("#direct-rooms .room-button")).to_have_count(2)
    # An unknown name is refused with the server's reason.
    carol.type_line("/msg nobodyhere hello?")
    expect(carol.alert).to_contain_text("Could not write to nobodyhere")

    # A reload keeps the conversations, named by their people.
    bob.page.reload()
    bob.wait_connected()
    expect(direct_button(bob, alice_name)).to_have_count(1)
    expect(bob.title).to_have_text(alice_name)

    # Signed out, the page is a guest's: the account's conversations leave it (not the account).
    bob.page.click("#log-out")
    expect(bob.page.locator("#account-form")).to_be_visible()
    bob.wait_connected()
    expect(bob.title).to_have_text("#lobby")
    expect(bob.page.locator("#direct-section")).to_be_hidden()
    expect(bob.alert).to_be_hidden()
    assert room in my_rooms(alice)


def test_blocking_and_unblocking_from_a_persons_menu(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice_name, bob_name = account_name("alice"), account_name("bob")
    alice = person(open_chat, server, alice_name, "lobby")
    bob = person(open_chat, server, bob_name, "lobby")
    guest = open_chat(server, "lobby")
    # A guest (a guest name) has no account to write to or block: no menu for it, nor for
    # oneself; and a guest's own People has plain names.
    expect(bob.people).to_have_count(3)
    expect(bob.page.locator('#people li[data-name^="guest-"]')).to_have_count(1)
    expect(bob.page.locator('#people li[data-name^="guest-"] button')).to_have_count(0)
    expect(bob.page.locator("#people li.me button")).to_have_count(0)
    expect(guest.people).to_have_count(3)
    expect(guest.page.locator("#people button")).to_have_count(0)

    more = bob.page.get_by_role("button", name=f"More for {alice_name}")
    more.click()
    menu = bob.page.get_by_role("menu")
    expect(menu.get_by_role("menuitem")).to_have_text(
        [f"Message {alice_name}", f"Block {alice_name}"]
    )
    expect(menu.get_by_role("menuitem").first).to_be_focused()
    bob.page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem").last).to_be_focused()
    bob.page.keyboard.press("Enter")
    expect(menu).to_be_hidden()
    alice_row = bob.page.locator(f'#people li[data-name="{alice_name}"]')
    expect(alice_row.locator(".blocked-tag")).to_have_text("blocked")

    # A blocked account cannot start a conversation with the blocker.
    alice.type_line(f"/msg {bob_name} hello?")
    expect(alice.alert).to_contain_text(f"Could not write to {bob_name}")
    expect(alice.title).to_have_text("#lobby")

    # Its mentions cause the blocker no Notify: the line is unread, the mention badge stays off.
    bob.type_line("/join quiet")
    expect(bob.title).to_have_text("#quiet")
    alice.say(f"@{bob_name} are you there?")
    carol = person(open_chat, server, account_name("carol"), "lobby")
    carol.say(f"@{bob_name} ping")
    unread, mentions = badges(bob, "lobby")
    expect(unread).to_have_text(re.compile(r"^2"))
    expect(mentions).to_have_text(re.compile(r"^1"))

    # The list of blocks is the account's: a reload shows it too.
    bob.page.reload()
    bob.wait_connected()
    bob.room_button("lobby").click()
    expect(alice_row.locator(".blocked-tag")).to_have_text("blocked")

    # Unblock by keyboard: the menu opens with Enter, Esc closes it and gives the focus back.
    more.focus()
    bob.page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    bob.page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(more).to_be_focused()
    more.click()
    menu.get_by_role("menuitem", name=f"Unblock {alice_name}").click()
    expect(alice_row.locator(".blocked-tag")).to_have_count(0)
    alice.type_line(f"/msg {bob_name} hello again")
    expect(alice.title).to_have_text(bob_name)
    expect(alice.texts).to_have_text(["hello again"])
    expect(direct_button(bob, alice_name)).to_have_count(1)


# -- mentions and notifications ------------------------------------------------------------------


def test_names_complete_with_tab_and_mentions_have_their_own_badge(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice_name, bob_name = account_name("alice"), account_name("bob")
    bob = person(open_chat, server, bob_name, "lobby")
    bea = open_chat(server, "lobby", nick="bea")
    alice = person(open_chat, server, alice_name, "lobby")
    expect(alice.people).to_have_count(3)
    box = alice.page.locator("#composer-input")

    # @b + Tab: the first name (alphabetical) that starts so; Tab again: the next one.
    box.fill("hi @b")
    box.press("Tab")
    expect(box).to_have_value("hi @bea ")
    box.press("Tab")
    expect(box).to_have_value(f"hi @{bob_name} ")
    expect(box).to_be_focused()
    box.press_sequentially("look")
    box.press("Enter")
    expect(alice.texts.last).to_have_text(f"hi @{bob_name} look")
    # Without an @word before the caret Tab moves on, as it always does.
    box.fill("plain words")
    box.press("Tab")
    expect(box).not_to_be_focused()
    box.fill("")

    # The line that names bob with @ is highlighted for him (the server's Mentions say so)...
    expect(line(bob, f"hi @{bob_name} look")).to_have_class(re.compile(r"\bmention\b"))
    expect(line(bea, f"hi @{bob_name} look")).not_to_have_class(re.compile(r"\bmention\b"))
    # ... and a line whose Mentions name someone else is not, though his name is in it.
    alice.say(f"{bob_name}: ask @bea")
    expect(line(bob, f"{bob_name}: ask @bea")).not_to_have_class(re.compile(r"\bmention\b"))
    expect(line(bea, f"{bob_name}: ask @bea")).to_have_class(re.compile(r"\bmention\b"))

    # Elsewhere, a mention has its badge beside the unread one.
    bob.type_line("/join elsewhere")
    expect(bob.title).to_have_text("#elsewhere")
    alice.say("nothing for bob")
    alice.say(f"@{bob_name} over here")
    unread, mentions = badges(bob, "lobby")
    expect(unread).to_have_text(re.compile(r"^2"))
    expect(mentions).to_have_text(re.compile(r"^1 mention"))
    bob.screenshot("people-badges")
    bob.room_button("lobby").click()
    expect(unread).to_have_count(0)
    expect(mentions).to_have_count(0)


def test_desktop_notifications_while_hidden_and_a_click_opens_the_message(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice_name, bob_name = account_name("alice"), account_name("bob")
    bob = person(open_chat, server, bob_name, "lobby", init=(RECORD_NOTIFICATIONS,))
    alice = person(open_chat, server, alice_name, "lobby")
    page = bob.page

    # The page never asks on its own; the button asks.
    section = page.locator("#notifications")
    button = page.get_by_role("button", name="Turn on desktop notifications")
    expect(button).to_be_visible()
    assert page.evaluate("window.__asked") == 0
    page.context.grant_permissions(["notifications"], origin=server.http_url)
    button.click()
    expect(button).to_be_hidden()
    expect(section).to_contain_text("On:")
    assert page.evaluate("window.__asked") == 1

    # While the page is seen, no desktop notification.
    alice.say(f"@{bob_name} are you looking?")
    expect(bob.texts.last).to_have_text(f"@{bob_name} are you looking?")
    assert page.evaluate("window.__notes.length") == 0

    # Hidden: a mention and a direct line each show one, and the tab's title counts them.
    set_hidden(bob, True)
    alice.say(f"@{bob_name} are you there?")
    alice.type_line(f"/msg {bob_name} psst")
    expect(alice.texts).to_have_text(["psst"])
    page.wait_for_function("() => window.__notes.length === 2")
    notes = page.evaluate("window.__notes.map((n) => [n.title, n.body])")
    assert notes == [
        [f"{alice_name} in #lobby", f"@{bob_name} are you there?"],
        [f"{alice_name} (direct)", "psst"],
    ]
    expect(page).to_have_title("(2) roomcast")

    # A click on one opens its room at its message.
    page.evaluate("window.__notes[1].dispatchEvent(new Event('click'))")
    expect(bob.title).to_have_text(alice_name)
    expect(line(bob, "psst")).to_be_focused()
    page.evaluate("window.__notes[0].dispatchEvent(new Event('click'))")
    expect(bob.title).to_have_text("#lobby")
    expect(line(bob, f"@{bob_name} are you there?")).to_be_focused()

    # Seen again: the count goes from the title.
    set_hidden(bob, False)
    expect(page).to_have_title(re.compile(r"#lobby · roomcast$"))


def test_a_page_without_the_permission_shows_no_notification(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice_name, bob_name = account_name("alice"), account_name("bob")
    bob = person(open_chat, server, bob_name, "lobby", init=(RECORD_NOTIFICATIONS,))
    alice = person(open_chat, server, alice_name, "lobby")
    set_hidden(bob, True)
    alice.say(f"@{bob_name} hello")
    expect(bob.page).to_have_title("(1) roomcast")
    assert bob.page.evaluate("[window.__notes.length, window.__asked]") == [0, 0]
