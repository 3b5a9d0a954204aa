"""The full-screen client driven headless by Textual's pilot against a live server."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from rich.cells import cell_len
from textual.pilot import Pilot
from textual.widgets import RichLog, Static, TextArea

from accounts import call, register, signed_in, unique
from accounts import connect as connect_as
from client.support import next_of
from conftest import ServerProcess, free_port
from roomcast.client import Disconnected, Message, Read, connect
from roomcast.terminal.app import READ_PAUSE, ChatApp, closed_for_good
from roomcast.terminal.commands import COMMANDS, offered
from roomcast.terminal.complete import complete
from roomcast.terminal.composer import Composer
from roomcast.terminal.finder import fuzzy
from roomcast.terminal.keys import KEYS
from roomcast.terminal.lines import mentions_me, name_colour, render
from roomcast.terminal.options import ChatOptions


def log_text(app: ChatApp) -> str:
    return "\n".join(strip.text for strip in app.query_one(RichLog).lines)


def flat_text(app: ChatApp) -> str:
    """The log's text with its wrapping undone: every run of white space one space."""
    return " ".join(log_text(app).split())


async def wait_for(pilot: Pilot[int], needle: str) -> None:
    """Let the app run until its message log shows ``needle``."""
    assert isinstance(pilot.app, ChatApp)
    async with asyncio.timeout(10):
        while " ".join(needle.split()) not in flat_text(pilot.app):
            await pilot.pause(0.05)


async def test_send_receive_and_unknown_command(server: ServerProcess) -> None:
    app = ChatApp(ChatOptions(server.http_url, ("lobby",), "alice", color=False, bell=False))
    async with (
        app.run_test(size=(80, 24)) as pilot,
        connect(server.http_url, nick="bob", room="lobby") as bob,
    ):
        await pilot.pause()
        app.query_one(TextArea).text = "hello from alice"
        await pilot.press("enter")
        await wait_for(pilot, "alice: hello from alice")
        await bob.send("hi @alice", room="lobby")
        await wait_for(pilot, "bob: hi @alice")
        app.query_one(TextArea).text = "/frobnicate"
        await pilot.press("enter")
        await wait_for(pilot, "unknown command")
        for typed in ("/join", "/reply x thanks", "/quit now", "/msg bob"):
            app.query_one(TextArea).text = typed
            await pilot.press("enter")
        await wait_for(pilot, "usage: /msg NAME TEXT")
        assert "usage: /join ROOM" in log_text(app)
        assert "(ID is a message" in log_text(app)  # the notice wraps at the log's width
        assert "/quit takes no arguments" in log_text(app)
        app.query_one(TextArea).text = "/me waves"
        await pilot.press("enter")
        await wait_for(pilot, "* alice waves")


def rooms_text(app: ChatApp) -> str:
    return str(app.query_one("#rooms", Static).content)


async def test_rooms_switch_and_count_unread(server: ServerProcess) -> None:
    app = ChatApp(ChatOptions(server.http_url, ("lobby", "den"), "alice", color=False, bell=False))
    async with (
        app.run_test(size=(80, 24)) as pilot,
        connect(server.http_url, nick="bob", room="den") as bob,
    ):
        await pilot.pause()
        await bob.send("in the den", room="den")
        async with asyncio.timeout(10):
            while "den (1)" not in rooms_text(app):
                await pilot.pause(0.05)
        await bob.send("alice: look", room="den")
        await bob.send("and this", room="den")
        async with asyncio.timeout(10):
            while "den (3) @1" not in rooms_text(app):
                await pilot.pause(0.05)
        await pilot.press("ctrl+n")
        await wait_for(pilot, "bob: in the den")
        assert "@" not in rooms_text(app)
        people = str(app.query_one("#people", Static).content)
        assert people.splitlines() == sorted(["alice", "bob"]) or set(people.split()) == {
            "alice",
            "bob",
        }
        assert "den (" not in rooms_text(app)
        await pilot.press("ctrl+p")
        assert app.room == "lobby"


