"""Rooms: isolation, per-room IDs, user lists, and several rooms on one connection."""

from __future__ import annotations

import asyncio
from typing import Any

import websockets

from conftest import ServerProcess
from helpers import b64, unb64

from .support import ChatClient, Names, http, query_url


def names_in(frame: dict[str, Any]) -> list[str]:
    return sorted(user["Name"] for user in frame["Users"])


async def test_other_rooms_get_nothing(live: ServerProcess, names: Names) -> None:
    here, there = names.room("here"), names.room("there")
    async with (
        await ChatClient.open(live.ws_url, room=here) as sender,
        await ChatClient.open(live.ws_url, room=here) as neighbour,
        await ChatClient.open(live.ws_url, room=there) as stranger,
    ):
        await sender.say("only for here")
        assert unb64((await neighbour.expect("Chat"))["Message"]) == "only for here"
        await sender.expect("Chat")
        # Anything leaked to the other room was queued before this Pong: none may have come.
        await stranger.barrier()
        assert stranger.unclaimed("Chat") == []
        await stranger.say("only for there")
        assert (await stranger.expect("Chat"))["Room"] == there
        await sender.barrier()
        await neighbour.barrier()
        assert sender.unclaimed("Chat") == []
        assert neighbour.unclaimed("Chat") == []


async def test_ids_increase_by_one_per_room_with_concurrent_senders(
    live: ServerProcess, names: Names
) -> None:
    room, other_room = names.room(), names.room()
    per_sender = 40
    async with (
        await ChatClient.open(live.ws_url, room=room) as watcher,
        await ChatClient.open(live.ws_url, room=room) as s1,
        await ChatClient.open(live.ws_url, room=room) as s2,
        await ChatClient.open(live.ws_url, room=room) as s3,
        await ChatClient.open(live.ws_url, room=other_room) as elsewhere,
    ):

        async def burst(client: ChatClient, label: str) -> None:
            for i in range(per_sender):
                await client.say(f"{label}-{i}")

        await asyncio.gather(burst(s1, "a"), burst(s2, "b"), burst(s3, "c"))
        total = 3 * per_sender
        for client in (watcher, s1, s2, s3):
            frames = await client.chats(total, timeout=20)
            assert [f["ID"] for f in frames] == list(range(1, total + 1))
            assert {f["Room"] for f in frames} == {room}
        # Each sender's lines keep their order inside the room's sequence.
        texts = [unb64(f["Message"]) for f in frames]
        for label in "abc":
            mine = [t for t in texts if t.startswith(f"{label}-")]
            assert mine == [f"{label}-{i}" for i in range(per_sender)]
        # Another room counts on its own.
        await elsewhere.say("first here")
        assert (await elsewhere.expect("Chat"))["ID"] == 1


async def test_userlist_on_join_rename_and_leave(live: ServerProcess, names: Names) -> None:
    room = names.room()
    watcher_nick, guest_nick = names.nick("w"), names.nick("g")
    async with await ChatClient.open(live.ws_url, room=room, nick=watcher_nick) as watcher:
        await watcher.expect("userlist", lambda f: names_in(f) == [watcher_nick])
        guest = await ChatClient.open(live.ws_url, room=room, nick=guest_nick)
        joined = await watcher.expect("userlist", lambda f: guest_nick in names_in(f))
        assert names_in(joined) == sorted([watcher_nick, guest_nick])
        renamed = names.nick("r")
        await guest.send({"Type": "Nick", "Name": renamed})
        nick = await guest.expect("Nick")
        assert (nick["Name"], nick["Old"]) == (renamed, guest_nick)
        after_rename = await watcher.expect("userlist", lambda f: renamed in names_in(f))
        assert names_in(after_rename) == sorted([watcher_nick, renamed])
        await guest.close()
        after_leave = await watcher.expect("userlist", lambda f: renamed not in names_in(f))
        assert names_in(after_leave) == [watcher_nick]


async def test_burst_of_joins_and_leaves_ends_on_the_true_state(
    live: ServerProcess, names: Names
) -> None:
    room = names.room()
    watcher_nick = names.nick("w")
    crowd_nicks = [names.nick("c") for _ in range(12)]
    async with await ChatClient.open(live.ws_url, room=room, nick=watcher_nick) as watcher:
        crowd = await asyncio.gather(
            *(ChatClient.open(live.ws_url, room=room, nick=n) for n in crowd_nicks)
        )
        everyone = sorted([watcher_nick, *crowd_nicks])
        await watcher.expect("userlist", lambda f: names_in(f) == everyone, timeout=15)
        for member in crowd:
            await member.expect("userlist", lambda f: names_in(f) == everyone, timeout=15)
        await asyncio.gather(*(member.close() for member in crowd[:8]))
        remaining = sorted([watcher_nick, *crowd_nicks[8:]])
        final = await watcher.expect("userlist", lambda f: names_in(f) == remaining, timeout=15)
        # Nothing stale may follow the true state.
        await asyncio.sleep(0.5)
        await watcher.barrier()
        late = [f for f in watcher.after(final) if f["Type"] == "userlist"]
        assert all(names_in(f) == remaining for f in late), [names_in(f) for f in late]
        await asyncio.gather(*(member.close() for member in crowd[8:]))


