"""Acks once stored, idempotent re-sends by Ref, and sessions that survive a reconnect."""

from __future__ import annotations

from conftest import ServerProcess
from helpers import unb64

from .support import ChatClient, Names, http


async def stored_texts(server: ServerProcess, room: str) -> list[tuple[int, str]]:
    """(id, text) of every stored message of ``room``, oldest first, read over REST."""
    result = await http("GET", f"{server.http_url}/api/rooms/{room}/messages?limit=200")
    assert result.status == 200, result.body
    return [(m["id"], m["text"]) for m in reversed(result.json()["messages"])]


async def test_ack_carries_ref_and_id_once_stored(live: ServerProcess, names: Names) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as client:
        await client.say("with a string ref", Ref="abc-1")
        ack = await client.expect("Ack")
        chat = await client.expect("Chat")
        assert ack == {"Type": "Ack", "Ref": "abc-1", "ID": chat["ID"], "Room": room}
        # Acked means stored: the message is in history right away.
        assert (ack["ID"], "with a string ref") in await stored_texts(live, room)
        await client.say("with an integer ref", Ref=42)
        ack = await client.expect("Ack")
        assert (ack["Ref"], ack["ID"]) == (42, chat["ID"] + 1)
        # No Ref, no Ack.
        await client.say("no ref")
        await client.expect("Chat", lambda f: unb64(f["Message"]) == "no ref")
        await client.barrier()
        assert client.unclaimed("Ack") == []


async def test_acks_of_pipelined_lines_come_in_order(live: ServerProcess, names: Names) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as client:
        for i in range(100):
            await client.say(f"line {i}", Ref=f"r{i}")
        acks = [await client.expect("Ack") for _ in range(100)]
        assert [a["Ref"] for a in acks] == [f"r{i}" for i in range(100)]
        assert [a["ID"] for a in acks] == list(range(1, 101))


async def test_same_ref_on_the_same_connection_is_stored_once(
    live: ServerProcess, names: Names
) -> None:
    room = names.room()
    async with (
        await ChatClient.open(live.ws_url, room=room) as client,
        await ChatClient.open(live.ws_url, room=room) as watcher,
    ):
        await client.say("only once", Ref="dup")
        first = await client.expect("Ack")
        await client.say("only once", Ref="dup")
        again = await client.expect("Ack")
        assert again == first
        await client.say("after", Ref="next")
        after = await client.expect("Ack")
        assert after["ID"] == first["ID"] + 1
        chats = await watcher.chats(2)
        assert [unb64(c["Message"]) for c in chats] == ["only once", "after"]
        await watcher.barrier()
        assert watcher.unclaimed("Chat") == []
        assert await stored_texts(live, room) == [(1, "only once"), (2, "after")]


async def test_string_and_integer_refs_are_different(live: ServerProcess, names: Names) -> None:
    async with await ChatClient.open(live.ws_url, room=names.room()) as client:
        await client.say("int", Ref=5)
        await client.say("str", Ref="5")
        acks = [await client.expect("Ack") for _ in range(2)]
        assert [(a["Ref"], a["ID"]) for a in acks] == [(5, 1), ("5", 2)]


async def test_resent_ref_after_reconnect_gets_the_original_ack(
    live: ServerProcess, names: Names
) -> None:
    room = names.room()
    nick = names.nick("resender")
    async with await ChatClient.open(live.ws_url, room=room) as watcher:
        first = await ChatClient.open(live.ws_url, room=room, nick=nick)
        session = first.status["Session"]
        assert isinstance(session, str)
        assert session
        await first.say("sent before the network dropped", Ref="m-1")
        original = await first.expect("Ack")
        first.ws.transport.abort()  # the Ack was "lost": the client re-sends after reconnecting
        await watcher.expect("userlist", lambda f: nick not in {u["Name"] for u in f["Users"]})

        second = await ChatClient.open(live.ws_url, room=room, session=session)
        assert second.nick == nick  # the session keeps its nickname
        await second.say("sent before the network dropped", Ref="m-1")
        assert await second.expect("Ack") == original
        await second.say("new line", Ref="m-2")
        fresh = await second.expect("Ack")
        assert fresh["ID"] == original["ID"] + 1

        chats = await watcher.chats(2)
        assert [c["ID"] for c in chats] == [original["ID"], fresh["ID"]]
        await watcher.barrier()
        assert watcher.unclaimed("Chat") == []
        assert await stored_texts(live, room) == [
            (1, "sent before the network dropped"),
            (2, "new line"),
        ]
        await second.close()


async def test_refs_belong_to_their_session(live: ServerProcess, names: Names) -> None:
    """Another client using the same Ref is a different message."""
    room = names.room()
    async with (
        await ChatClient.open(live.ws_url, room=room) as one,
        await ChatClient.open(live.ws_url, room=room) as two,
    ):
        await one.say("from one", Ref="same")
        ack_one = await one.expect("Ack")
        await two.say("from two", Ref="same")
        ack_two = await two.expect("Ack")
        assert ack_two["ID"] == ack_one["ID"] + 1
        assert await stored_texts(live, room) == [(1, "from one"), (2, "from two")]


async def test_session_takeover_closes_the_old_connection_with_4001(
    live: ServerProcess, names: Names
) -> None:
    room = names.room()
    nick = names.nick("taken-over")
    async with await ChatClient.open(live.ws_url, room=room) as watcher:
        old = await ChatClient.open(live.ws_url, room=room, nick=nick)
        session = old.status["Session"]
        await old.say("from the old tab", Ref="t-1")
        original = await old.expect("Ack")
        new = await ChatClient.open(live.ws_url, room=room, session=session)
        code, reason = await old.close_code()
        assert code == 4001
        assert reason
        assert new.nick == nick
        assert new.status["Session"] == session
        # The new connection inherits the session's refs.
        await new.say("from the old tab", Ref="t-1")
        assert await new.expect("Ack") == original
        # And the room sees exactly one member under that name.
        users = await watcher.expect(
            "userlist",
            lambda f: sorted(u["Name"] for u in f["Users"]) == sorted([watcher.nick, nick]),
        )
        assert len(users["Users"]) == 2
        await new.say("still me")
        chat = await watcher.expect("Chat", lambda f: unb64(f["Message"]) == "still me")
        assert chat["Author"] == nick
        await new.close()


async def test_unknown_or_malformed_session_starts_a_new_one(
    live: ServerProcess, names: Names
) -> None:
    room = names.room()
    async with (
        await ChatClient.open(live.ws_url, room=room, session="x" * 24) as unknown,
        await ChatClient.open(live.ws_url, room=room, session="bad token!") as malformed,
    ):
        assert unknown.status["Session"]
        assert malformed.status["Session"] != "bad token!"
        assert unknown.nick.startswith("guest-")
        await malformed.say("works")
        await malformed.expect("Chat")


async def test_bad_refs_are_refused(live: ServerProcess, names: Names) -> None:
    async with await ChatClient.open(live.ws_url, room=names.room()) as client:
        for ref in (True, 1.5, -1, 2**53, "", "r" * 65, ["x"], {"a": 1}):
            await client.say("with a bad ref", Ref=ref)
            error = await client.expect("Error")
            assert error["Code"] == "bad_field", ref
        await client.barrier()
        assert client.unclaimed("Chat") == []
        assert client.unclaimed("Ack") == []