def test_lines_colour_names_stably_and_mark_mentions() -> None:
    assert name_colour("alice") == name_colour("alice")
    line = Message(
        "lobby", 1, "bob", "hey alice 👋 שלום", "w", datetime(2026, 1, 1, 9, 5, tzinfo=UTC)
    )
    assert mentions_me(line, "Alice")
    assert not mentions_me(line, "carol")
    plain = render(line, "alice", color=False)
    assert plain.plain == "09:05 #1 bob: hey alice 👋 שלום"
    assert not plain.spans


async def test_offline_typing_is_sent_once_after_a_restart(server: ServerProcess) -> None:
    app = ChatApp(ChatOptions(server.ws_url, ("p",), "alice", color=False, bell=False))
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one(TextArea).text = "before"
        await pilot.press("enter")
        await wait_for(pilot, "alice: before")
        server.stop()
        await wait_for(pilot, "offline")
        app.query_one(TextArea).text = "while away"
        await pilot.press("enter")
        server.start()
        await wait_for(pilot, "alice: while away")
        await wait_for(pilot, "back online")
        await pilot.pause(0.2)
        assert log_text(app).count("alice: while away") == 1
    assert [m.text for m in app.messages["p"]] == ["before", "while away"]


def test_a_mention_is_highlighted_and_replies_quote_their_line() -> None:
    when = datetime(2026, 1, 1, 9, 5, tzinfo=UTC)
    first = Message("lobby", 1, "carol", "the plan", "w", when)
    answer = Message("lobby", 2, "bob", "alice: agreed", "w", when, reply_to=1)
    coloured = render(answer, "alice", color=True, quoted=first)
    assert coloured.plain == "  ┆ carol: the plan\n09:05 #2 bob: alice: agreed"
    assert any(str(span.style) == "on dark_red" for span in coloured.spans)
    assert not any("dark_red" in str(s.style) for s in render(first, "alice", color=True).spans)