async def test_userlists_are_coalesced(server_factory: Any, names: Names) -> None:
    """With a 1 s interval, 10 joins at once make far fewer than 10 user lists."""
    server = server_factory("--userlist-interval", "1")
    room = names.room()
    watcher_nick = names.nick("w")
    async with await ChatClient.open(server.ws_url, room=room, nick=watcher_nick) as watcher:
        await watcher.expect("userlist", lambda f: names_in(f) == [watcher_nick])
        crowd_nicks = [names.nick("c") for _ in range(10)]
        crowd = await asyncio.gather(
            *(ChatClient.open(server.ws_url, room=room, nick=n) for n in crowd_nicks)
        )
        everyone = sorted([watcher_nick, *crowd_nicks])
        final = await watcher.expect("userlist", lambda f: names_in(f) == everyone, timeout=15)
        await asyncio.sleep(1.5)  # one more interval: a late stale list would show up here
        await watcher.barrier()
        late = [f for f in watcher.after(final) if f["Type"] == "userlist"]
        assert all(names_in(f) == everyone for f in late), [names_in(f) for f in late]
        userlists = watcher.received("userlist")
        assert 2 <= len(userlists) < 10, [names_in(f) for f in userlists]
        await asyncio.gather(*(member.close() for member in crowd))


async def test_join_chat_leave_across_rooms(live: ServerProcess, names: Names) -> None:
    first, second = names.room("first"), names.room("second")
    roamer_nick = names.nick("roam")
    async with (
        await ChatClient.open(live.ws_url, room=first, nick=roamer_nick) as roamer,
        await ChatClient.open(live.ws_url, room=first) as in_first,
        await ChatClient.open(live.ws_url, room=second) as in_second,
    ):
        await in_second.say("before the roamer came")
        await in_second.expect("Chat")
        joined = await roamer.request({"Type": "Join", "Room": second}, "Joined")
        assert joined["Type"] == "Joined"
        assert joined["Room"] == second
        assert joined["LastID"] == 1
        backlog = await roamer.expect("Chat", lambda f: f["Room"] == second)
        assert unb64(backlog["Message"]) == "before the roamer came"
        await in_second.expect("userlist", lambda f: roamer_nick in names_in(f))

        # A line naming its Room goes there; a line without Room goes to the first room.
        await roamer.say("to second", Room=second)
        got = await in_second.expect("Chat", lambda f: unb64(f["Message"]) == "to second")
        assert got["Room"] == second
        await roamer.say("to first")
        got = await in_first.expect("Chat")
        assert (unb64(got["Message"]), got["Room"]) == ("to first", first)
        await in_first.barrier()
        await in_second.barrier()
        assert in_first.unclaimed("Chat") == []
        assert in_second.unclaimed("Chat") == []

        left = await roamer.request({"Type": "Leave", "Room": second}, "Left")
        assert (left["Type"], left["Room"]) == ("Left", second)
        await in_second.expect("userlist", lambda f: roamer_nick not in names_in(f))
        refused = await roamer.request({"Type": "Chat", "Message": "eA==", "Room": second}, "Ack")
        assert (refused["Type"], refused["Code"]) == ("Error", "not_in_room")
        refused = await roamer.request({"Type": "Leave", "Room": second}, "Left")
        assert (refused["Type"], refused["Code"]) == ("Error", "not_in_room")
        refused = await roamer.request({"Type": "History", "Room": second}, "History")
        assert (refused["Type"], refused["Code"]) == ("Error", "not_in_room")
        # The refused line was not stored: the second room still ends with "to second".
        page = await in_second.request({"Type": "History", "Limit": 5}, "History")
        assert [unb64(m["Message"]) for m in page["Messages"]] == [
            "before the roamer came",
            "to second",
        ]
        await in_second.barrier()
        assert in_second.unclaimed("Chat") == []


async def test_leaving_every_room_then_chatting_is_refused(
    live: ServerProcess, names: Names
) -> None:
    first, second = names.room(), names.room()
    async with await ChatClient.open(live.ws_url, room=first) as client:
        await client.request({"Type": "Join", "Room": second}, "Joined")
        await client.request({"Type": "Leave", "Room": first}, "Left")
        # The first room is gone, so a line without Room now goes to the next one.
        await client.say("where am I")
        assert (await client.expect("Chat"))["Room"] == second
        await client.request({"Type": "Leave", "Room": second}, "Left")
        refused = await client.request({"Message": "eA=="}, "Ack")
        assert (refused["Type"], refused["Code"]) == ("Error", "not_in_room")
        joined = await client.request({"Type": "Join", "Room": first}, "Joined")
        assert joined["Type"] == "Joined"


