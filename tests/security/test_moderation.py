"""Private rooms and moderation on a live server: every rule through every path.

A private room's messages, history and user list must never reach a non-member: live frames,
``History``, ``Join`` with ``Since``, the REST reads and the room listing are each tried. Kicks
and bans must hold against reconnecting and renaming; every action lands in the audit log.
(All test clients share the address 127.0.0.1, so each test bans guests in rooms of its own.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from accounts import Person, call, closed_with, connect, joined, register, unique
from conftest import ServerProcess
from helpers import Client, unb64

API_KEY = "moderation-test-key-0123456789"
ADMIN = "bigboss"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(
        tmp_path_factory.mktemp("moderation"),
        ["--userlist-interval", "0.02", "--admins", ADMIN, "--kick-seconds", "60"],
        {"ROOMCAST_API_KEY": API_KEY},
    )
    server.start()
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait()


async def barrier(client: Client) -> None:
    """Every frame the server queued for ``client`` before this has arrived."""
    ref = unique("b")
    await client.send({"Type": "Ping", "Ref": ref})
    await client.expect("Pong", lambda f: f.get("Ref") == ref)


def frames_about(client: Client, room: str) -> list[dict[str, Any]]:
    """Every frame ``client`` received that names ``room`` (claimed ones included)."""
    found = []
    for frame in client.frames:
        frame = frame.get("was", frame)
        inner = [frame, *frame.get("Messages", [])]
        if any(f.get("Room") == room for f in inner):
            found.append(frame)
    return found


async def error(client: Client, code: str) -> dict[str, Any]:
    return await client.expect("Error", lambda f: f["Code"] == code)


async def private_room(
    live: ServerProcess, owner: Person, room: str, *, private: bool = True
) -> Client:
    """``owner`` creates ``room`` (private unless told otherwise) and sits in it."""
    client = await connect(live.ws_url, person=owner, room=unique("hall"))
    await client.expect("Status")
    await client.send({"Type": "Create", "Room": room, "Private": private, "Topic": "plans"})
    created = await client.expect("Room", lambda f: f["Room"] == room)
    assert (created["Private"], created["Owner"], created["Role"]) == (private, owner.name, "owner")
    await client.send({"Type": "Join", "Room": room})
    await joined(client, room)
    return client


async def test_a_private_room_admits_only_invited_accounts(live: ServerProcess) -> None:
    base, room = live.http_url, unique("team")
    owner = await register(base, unique("owner"))
    stranger = await register(base, unique("stranger"))
    friend = await register(base, unique("friend"))
    async with await private_room(live, owner, room) as alice:
        await alice.say("the plan", Room=room)
        # A stranger (account), a guest, and a URL that names the room: all refused.
        async with await connect(live.ws_url, person=stranger, room="lobby") as bob:
            await bob.send({"Type": "Join", "Room": room, "Ref": 1})
            assert "private" in (await error(bob, "forbidden"))["Message"]
        async with await connect(live.ws_url, room=room) as guest:
            await error(guest, "forbidden")
            assert await closed_with(guest) == 1008
        # Invited, the friend joins and reads the history.
        await alice.send({"Type": "Role", "Room": room, "Name": friend.name, "Role": "member"})
        await alice.expect("Room", lambda f: f.get("Ref") is None and f["Room"] == room)
        async with await connect(live.ws_url, person=friend, room=room) as carol:
            await joined(carol, room)
            assert unb64((await carol.expect("Chat"))["Message"]) == "the plan"
            # Uninvited again, the friend is taken out of the room at once.
            await alice.send({"Type": "Role", "Room": room, "Name": friend.name, "Role": "none"})
            kicked = await carol.expect("Kicked")
            assert (kicked["Room"], kicked["Banned"]) == (room, False)
            await carol.send({"Type": "Join", "Room": room})
            await error(carol, "forbidden")


async def test_private_traffic_never_reaches_a_non_member(live: ServerProcess) -> None:
    """Live frames, user lists, History, Join with Since, REST reads, listing, broadcast."""
    base, room = live.http_url, unique("vault")
    owner = await register(base, unique("owner"))
    outsider = await register(base, unique("outsider"))
    token = (await call("POST", f"{base}/api/tokens", body={}, cookie=outsider.cookie)).json()
    outside_room = unique("street")
    async with (
        await connect(live.ws_url, person=outsider, room=outside_room) as eve,
        await private_room(live, owner, room) as alice,
    ):
        await joined(eve, outside_room)
        for i in range(3):
            await alice.say(f"secret {i}", Room=room, Ref=i)
            await alice.expect("Ack")
        # A system broadcast reaches every room, each only to its own members.
        reply = await call("POST", f"{base}/api/broadcast", body={"text": "hi all"}, bearer=API_KEY)
        assert reply.status == 201
        await alice.expect("Chat", lambda f: f["Author"] == "system")
        await eve.expect("Chat", lambda f: f["Author"] == "system")
        # Every way in: history, join with and without Since, guessing IDs.
        await eve.send({"Type": "History", "Room": room, "Ref": "h"})
        await error(eve, "not_in_room")
        for since in (None, 0, 1):
            join = {"Type": "Join", "Room": room, "Since": since}
            await eve.send({k: v for k, v in join.items() if v is not None})
            await error(eve, "forbidden")
        await alice.say("after the attempts", Room=room)
        await alice.expect("Chat", lambda f: unb64(f["Message"]) == "after the attempts")
        await barrier(eve)
        assert [f["Type"] for f in frames_about(eve, room)] == []
        # REST: as a guest, with the outsider's cookie and API token: the room does not exist.
        for who in ({}, {"cookie": outsider.cookie}, {"bearer": token["token"]}):
            for path in ("", "/messages", "/members", "/access"):
                reply = await call("GET", f"{base}/api/rooms/{room}{path}", **who)  # type: ignore[arg-type]
                assert reply.status == 404, (who, path, reply.body)
            listed = (await call("GET", f"{base}/api/rooms", **who)).json()  # type: ignore[arg-type]
            assert room not in {r["name"] for r in listed["rooms"]}
        # The owner, and the API key, see it all.
        mine = await call("GET", f"{base}/api/rooms/{room}/messages", cookie=owner.cookie)
        assert {"secret 0", "secret 1", "secret 2"} <= {m["text"] for m in mine.json()["messages"]}
        listed = (await call("GET", f"{base}/api/rooms", cookie=owner.cookie)).json()
        assert room in {r["name"] for r in listed["rooms"]}
        admin = await call("GET", f"{base}/api/rooms/{room}/members", bearer=API_KEY)
        assert admin.status == 200
        assert owner.name in {m["name"] for m in admin.json()["members"]}


async def test_kicked_and_banned_guests_stay_out(live: ServerProcess) -> None:
    base, room = live.http_url, unique("pub")
    owner = await register(base, unique("owner"))
    async with await private_room(live, owner, room, private=False) as alice:
        async with await connect(live.ws_url, room=room, nick=unique("troll")) as troll:
            status = await troll.expect("Status")
            await joined(troll, room)
            await alice.send({"Type": "Kick", "Room": room, "Name": status["Nick"], "Ref": 1})
            done = await alice.expect("Moderated", lambda f: f.get("Ref") == 1)
            assert (done["Action"], done["Name"]) == ("kick", status["Nick"])
            kicked = await troll.expect("Kicked")
            assert (kicked["By"], kicked["Banned"], "Until" in kicked) == (owner.name, False, True)
            # Out of the room: no more traffic, no rejoining, under any name.
            await alice.say("you are gone", Room=room)
            await troll.send({"Type": "Nick", "Name": unique("innocent")})
            await troll.expect("Nick")
            await troll.send({"Type": "Join", "Room": room})
            assert "were kicked" in (await error(troll, "banned"))["Message"]
            await barrier(troll)
            assert not any(f.get("Type") == "Chat" and f.get("Room") == room for f in troll.frames)
        # Reconnecting, with a fresh session and name, does not help either.
        async with await connect(live.ws_url, room=room, nick=unique("fresh")) as again:
            await error(again, "banned")
            assert await closed_with(again) == 1008


async def test_account_bans_expire_and_are_lifted(live: ServerProcess) -> None:
    base, room = live.http_url, unique("forum")
    owner = await register(base, unique("owner"))
    bob = await register(base, unique("bob"))
    async with (
        await private_room(live, owner, room, private=False) as alice,
        await connect(live.ws_url, person=bob, room=room) as bobby,
    ):
        await joined(bobby, room)
        await alice.send({"Type": "Ban", "Room": room, "Name": bob.name, "Reason": "spam"})
        banned = await bobby.expect("Kicked")
        assert (banned["Banned"], banned["Reason"], "Until" in banned) == (True, "spam", False)
        assert (await alice.expect("Moderated"))["Action"] == "ban"
    # The ban is on the account: a new connection, another nickname, still banned.
    async with await connect(live.ws_url, person=bob, room="lobby", nick=unique("other")) as b2:
        await b2.send({"Type": "Join", "Room": room})
        await error(b2, "banned")
    reply = await call(
        "POST",
        f"{base}/api/rooms/{room}/moderation",
        body={"action": "unban", "name": bob.name},
        cookie=owner.cookie,
    )
    assert reply.status == 200, reply.body
    async with await connect(live.ws_url, person=bob, room=room) as b3:
        await joined(b3, room)
    # A timed ban ends by itself.
    reply = await call(
        "POST",
        f"{base}/api/rooms/{room}/moderation",
        body={"action": "ban", "name": bob.name, "duration": 1},
        cookie=owner.cookie,
    )
    assert reply.status == 200, reply.body
    assert reply.json()["until"]
    async with await connect(live.ws_url, person=bob, room=room) as b4:
        await error(b4, "banned")
    await asyncio.sleep(1.2)
    async with await connect(live.ws_url, person=bob, room=room) as b5:
        await joined(b5, room)


async def test_muted_members_cannot_talk_until_unmuted(live: ServerProcess) -> None:
    base, room = live.http_url, unique("quiet")
    owner = await register(base, unique("owner"))
    async with (
        await private_room(live, owner, room, private=False) as alice,
        await connect(live.ws_url, room=room, nick=unique("loud")) as loud,
    ):
        nick = (await loud.expect("Status"))["Nick"]
        await joined(loud, room)
        await alice.send({"Type": "Mute", "Room": room, "Name": nick, "Duration": 600})
        await alice.expect("Moderated", lambda f: f["Action"] == "mute")
        await asyncio.sleep(0.2)  # the mute is recorded by the node holding the guest
        await loud.say("SHOUTING", Ref="m1")
        assert (await error(loud, "muted"))["Ref"] == "m1"
        # Reconnecting does not shake it off (a guest is muted by address).
        async with await connect(live.ws_url, room=room, nick=unique("loud")) as loud2:
            await joined(loud2, room)
            await loud2.say("still me", Ref="m2")
            await error(loud2, "muted")
        await alice.send({"Type": "Unmute", "Room": room, "Name": nick})
        await alice.expect("Moderated", lambda f: f["Action"] == "unmute")
        await asyncio.sleep(0.2)
        await loud.say("sorry", Ref="m3")
        await loud.expect("Ack", lambda f: f["Ref"] == "m3")
        await barrier(alice)
        texts = [unb64(f["Message"]) for f in alice.frames if f.get("Type") == "Chat"]
        assert "SHOUTING" not in texts
        assert "still me" not in texts


async def test_a_deleted_message_is_gone_everywhere(live: ServerProcess) -> None:
    base, room = live.http_url, unique("news")
    owner = await register(base, unique("owner"))
    async with (
        await private_room(live, owner, room, private=False) as alice,
        await connect(live.ws_url, room=room) as reader,
    ):
        await joined(reader, room)
        ids = []
        for text in ("keep", "oops", "keep too"):
            await alice.say(text, Room=room, Ref=text)
            ids.append((await alice.expect("Ack", lambda f, t=text: f["Ref"] == t))["ID"])
        await alice.send({"Type": "Delete", "Room": room, "ID": ids[1], "Ref": "d"})
        ack = await alice.expect("Ack", lambda f: f.get("Ref") == "d")
        deleted = await reader.expect("Deleted")
        # The deletion is an event of the room's log, with the room's next ID.
        assert (deleted["Room"], deleted["Target"], deleted["ID"]) == (room, ids[1], ids[2] + 1)
        assert ack["ID"] == deleted["ID"]
        await reader.send({"Type": "History", "Room": room, "Ref": "h"})
        page = await reader.expect("History")
        assert [m["ID"] for m in page["Messages"]] == [ids[0], ids[2]]
    rest = await call("GET", f"{base}/api/rooms/{room}/messages")
    assert [m["text"] for m in rest.json()["messages"]] == ["keep too", "keep"]
    async with await connect(live.ws_url, room=room, since=0) as resumed:
        await joined(resumed, room)
        texts = [unb64(f["Message"]) for f in await resumed.chats(2)]
        assert texts == ["keep", "keep too"]
        # The deleted line is left out of the replay; its Deleted event still comes.
        replayed = await resumed.expect("Deleted")
        assert (replayed["ID"], replayed["Target"]) == (deleted["ID"], ids[1])
        await barrier(resumed)
        assert not [f for f in resumed.frames if f.get("Type") == "Chat"]
    # Deleting again, or a message that never was: not found.
    again = await call("DELETE", f"{base}/api/rooms/{room}/messages/{ids[1]}", cookie=owner.cookie)
    assert again.status == 404


async def test_roles_are_ordered_and_checked(live: ServerProcess) -> None:
    base, room = live.http_url, unique("club")
    owner = await register(base, unique("owner"))
    mod = await register(base, unique("mod"))
    member = await register(base, unique("member"))
    async with (
        await connect(live.ws_url, person=owner, room=room) as alice,
        await connect(live.ws_url, person=mod, room=room) as moderator,
        await connect(live.ws_url, person=member, room=room) as plain,
    ):
        for client in (alice, moderator, plain):
            await joined(client, room)
        # Only a room's moderators moderate; a plain user is told no.
        await plain.send({"Type": "Kick", "Room": room, "Name": mod.name})
        await error(plain, "forbidden")
        await plain.send({"Type": "Topic", "Room": room, "Topic": "mine now"})
        await error(plain, "forbidden")
        # The room has no owner yet (it was made by joining): only an admin names moderators.
        reply = await call(
            "PUT",
            f"{base}/api/rooms/{room}/roles/{mod.name}",
            body={"role": "moderator"},
            bearer=API_KEY,
        )
        assert reply.status == 200, reply.body
        assert mod.name in reply.json()["moderators"]
        promoted = await moderator.expect("Room", lambda f: f["Role"] == "moderator")
        assert promoted["Moderators"] == [mod.name]
        # A moderator sets the topic (everyone sees it) but names no moderators, nor acts up.
        await moderator.send({"Type": "Topic", "Room": room, "Topic": "be nice"})
        await plain.expect("Room", lambda f: f["Topic"] == "be nice")
        await moderator.send(
            {"Type": "Role", "Room": room, "Name": member.name, "Role": "moderator"}
        )
        await error(moderator, "forbidden")
        await plain.send({"Type": "Ban", "Room": room, "Name": mod.name})
        await error(plain, "forbidden")
        # Moderators cannot ban moderators.
        other = await register(base, unique("mod"))
        await call(
            "PUT",
            f"{base}/api/rooms/{room}/roles/{other.name}",
            body={"role": "moderator"},
            bearer=API_KEY,
        )
        await moderator.send({"Type": "Ban", "Room": room, "Name": other.name})
        await error(moderator, "forbidden")
        # Unknown names are not found; guests cannot create rooms.
        await moderator.send({"Type": "Kick", "Room": room, "Name": unique("nobody")})
        await error(moderator, "not_found")
    async with await connect(live.ws_url, room=unique("x")) as guest:
        await guest.send({"Type": "Create", "Room": unique("mine")})
        await error(guest, "login_required")
        await guest.send({"Type": "Create", "Room": room})
        await error(guest, "login_required")
    async with await connect(live.ws_url, person=owner, room=unique("x")) as again:
        await again.send({"Type": "Create", "Room": room})  # it exists: it has had members
        await error(again, "room_exists")


async def test_server_admins_moderate_everywhere(live: ServerProcess) -> None:
    base, room = live.http_url, unique("den")
    owner = await register(base, unique("owner"))
    boss = await register(base, ADMIN)
    async with await private_room(live, owner, room) as alice:
        await alice.say("hello", Room=room, Ref=1)
        message_id = (await alice.expect("Ack"))["ID"]
        async with await connect(live.ws_url, person=boss, room=room) as admin:
            status = await admin.expect("Status")
            assert status.get("Admin") is True
            room_frame = await joined(admin, room)
            assert room_frame["Role"] == "admin"
            await admin.send({"Type": "Ban", "Room": room, "Name": owner.name})
            await admin.expect("Moderated")
            await alice.expect("Kicked")
            await admin.send({"Type": "Unban", "Room": room, "Name": owner.name})
            await admin.expect("Moderated", lambda f: f["Action"] == "unban")
        # The API key over REST is an admin too.
        deleted = await call(
            "DELETE", f"{base}/api/rooms/{room}/messages/{message_id}", bearer=API_KEY
        )
        assert deleted.status == 204
        sanctions = await call("GET", f"{base}/api/rooms/{room}/sanctions", bearer=API_KEY)
        assert sanctions.status == 200


async def test_every_action_is_in_the_audit_log(live: ServerProcess) -> None:
    base, room = live.http_url, unique("log")
    owner = await register(base, unique("owner"))
    bob = await register(base, unique("bob"))
    async with await private_room(live, owner, room) as alice:
        for command in (
            {"Type": "Role", "Room": room, "Name": bob.name, "Role": "member"},
            {"Type": "Topic", "Room": room, "Topic": "audited"},
            {"Type": "Mute", "Room": room, "Name": bob.name, "Duration": 60},
            {"Type": "Ban", "Room": room, "Name": bob.name, "Reason": "test"},
            {"Type": "Unban", "Room": room, "Name": bob.name},
        ):
            await alice.send({**command, "Ref": command["Type"]})
            await alice.expect(
                "Moderated" if command["Type"] in ("Mute", "Ban", "Unban") else "Room",
                lambda f, ref=command["Type"]: f.get("Ref") == ref,
            )
    log = await call("GET", f"{base}/api/audit?room={room}", cookie=owner.cookie)
    assert log.status == 200, log.body
    entries = log.json()["entries"]
    assert [e["action"] for e in entries] == [
        "unban",
        "ban",
        "mute",
        "topic",
        "role:member",
        "create",
    ]
    assert {e["actor"] for e in entries} == {owner.name}
    assert entries[1]["target"] == bob.name
    assert "test" in entries[1]["detail"]
    assert all(e["time"].endswith("Z") for e in entries)
    # Not for guests nor for plain users; the whole log only for admins.
    assert (await call("GET", f"{base}/api/audit?room={room}")).status == 401
    assert (await call("GET", f"{base}/api/audit?room={room}", cookie=bob.cookie)).status == 403
    assert (await call("GET", f"{base}/api/audit", cookie=owner.cookie)).status == 403
    everything = await call("GET", f"{base}/api/audit?limit=500", bearer=API_KEY)
    assert {e["room"] for e in everything.json()["entries"]} >= {room}


async def test_moderation_over_rest_checks_its_input(live: ServerProcess) -> None:
    base, room = live.http_url, unique("rest")
    owner = await register(base, unique("owner"))
    created = await call(
        "POST", f"{base}/api/rooms", body={"room": room, "private": True}, cookie=owner.cookie
    )
    assert created.status == 201
    assert created.json()["private"] is True
    again = await call("POST", f"{base}/api/rooms", body={"room": room}, cookie=owner.cookie)
    assert again.status == 409
    url = f"{base}/api/rooms/{room}/moderation"
    for body, status in (
        ({"action": "dance", "name": "x"}, 400),
        ({"action": "ban", "name": "x", "duration": 0}, 400),
        ({"action": "ban"}, 400),
        ({"action": "kick", "name": unique("ghost")}, 404),
    ):
        reply = await call("POST", url, body=body, cookie=owner.cookie)
        assert reply.status == status, (body, reply.body)
        assert reply.json()["error"]["code"]
    guest = await call("POST", url, body={"action": "kick", "name": "x"})
    assert guest.status == 401
    # A write with the cookie from another site's page is refused (cross-site request forgery).
    forged = await call(
        "PUT",
        f"{base}/api/rooms/{room}/topic",
        body={"topic": "pwned"},
        cookie=owner.cookie,
        headers={"Origin": "http://evil.example"},
    )
    assert forged.status == 403
    assert forged.json()["error"]["code"] == "origin_not_allowed"
    ok = await call(
        "PUT",
        f"{base}/api/rooms/{room}/topic",
        body={"topic": "fine"},
        cookie=owner.cookie,
        headers={"Origin": base},
    )
    assert ok.status == 200
    assert ok.json()["topic"] == "fine"


@pytest.mark.parametrize("path", ["/messages", "/members", ""])
async def test_rest_reads_of_a_public_room_stay_open(live: ServerProcess, path: str) -> None:
    base, room = live.http_url, unique("open")
    await call("POST", f"{base}/api/rooms/{room}/messages", body={"text": "hi"}, bearer=API_KEY)
    assert (await call("GET", f"{base}/api/rooms/{room}{path}")).status == 200
