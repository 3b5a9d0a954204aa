"""People across nodes: an account's tabs on two nodes share one nickname, one userlist entry and
their read marker; a mention and a direct line made on one node reach the person on the other."""

from __future__ import annotations

from accounts import connect, joined, register, unique
from helpers import b64

from .conftest import Cluster


async def test_a_person_on_two_nodes_is_one_person(cluster: Cluster) -> None:
    a, b = await cluster.node(), await cluster.node()
    room = unique("team")
    alice = await register(a.http_url, unique("alice"))
    bob = await register(b.http_url, unique("bob"))
    async with (
        await connect(a.ws_url, person=alice, room=room) as laptop,
        await connect(b.ws_url, person=alice, room=room) as phone,
        await connect(b.ws_url, person=bob, room=room) as bob_ws,
    ):
        for client in (laptop, phone, bob_ws):
            await joined(client, room)
        assert (await phone.expect("Status"))["Nick"] == alice.name
        users = await bob_ws.expect("userlist", lambda f: len(f["Users"]) == 2, timeout=10)
        assert sorted(u["Name"] for u in users["Users"]) == sorted([alice.name, bob.name])
        # A mention on node B reaches both of alice's connections.
        await bob_ws.send({"Message": b64(f"@{alice.name} see this"), "Room": room, "Ref": 1})
        line = await bob_ws.expect("Ack")
        for tab in (laptop, phone):
            notify = await tab.expect("Notify", timeout=10)
            assert (notify["Kind"], notify["ID"]) == ("mention", line["ID"])
        # Reading it on node A moves the marker for the phone on node B.
        await laptop.send({"Type": "Read", "Room": room, "ID": line["ID"]})
        read = await phone.expect("Read", timeout=10)
        assert read == {"Type": "Read", "Room": room, "ID": line["ID"]}
        # A direct conversation started on node B appears for alice on node A.
        await bob_ws.send({"Type": "Direct", "Names": [alice.name], "Ref": "d"})
        direct = await bob_ws.expect("Room", lambda f: f.get("Ref") == "d")
        rooms = await laptop.expect(
            "Rooms", lambda f: any(r["Room"] == direct["Room"] for r in f["Rooms"]), timeout=10
        )
        assert next(r for r in rooms["Rooms"] if r["Room"] == direct["Room"])["Direct"]
        await bob_ws.send({"Type": "Join", "Room": direct["Room"]})
        await joined(bob_ws, direct["Room"])
        await bob_ws.send({"Message": b64("just between us"), "Room": direct["Room"]})
        for tab in (laptop, phone):
            notify = await tab.expect("Notify", lambda f: f["Kind"] == "direct", timeout=10)
            assert notify["Room"] == direct["Room"]
    # A new connection of alice gets her rooms back, read marker included.
    async with await connect(a.ws_url, person=alice, room=room) as again:
        rooms = await again.expect("Rooms")
        by_name = {r["Room"]: r for r in rooms["Rooms"]}
        assert by_name[room]["ReadID"] == line["ID"]
        assert by_name[room]["Unread"] == 0
        assert by_name[direct["Room"]]["Mentions"] == 1