async def test_joining_a_room_twice_delivers_once(live: ServerProcess, names: Names) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as client:
        again = await client.request({"Type": "Join", "Room": room}, "Joined")
        assert again["Type"] == "Joined"
        await client.say("once")
        await client.expect("Chat")
        await client.barrier()
        assert client.unclaimed("Chat") == []


async def test_rooms_per_connection_are_limited(live: ServerProcess, names: Names) -> None:
    """The default limit is 20 rooms per connection (the first one included)."""
    async with await ChatClient.open(live.ws_url, room=names.room()) as client:
        extra = [names.room() for _ in range(19)]
        for room in extra:
            joined = await client.request({"Type": "Join", "Room": room}, "Joined")
            assert joined["Type"] == "Joined", joined
        refused = await client.request({"Type": "Join", "Room": names.room()}, "Joined")
        assert (refused["Type"], refused["Code"]) == ("Error", "too_many_rooms")
        await client.request({"Type": "Leave", "Room": extra[0]}, "Left")
        joined = await client.request({"Type": "Join", "Room": names.room()}, "Joined")
        assert joined["Type"] == "Joined"


async def test_max_rooms_is_configurable(server_factory: Any, names: Names) -> None:
    server = server_factory("--max-rooms-per-connection", "2")
    async with await ChatClient.open(server.ws_url, room=names.room()) as client:
        assert (await client.request({"Type": "Join", "Room": names.room()}, "Joined"))[
            "Type"
        ] == "Joined"
        refused = await client.request({"Type": "Join", "Room": names.room()}, "Joined")
        assert refused["Code"] == "too_many_rooms"


async def test_invalid_room_names_are_refused(live: ServerProcess, names: Names) -> None:
    async with await ChatClient.open(live.ws_url, room=names.room()) as client:
        for bad in ("has space", "x" * 65, "semi;colon", "-leading-dash", "a/b"):
            refused = await client.request({"Type": "Join", "Room": bad}, "Joined")
            assert (refused["Type"], refused["Code"]) == ("Error", "room_invalid"), bad
        await client.say("still here")
        await client.expect("Chat")
    # A bad room in the URL: an Error that names the problem, then close 1008.
    refused_client = ChatClient(await websockets.connect(query_url(live.ws_url, room="no good")))
    error = await refused_client.expect("Error")
    assert error["Code"] == "room_invalid"
    code, _ = await refused_client.close_code()
    assert code == 1008


async def test_room_names_are_case_insensitive_and_keep_the_first_spelling(
    live: ServerProcess, names: Names
) -> None:
    """D9: `/join Dev` and `/join DEV` join the `dev` that exists; every frame and the REST API
    name it as it was first spelled, and a line said in it reaches all of them."""
    first = names.room("dev")  # lower case: the spelling that stays
    async with await ChatClient.open(live.ws_url, room=first) as owner:
        await owner.say("first")
        await owner.expect("Chat")
        async with (
            await ChatClient.open(live.ws_url, room=first.upper()) as shouting,
            await ChatClient.open(live.ws_url, room="elsewhere-" + first) as joiner,
        ):
            assert shouting.status["Room"] == first
            assert shouting.joined is not None
            assert (shouting.joined["Room"], shouting.joined["LastID"]) == (first, 1)
            capitalised = first.capitalize()
            joined = await joiner.request({"Type": "Join", "Room": capitalised}, "Joined")
            assert (joined["Room"], joined["LastID"]) == (first, 1)
            # Any spelling names a room one is in, and is answered with the room's own.
            await joiner.send({"Message": b64("hi"), "Room": capitalised.swapcase()})
            for client in (owner, shouting, joiner):
                chat = await client.expect("Chat", lambda f: unb64(f["Message"]) == "hi")
                assert chat["Room"] == first
            users = await owner.expect("userlist", lambda f: len(f["Users"]) == 3)
            assert len(users["Users"]) == 3
            left = await joiner.request({"Type": "Leave", "Room": first.upper()}, "Left")
            assert left["Room"] == first
        page = await http("GET", f"{live.http_url}/api/rooms/{first.upper()}/messages")
        assert page.status == 200
        assert [(m["room"], m["text"]) for m in page.json()["messages"]] == [
            (first, "hi"),
            (first, "first"),
        ]
        rooms = (await http("GET", f"{live.http_url}/api/rooms")).json()["rooms"]
        assert [r["name"] for r in rooms if r["name"].lower() == first] == [first]