async def test_no_server_ends_with_a_message_and_code_1() -> None:
    app = ChatApp(ChatOptions(f"ws://127.0.0.1:{free_port()}/ws", ("p",), "a", bell=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
    assert app.return_code == 1


async def test_page_up_scrolls_then_loads_older_history_until_the_start(
    server: ServerProcess,
) -> None:
    async with connect(server.http_url, nick="bob", room="old") as bob:
        for n in range(120):
            await bob.send(f"line {n:03}", room="old")
    app = ChatApp(ChatOptions(server.http_url, ("old",), "alice", color=False, bell=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, "bob: line 119")
        log = app.query_one(RichLog)
        assert "line 000" not in log_text(app)
        while log.scroll_y > 0:
            await pilot.press("pageup")
        top = log.lines[0].text
        await pilot.press("pageup")
        async with asyncio.timeout(10):
            while len(app.messages["old"]) == 0 or app.messages["old"][0].text != "line 000":
                await pilot.press("pageup")
                await pilot.pause(0.05)
        await wait_for(pilot, "the start of old")
        assert [m.text for m in app.messages["old"]] == [f"line {n:03}" for n in range(120)]
        await pilot.pause()
        assert log.lines[0].text == "* the start of old"
        assert top in log_text(app)
        log.scroll_to(y=0, animate=False, immediate=True)
        await pilot.press("pageup")
        await pilot.pause()
        assert len(app.messages["old"]) == 120
        await pilot.press("pagedown")
        await pilot.pause()
        assert log.scroll_y > 0


async def test_older_page_keeps_the_view_on_the_same_line(server: ServerProcess) -> None:
    async with connect(server.http_url, nick="bob", room="keep") as bob:
        for n in range(120):
            await bob.send(f"line {n:03}", room="keep")
    app = ChatApp(ChatOptions(server.http_url, ("keep",), "alice", color=False, bell=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, "bob: line 119")
        log = app.query_one(RichLog)
        while log.scroll_y > 0:
            await pilot.press("pageup")
        top = log.lines[0].text
        known = len(app.messages["keep"])
        await pilot.press("pageup")
        async with asyncio.timeout(10):
            while len(app.messages["keep"]) == known:
                await pilot.pause(0.05)
        # The view is put back after the redraw's refresh: a loaded machine may take a few.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                while log.lines[round(log.scroll_y)].text != top:
                    await pilot.pause(0.05)
        assert log.lines[round(log.scroll_y)].text == top
        assert len(app.messages["keep"]) > known


async def test_composer_enter_sends_and_shift_alt_enter_insert_lines(
    server: ServerProcess,
) -> None:
    app = ChatApp(ChatOptions(server.http_url, ("multi",), "alice", color=False, bell=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("o", "n", "e", "shift+enter", "t", "w", "o", "alt+enter", "3")
        await pilot.press("ctrl+j", "4")
        assert app.query_one(TextArea).text == "one\ntwo\n3\n4"
        await pilot.press("enter")
        async with asyncio.timeout(10):
            while not app.messages["multi"]:
                await pilot.pause(0.05)
        assert app.messages["multi"][0].text == "one\ntwo\n3\n4"
        assert app.query_one(TextArea).text == ""


async def test_up_edits_the_last_line_and_others_changes_show_live(server: ServerProcess) -> None:
    app = ChatApp(ChatOptions(server.http_url, ("ed",), "alice", color=False, bell=False))
    async with (
        app.run_test(size=(80, 24)) as pilot,
        connect(server.http_url, nick="bob", room="ed") as bob,
    ):
        await pilot.pause()
        await pilot.press("up")
        await wait_for(pilot, "nothing of yours in ed to edit")
        composer = app.query_one(Composer)
        composer.text = "frist"
        await pilot.press("enter")
        await wait_for(pilot, "alice: frist")
        await pilot.press("up")
        assert composer.text == "frist"
        assert composer.editing is not None
        await pilot.press("escape")
        assert composer.text == ""
        assert composer.editing is None
        await pilot.press("up")
        composer.text = "first"
        await pilot.press("enter")
        await wait_for(pilot, "alice: first (edited)")
        assert "frist" not in log_text(app)
        mine = app.messages["ed"][0].id
        theirs = await bob.send("typo", room="ed")
        await wait_for(pilot, "bob: typo")
        await bob.edit("ed", theirs, "fixed")
        await wait_for(pilot, "bob: fixed (edited)")
        await bob.react("ed", mine, "👍")
        await wait_for(pilot, "[👍 1]")
        await bob.react("ed", mine, "👍", remove=True)
        async with asyncio.timeout(10):
            while "[👍 1]" in log_text(app):
                await pilot.pause(0.05)
        await bob.delete("ed", theirs)
        await wait_for(pilot, "bob: (deleted)")
        theirs_again = await bob.send("not yours", room="ed")
        await wait_for(pilot, "bob: not yours")
        composer.editing = theirs_again
        composer.text = "hijack"
        await pilot.press("enter")
        await wait_for(pilot, "* forbidden: only its author may edit a message")
        assert "hijack" not in log_text(app)
        assert "bob: (deleted)\n" in log_text(app) + "\n"


async def test_tab_completes_names_and_commands(server: ServerProcess) -> None:
    app = ChatApp(ChatOptions(server.http_url, ("tabs",), "alice", color=False, bell=False))
    async with (
        app.run_test(size=(80, 24)) as pilot,
        connect(server.http_url, nick="bobby", room="tabs"),
    ):
        composer = app.query_one(Composer)
        async with asyncio.timeout(10):
            while "bobby" not in composer.names:
                await pilot.pause(0.05)
        await pilot.press("/", "j", "o", "tab")
        assert composer.text == "/join "
        composer.text = ""
        await pilot.press("h", "i", "space", "b", "o", "tab")
        assert composer.text == "hi bobby "
        composer.text = ""
        await pilot.press("/", "r", "e", "tab")
        assert composer.text == "/re"
        await pilot.press("tab")
        assert composer.text == "/re"


def test_complete_extends_to_the_common_part() -> None:
    assert complete("re", ["react", "reply", "join"]) == ("re", ["react", "reply"])
    assert complete("Al", ["alice", "alina"]) == ("ali", ["alice", "alina"])
    assert complete("x", ["alice"]) == ("x", [])
    assert fuzzy("lby", "lobby")
    assert not fuzzy("ybl", "lobby")


async def test_ctrl_k_finds_a_joined_room_or_joins_a_new_one(server: ServerProcess) -> None:
    app = ChatApp(
        ChatOptions(server.http_url, ("lobby", "den", "garden"), "alice", color=False, bell=False)
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+k", "g", "r", "d", "enter")
        await pilot.pause()
        assert app.room == "garden"
        await pilot.press("ctrl+k", "escape")
        await pilot.pause()
        assert app.room == "garden"
        await pilot.press("ctrl+k", "e", "down", "enter")
        await pilot.pause()
        assert app.room == "garden"
        await pilot.press("ctrl+k", "e", "down", "up", "enter")
        await pilot.pause()
        assert app.room == "den"
        await pilot.press("ctrl+k", *"attic", "enter")
        async with asyncio.timeout(10):
            while app.room != "attic":
                await pilot.pause(0.05)
        assert app.chat is not None
        assert "attic" in app.chat.rooms


async def test_f1_and_help_list_every_key_and_command(server: ServerProcess) -> None:
    app = ChatApp(ChatOptions(server.http_url, ("h",), "alice", color=False, bell=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await wait_for(pilot, "F1: this list")
        shown = log_text(app)
        assert all(key in shown for key, _ in KEYS)
        assert all(f"/{name}" in shown for name in offered("none"))
        assert "/kick" not in shown
        assert "kick" in COMMANDS


async def test_moderation_is_offered_by_role_and_search_shows_room_author_text(
    server: ServerProcess,
) -> None:
    room = unique("mod")
    owner = await register(server.http_url, unique("own"))
    reply = await call("POST", f"{server.http_url}/api/tokens", body={}, cookie=owner.cookie)
    token = reply.json()["token"]
    async with await connect_as(server.ws_url, person=owner, room="lobby") as creator:
        await creator.send({"Type": "Create", "Room": room})
        await creator.expect("Room", lambda f: f["Room"] == room)
    guest = ChatApp(ChatOptions(server.http_url, (room,), "gus", color=False, bell=False))
    async with guest.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        guest.query_one(TextArea).text = "/kick bob"
        await pilot.press("enter")
        await wait_for(pilot, "/kick needs a moderator's role in")
        assert "/kick" not in guest.query_one(Composer).commands
    url = f"{server.ws_url}?token={token}"
    app = ChatApp(ChatOptions(url, (room,), owner.name, color=False, bell=False))
    async with (
        app.run_test(size=(80, 24)) as pilot,
        connect(server.http_url, nick="bob", room=room) as bob,
    ):
        async with asyncio.timeout(10):
            while app.rooms_info.get(room) is None or app.rooms_info[room].role != "owner":
                await pilot.pause(0.05)
        assert "kick" in app.query_one(Composer).commands
        app.query_one(TextArea).text = "/topic plans for today"
        await pilot.press("enter")
        await wait_for(pilot, f"topic of {room}: plans for today")
        await bob.send("a needle in the hay", room=room)
        await wait_for(pilot, "bob: a needle in the hay")
        app.query_one(TextArea).text = "/search needle"
        await pilot.press("enter")
        await wait_for(pilot, f"{room} #")
        assert "bob: a needle in the hay" in flat_text(app).split("found for")[-1]
        app.query_one(TextArea).text = "/mute bob 10m"
        await pilot.press("enter")
        await wait_for(pilot, f"mute: bob in {room} for 600 s")
        sanctions = await call(
            "GET", f"{server.http_url}/api/rooms/{room}/sanctions", cookie=owner.cookie
        )
        muted = [s for s in sanctions.json()["sanctions"] if s["kind"] == "mute"]
        assert [(s["name"], s["until"] is not None) for s in muted] == [("bob", True)]
        app.query_one(TextArea).text = "/unmute bob"
        await pilot.press("enter")
        await wait_for(pilot, f"unmute: bob in {room}")
        sanctions = await call(
            "GET", f"{server.http_url}/api/rooms/{room}/sanctions", cookie=owner.cookie
        )
        assert [s for s in sanctions.json()["sanctions"] if s["kind"] == "mute"] == []
        app.query_one(TextArea).text = "/ban nosuchperson"
        await pilot.press("enter")
        app.query_one(TextArea).text = "/kick bob being rude"
        await pilot.press("enter")
        await wait_for(pilot, f"kick: bob in {room}")
        assert "not_found: nobody called 'nosuchperson' is here" in flat_text(app)


async def test_own_notices_stay_through_a_redraw_and_react_defaults_to_the_latest_line(
    server: ServerProcess,
) -> None:
    room = unique("notes")
    app = ChatApp(ChatOptions(server.http_url, (room,), "alice", color=False, bell=False))
    async with (
        app.run_test(size=(80, 24)) as pilot,
        connect(server.http_url, nick="bob", room=room) as bob,
    ):
        await pilot.pause()
        first = await bob.send("first line", room=room)
        await wait_for(pilot, f"#{first} bob: first line")
        app.query_one(TextArea).text = "/msg bob psst"
        await pilot.press("enter")
        await wait_for(pilot, "login_required")
        latest = await bob.send("latest line", room=room)
        await wait_for(pilot, f"#{latest} bob: latest line")
        app.query_one(TextArea).text = "/react 👍"
        await pilot.press("enter")
        await wait_for(pilot, "bob: latest line [👍 1]")  # the reaction redraws the log
        shown = flat_text(app)
        assert "bob: first line [" not in shown
        assert shown.index("first line") < shown.index("login_required") < shown.index("latest")


async def test_the_persons_rooms_and_read_state_follow_it_across_devices(
    server: ServerProcess,
) -> None:
    url = await signed_in(server, unique("reader"))
    shown, other = unique("shown"), unique("other")
    async with connect(url, room=shown) as phone:
        await phone.join(other)
        async with connect(server.http_url, nick="bob", room=other) as bob:
            await bob.join(shown)
            await bob.send("seen before", room=other)  # backlog for the terminal: not news
            app = ChatApp(ChatOptions(url, (shown,), "", color=False, bell=False))
            async with app.run_test(size=(80, 24)) as pilot:
                # Only `shown` was asked for; `other` comes from the person's rooms, counted
                # as the server counts it (the phone never read "seen before").
                async with asyncio.timeout(10):
                    while f"{other} (1)" not in rooms_text(app):
                        await pilot.pause(0.05)
                assert app.chat is not None
                assert other in app.chat.rooms
                assert app.room == shown
                late = await bob.send("while the terminal is open", room=other)
                async with asyncio.timeout(10):
                    while f"{other} (2)" not in rooms_text(app):
                        await pilot.pause(0.05)
                phone.read(other, late)  # read on the phone: cleared on the terminal
                async with asyncio.timeout(10):
                    while f"{other} (" in rooms_text(app):
                        await pilot.pause(0.05)
                line = await bob.send("read on the terminal", room=shown)
                await wait_for(pilot, "bob: read on the terminal")
                assert await next_of(phone, Read, lambda r: r.room == shown) == Read(shown, line)


async def test_a_direct_conversation_is_listed_by_its_people_and_long_names_are_cut(
    server: ServerProcess,
) -> None:
    me, friend = unique("me"), unique("friend")
    url, friend_url = await signed_in(server, me), await signed_in(server, friend)
    long_room = "a-very-long-room-name-indeed"
    app = ChatApp(ChatOptions(url, ("lobby", long_room), "", color=False, bell=False))
    async with (
        app.run_test(size=(80, 24)) as pilot,
        connect(friend_url, room="lobby") as other,
    ):
        await pilot.pause()
        direct = await other.direct(me)  # the same room /msg opens: the friend is in it
        app.query_one(TextArea).text = f"/msg {friend} hello in private"
        await pilot.press("enter")
        async with asyncio.timeout(10):
            while f"@{friend}" not in rooms_text(app):
                await pilot.pause(0.05)
        message = await next_of(other, Message, lambda m: m.text == "hello in private")
        assert message.room == direct
        assert direct not in rooms_text(app)
        rows = rooms_text(app).splitlines()
        assert all(cell_len(row) <= 17 for row in rows), rows
        assert "  a-very-long-ro…" in rows
        assert f"  @{friend}" in rows  # one's own line in it is not unread


async def test_a_resized_terminal_wraps_the_log_again_at_its_new_width(
    server: ServerProcess,
) -> None:
    room = unique("wide")
    text = "a line that is long enough to wrap in a narrow log, and in a wider one too, twice"
    app = ChatApp(ChatOptions(server.http_url, (room,), "alice", color=False, bell=False))
    async with (
        app.run_test(size=(110, 24)) as pilot,
        connect(server.http_url, nick="bob", room=room) as bob,
    ):
        await bob.send(text, room=room)
        await wait_for(pilot, text)
        log = app.query_one(RichLog)
        assert max(len(row.rstrip()) for row in log_text(app).splitlines()) > 46
        await pilot.resize_terminal(80, 24)  # the log becomes 46 cells wide
        async with asyncio.timeout(10):
            while max(len(row.rstrip()) for row in log_text(app).splitlines()) > 46:
                await pilot.pause(0.05)
        assert log.size.width == 46
        assert text in flat_text(app), "wrapped again, not cut"


async def test_a_revoked_token_ends_the_client_with_a_message_not_a_reconnect_loop(
    server: ServerProcess,
) -> None:
    person = await register(server.http_url, unique("gone"))
    made = await call("POST", f"{server.http_url}/api/tokens", body={}, cookie=person.cookie)
    token = made.json()
    app = ChatApp(
        ChatOptions(f"{server.ws_url}?token={token['token']}", ("p",), "", bell=False, color=False)
    )
    async with app.run_test(size=(80, 24)) as pilot:
        async with asyncio.timeout(10):
            while app.chat is None or not app.chat.connected:
                await pilot.pause(0.05)
        revoked = await call(
            "DELETE", f"{server.http_url}/api/tokens/{token['id']}", cookie=person.cookie
        )
        assert revoked.status in (200, 204), revoked.body
        async with asyncio.timeout(10):
            while app.is_running:
                await pilot.pause(0.05)
    assert app.return_code == 1
    assert app.chat is not None
    assert app.chat.connected is False


def test_the_end_message_says_why_and_what_to_do() -> None:
    assert closed_for_good(Disconnected(4003, "token revoked", False)) == (
        "the server closed the connection for good (4003: token revoked); sign in again "
        "(--login NAME)"
    )
    assert closed_for_good(Disconnected(1008, "", False)) == (
        "the server closed the connection for good (1008)"
    )


async def test_a_line_that_arrives_just_before_the_client_closes_leaves_no_error(
    server: ServerProcess,
) -> None:
    """The shown room's read marker goes out READ_PAUSE after a line arrives; a client closed in
    that pause (the app quitting, or the server closing it for good) sends nothing and raises
    nothing."""
    app = ChatApp(ChatOptions(server.http_url, ("late",), "alice", color=False, bell=False))
    async with (
        app.run_test(size=(80, 24)) as pilot,
        connect(server.http_url, nick="bob", room="late") as bob,
    ):
        await pilot.pause()
        await bob.send("just in time", room="late")
        await wait_for(pilot, "bob: just in time")
        assert app.chat is not None
        await app.chat.aclose()
        assert app.chat.closed
        await pilot.pause(READ_PAUSE + 0.3)
        assert app.is_running
        # What the person does next is refused in the log, and the app stays up.
        composer = app.query_one(Composer)
        composer.text = "/join elsewhere"
        await pilot.press("enter")
        await wait_for(pilot, "not done, the connection is closed: /join elsewhere")
        composer.editing = app.messages["late"][-1].id
        composer.text = "too late to edit"
        await pilot.press("enter")
        await wait_for(pilot, "the client is closed")
        assert app.is_running
