"""REST for the person: ``/api/me/rooms`` with read state and counts, ``/api/me/blocks``; a direct
conversation is invisible (404) to anyone else."""

from __future__ import annotations

from accounts import call, connect, joined, register, unique
from conftest import ServerProcess
from helpers import b64


async def test_my_rooms_carry_read_state_and_counts(server: ServerProcess) -> None:
    base = server.http_url
    alice = await register(base, unique("alice"))
    bob = await register(base, unique("bob"))
    carol = await register(base, unique("carol"))
    room = unique("team")
    async with (
        await connect(server.ws_url, person=alice, room=room) as alice_ws,
        await connect(server.ws_url, person=bob, room=room) as bob_ws,
    ):
        await joined(alice_ws, room)
        await joined(bob_ws, room)
        for text in ("one", f"@{alice.name} two"):
            await bob_ws.say(text, Room=room, Ref=text)
            await bob_ws.expect("Ack", lambda f, t=text: f["Ref"] == t)
        await alice_ws.expect("Notify")
        await bob_ws.send({"Type": "Direct", "Names": [alice.name], "Ref": "d"})
        direct = (await bob_ws.expect("Room", lambda f: f.get("Ref") == "d"))["Room"]
        await bob_ws.send({"Message": b64("x"), "Room": room, "Ref": "last"})
        await bob_ws.expect("Ack", lambda f: f["Ref"] == "last")
    mine = await call("GET", f"{base}/api/me/rooms", cookie=alice.cookie)
    assert mine.status == 200
    assert mine.json() == {
        "rooms": [
            {"room": room, "last_id": 3, "read_id": 0, "unread": 3, "mentions": 1, "direct": False},
            {
                "room": direct,
                "last_id": 0,
                "read_id": 0,
                "unread": 0,
                "mentions": 0,
                "direct": True,
            },
        ]
    }
    assert (await call("GET", f"{base}/api/me/rooms")).status == 401
    # The direct conversation does not exist for carol.
    assert (
        await call("GET", f"{base}/api/rooms/{direct}/messages", cookie=carol.cookie)
    ).status == 404


async def test_blocks_are_listed_added_and_lifted(server: ServerProcess) -> None:
    base = server.http_url
    alice = await register(base, unique("alice"))
    mallory = await register(base, unique("mallory"))
    url = f"{base}/api/me/blocks"
    assert (await call("PUT", f"{url}/{mallory.name}", cookie=alice.cookie)).status == 204
    assert (await call("PUT", f"{url}/{mallory.name}", cookie=alice.cookie)).status == 204
    assert (await call("GET", url, cookie=alice.cookie)).json() == {"blocks": [mallory.name]}
    assert (await call("GET", url, cookie=mallory.cookie)).json() == {"blocks": []}
    assert (await call("PUT", f"{url}/nobody-at-all", cookie=alice.cookie)).status == 404
    assert (await call("PUT", f"{url}/{alice.name}", cookie=alice.cookie)).status == 400
    assert (await call("DELETE", f"{url}/{mallory.name}", cookie=alice.cookie)).status == 204
    assert (await call("DELETE", f"{url}/{mallory.name}", cookie=alice.cookie)).status == 404
    assert (await call("GET", url, cookie=alice.cookie)).json() == {"blocks": []}
