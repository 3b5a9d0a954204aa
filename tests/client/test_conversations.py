"""The conversation calls of the client library against a live server: replies and threads,
edits and their versions, deletions, reactions and typing, each made by one client and seen by
another; what a moderator and a mute change; changes made while a client was away, replayed
when it resumes; and changes whose answers were lost in a crash, applied once."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

import pytest

from accounts import call, register
from accounts import connect as connect_raw
from client.support import AnswerCutter, arrived, next_of
from conftest import ServerProcess
from roomcast.client import (
    ChatError,
    Connected,
    Deleted,
    Disconnected,
    Edited,
    Event,
    Joined,
    Message,
    Reaction,
    ReactionSummary,
    Typing,
    Users,
    connect,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def refused(request: Awaitable[Any]) -> str:
    """The code of the ``ChatError`` that ``request`` raises."""
    with pytest.raises(ChatError) as raised:
        await request
    return raised.value.code


async def applied(change: Awaitable[int | None]) -> int:
    """The ID of the event ``change`` made (it must make one)."""
    event_id = await change
    assert event_id is not None
    return event_id


def timeless(event: Event) -> Event:
    """``event`` with the time the server gave it set aside, to compare the rest."""
    if isinstance(event, Edited | Message):
        return dataclasses.replace(event, time=EPOCH)
    return event


async def test_replies_and_threads(server: ServerProcess) -> None:
    async with (
        connect(server.ws_url, nick="alice", room="t") as alice,
        connect(server.ws_url, nick="bob", room="t") as bob,
    ):
        await next_of(bob, Joined)
        root = await alice.send("what shall we build?")
        reply = await bob.send("a chat server", "t", reply_to=root, thread=root)
        seen = await next_of(alice, Message, lambda m: m.id == reply)
        assert (seen.author, seen.text, seen.reply_to, seen.thread) == (
            "bob",
            "a chat server",
            root,
            root,
        )
        aside = await alice.send("off topic", reply_to=reply)
        seen = await next_of(bob, Message, lambda m: m.id == aside)
        assert (seen.reply_to, seen.thread) == (reply, None)

        page = await bob.thread("t", root)
        assert [(m.id, m.text) for m in page.messages] == [
            (root, "what shall we build?"),
            (reply, "a chat server"),
        ]
        assert (page.room, page.thread, page.more) == ("t", root, False)
        assert page.messages[0].replies == 1
        newest = await bob.thread("t", root, limit=1)
        assert ([m.id for m in newest.messages], newest.more) == ([reply], True)
        older = await bob.thread("t", root, before=newest.next_before, limit=1)
        assert ([m.id for m in older.messages], older.more) == ([root], False)
        history = await bob.history("t")
        assert [(m.id, m.reply_to, m.thread, m.replies) for m in history.messages] == [
            (root, None, None, 1),
            (reply, root, root, 0),
            (aside, reply, None, 0),
        ]

        assert await refused(bob.send("a thread in a thread", thread=reply)) == "bad_field"
        assert await refused(bob.send("to nothing", reply_to=999)) == "not_found"
        assert await refused(bob.send("to no thread", thread=999)) == "not_found"


async def test_edits_and_their_versions(server: ServerProcess) -> None:
    async with (
        connect(server.ws_url, nick="alice", room="e") as alice,
        connect(server.ws_url, nick="bob", room="e") as bob,
    ):
        await next_of(bob, Joined)
        line = await alice.send("helo")
        first = await applied(alice.edit("e", line, "hello"))
        edited = await next_of(bob, Edited)
        assert edited == Edited("e", first, line, "hello", "alice", edited.time)
        assert await alice.edit("e", line, "hello") is None  # the same text: no event
        assert await refused(bob.edit("e", line, "mine now")) == "forbidden"
        assert await refused(alice.edit("e", 999, "nothing there")) == "not_found"
        second = await applied(alice.edit("e", line, "hello!"))
        assert (await next_of(bob, Edited)).id == second  # the unchanged edit sent nothing
        assert bob.last_id("e") == second

        versions = await bob.edits("e", line)
        assert (versions.room, versions.target) == ("e", line)
        assert [v.text for v in versions.versions] == ["helo", "hello", "hello!"]
        times = [v.time for v in versions.versions]
        assert times == sorted(times)
        (message,) = (await bob.history("e")).messages
        assert message.text == "hello!"
        assert message.edited == times[-1]


async def test_deletions(server: ServerProcess) -> None:
    async with (
        connect(server.ws_url, nick="alice", room="d") as alice,
        connect(server.ws_url, nick="bob", room="d") as bob,
    ):
        await next_of(bob, Joined)
        keep, gone = await alice.send("keep"), await alice.send("oops")
        assert await refused(bob.delete("d", gone)) == "forbidden"
        deletion = await alice.delete("d", gone)
        assert await next_of(bob, Deleted) == Deleted("d", deletion, gone, "alice")
        assert bob.last_id("d") == deletion
        assert [m.id for m in (await bob.history("d")).messages] == [keep]
        assert await refused(alice.delete("d", gone)) == "not_found"
        assert await refused(alice.edit("d", gone, "undo")) == "not_found"
        assert await refused(bob.react("d", gone, "👍")) == "not_found"
        assert await refused(bob.send("about that", reply_to=gone)) == "not_found"


async def test_reactions(server: ServerProcess) -> None:
    async with (
        connect(server.ws_url, nick="alice", room="r") as alice,
        connect(server.ws_url, nick="bob", room="r") as bob,
    ):
        await next_of(bob, Joined)
        line = await alice.send("ship it?")
        await next_of(alice, Message, lambda m: m.id == line)
        thumbs = await applied(bob.react("r", line, "👍"))
        assert await bob.react("r", line, "👍") is None  # had it already
        tada = await applied(bob.react("r", line, ":tada:"))
        mine = await applied(alice.react("r", line, "👍"))
        assert (await bob.history("r")).messages[0].reactions == (
            ReactionSummary("👍", 2, ("bob", "alice")),
            ReactionSummary(":tada:", 1, ("bob",)),
        )
        taken_back = await applied(bob.react("r", line, "👍", remove=True))
        assert await bob.react("r", line, "👍", remove=True) is None  # had it no more
        assert await alice.react("r", line, "👍🏽", remove=True) is None  # never had it
        seen = [e for e in await arrived(alice) if isinstance(e, Reaction)]
        assert seen == [  # the changes that changed nothing were not sent
            Reaction("r", thumbs, line, "👍", "bob", False),
            Reaction("r", tada, line, ":tada:", "bob", False),
            Reaction("r", mine, line, "👍", "alice", False),
            Reaction("r", taken_back, line, "👍", "bob", True),
        ]
        assert (await alice.history("r")).messages[0].reactions == (
            ReactionSummary("👍", 1, ("alice",)),
            ReactionSummary(":tada:", 1, ("bob",)),
        )

        crowded = await alice.send("react to me")
        for i in range(20):
            await applied(bob.react("r", crowded, f":e{i}:"))
        assert await refused(bob.react("r", crowded, ":one_too_many:")) == "too_many"
        assert await refused(bob.react("r", crowded, "two words")) == "bad_field"


async def test_typing(server: ServerProcess) -> None:
    async with (
        connect(server.ws_url, nick="alice", room="ty") as alice,
        connect(server.ws_url, nick="bob", room="ty") as bob,
    ):
        await next_of(bob, Joined)
        await next_of(alice, Joined)
        before = alice.last_id("ty")
        bob.typing("ty")
        assert await next_of(alice, Typing) == Typing("ty", ("bob",))
        bob.typing("ty", stop=True)
        assert await next_of(alice, Typing) == Typing("ty", ())
        bob.typing("ty")
        assert await next_of(alice, Typing) == Typing("ty", ("bob",))
        line = await bob.send("done typing")  # a line ends one's typing too
        seen: list[Event] = []
        async with asyncio.timeout(5):
            while Typing("ty", ()) not in seen or alice.last_id("ty") < line:
                seen.append(await alice.next_event())
        assert not [e for e in await arrived(bob) if isinstance(e, Typing)]  # never about oneself
        assert before == 0
        assert alice.last_id("ty") == line == 1  # only the line took an ID


async def test_a_moderator_deletes_any_line_and_a_mute_stops_changes(
    server_factory: Any,
) -> None:
    server = server_factory("--userlist-interval", "0.02", "--admins", "boss")
    boss = await register(server.http_url, "boss")
    made = await call("POST", f"{server.http_url}/api/tokens", body={}, cookie=boss.cookie)
    token = made.json()["token"]
    signed_in = f"{server.ws_url}?token={token}"
    async with (
        connect(signed_in, room="m") as moderator,
        connect(server.ws_url, nick="bob", room="m") as bob,
    ):
        await next_of(bob, Joined)
        await next_of(moderator, Joined)
        spam, fine = await bob.send("spam"), await bob.send("fine")
        deletion = await moderator.delete("m", spam)
        assert await next_of(bob, Deleted) == Deleted("m", deletion, spam, "boss")
        assert await refused(moderator.edit("m", fine, "moderated")) == "forbidden"

        async with await connect_raw(server.ws_url, token=token, room="m") as raw:
            await raw.send({"Type": "Mute", "Room": "m", "Name": "bob", "Duration": 600})
            await raw.expect("Moderated", lambda f: f["Action"] == "mute")
        await asyncio.sleep(0.2)  # the mute is recorded by the node holding bob
        assert await refused(bob.edit("m", fine, "fine!")) == "muted"
        assert await refused(bob.react("m", fine, "👍")) == "muted"
        bob.typing("m")
        await asyncio.sleep(1.2)  # typing news goes out at most once a second
        assert not [e for e in await arrived(moderator) if isinstance(e, Typing)]


async def test_resume_replays_the_changes_made_while_away(server: ServerProcess) -> None:
    # The watcher waits 2-4 s before reconnecting; the actor is back at once and acts meanwhile.
    async with (
        connect(
            server.ws_url, nick="watcher", room="w", reconnect_delay=4.0, max_reconnect_delay=4.0
        ) as watcher,
        connect(
            server.ws_url, nick="actor", room="w", reconnect_delay=0.1, max_reconnect_delay=0.2
        ) as actor,
    ):
        await next_of(watcher, Joined)
        lines = [await actor.send(f"line {i}") for i in range(3)]
        await actor.react("w", lines[0], "👍")
        await next_of(watcher, Reaction)
        server.kill()
        server.start()
        await next_of(actor, Connected, lambda c: c.resumed, timeout=15)
        edit = await applied(actor.edit("w", lines[0], "line 0, edited"))
        purged = await applied(actor.edit("w", lines[1], "soon gone"))
        deletion = await actor.delete("w", lines[1])
        reaction = await applied(actor.react("w", lines[2], "🎉"))
        unreaction = await applied(actor.react("w", lines[0], "👍", remove=True))
        later = await actor.send("line 3", reply_to=lines[2])
        short_lived = await actor.send("line 4")
        second_deletion = await actor.delete("w", short_lived)
        assert not watcher.connected  # all of it happened while the watcher was away

        events: list[Event] = []
        async with asyncio.timeout(15):
            while not events or getattr(events[-1], "id", None) != second_deletion:
                events.append(await watcher.next_event())
        coming_back = [e for e in events if isinstance(e, Disconnected | Connected | Joined)]
        assert [type(e) for e in coming_back] == [Disconnected, Connected, Joined]
        content = [e for e in events if isinstance(e, Message | Edited | Deleted | Reaction)]
        assert events.index(coming_back[-1]) < events.index(content[0])
        assert actor.wsid is not None
        assert [timeless(e) for e in content] == [
            Edited("w", edit, lines[0], "line 0, edited", "actor", EPOCH),
            Edited("w", purged, lines[1], "", "actor", EPOCH),  # its line is deleted: text purged
            Deleted("w", deletion, lines[1], "actor"),
            Reaction("w", reaction, lines[2], "🎉", "actor", False),
            Reaction("w", unreaction, lines[0], "👍", "actor", True),
            Message("w", later, "actor", "line 3", actor.wsid, EPOCH, reply_to=lines[2]),
            Deleted("w", second_deletion, short_lived, "actor"),  # its line is left out
        ]
        assert not [e for e in await arrived(watcher) if not isinstance(e, Users)]  # none twice


async def test_changes_whose_answers_were_lost_in_a_crash_are_applied_once(
    server: ServerProcess,
) -> None:
    # The changes reach the server and are stored; their Acks are lost with the connection and
    # the server is killed. The client re-sends every one with its Ref after the restart.
    async with (
        AnswerCutter(server.port) as proxy,
        connect(server.ws_url, nick="watcher", room="c", reconnect_delay=0.2) as watcher,
        connect(proxy.ws_url, nick="busy", room="c", reconnect_delay=0.2) as chat,
    ):
        edited, reacted, deleted = [await chat.send(f"line {i}") for i in range(3)]
        await next_of(watcher, Message, lambda m: m.id == deleted)
        proxy.hold()
        changes = [
            *(applied(chat.edit("c", edited, f"v{i}")) for i in range(20)),
            *(applied(chat.react("c", reacted, f":r{i}:")) for i in range(10)),
            chat.delete("c", deleted),
        ]
        in_flight = [asyncio.create_task(change) for change in changes]
        await next_of(watcher, Deleted)  # the last change is stored
        assert not any(task.done() for task in in_flight)  # and no answer came through
        server.kill()
        proxy.cut()
        server.start()
        ids = await asyncio.wait_for(asyncio.gather(*in_flight), 20)
        # The deletion returned an ID: its re-sent frame did not meet a line already gone.
        assert ids == list(range(4, 4 + 31))  # each stored once, in order, no ID left over
        versions = await chat.edits("c", edited)
        assert [v.text for v in versions.versions] == ["line 0"] + [f"v{i}" for i in range(20)]
        page = await chat.history("c")
        assert [m.id for m in page.messages] == [edited, reacted]
        assert page.messages[1].reactions == tuple(
            ReactionSummary(f":r{i}:", 1, ("busy",)) for i in range(10)
        )
