"""Files across nodes: uploaded on node A, attached there, seen on node B with the line (through
Redis) and served by node B (through PostgreSQL); deleted on node B, gone on node A."""

from __future__ import annotations

from accounts import connect, joined, register, unique
from files_testing import fetch, image_bytes, upload
from helpers import b64

from .conftest import Cluster


async def test_a_file_uploaded_on_one_node_is_served_by_another(cluster: Cluster) -> None:
    a, b = await cluster.node(), await cluster.node()
    room = unique("shared")
    alice_person = await register(a.http_url, unique("alice"))
    png = image_bytes("PNG", (800, 500))
    async with (
        await connect(a.ws_url, person=alice_person, room=room) as alice,
        await connect(b.ws_url, room=room) as bob,
    ):
        await joined(alice, room)
        await joined(bob, room)
        made = await upload(a.http_url, room, png, name="map.png", cookie=alice_person.cookie)
        assert made.status == 201, made.body
        picture = made.json()
        await alice.send(
            {"Message": b64("the map"), "Room": room, "Ref": "m", "Attachments": [picture["id"]]}
        )
        line = await bob.expect("Chat", lambda f: "Attachments" in f, timeout=10)
        (entry,) = line["Attachments"]
        assert (entry["ID"], entry["Width"], entry["Height"]) == (picture["id"], 800, 500)
        served = await fetch(b.http_url, entry["URL"])
        assert (served.status, served.body) == (200, png)
        assert served.headers["Content-Type"] == "image/png"
        thumb = await fetch(b.http_url, entry["Thumb"])
        assert thumb.status == 200
        assert thumb.headers["Content-Type"] == "image/webp"
        span = await fetch(b.http_url, entry["URL"], {"Range": "bytes=0-7"})
        assert (span.status, span.body) == (206, png[:8])
        await alice.send({"Type": "Delete", "Room": room, "Target": line["ID"], "Ref": "d"})
        await bob.expect("Deleted", timeout=10)
        await alice.expect("Ack", lambda f: f.get("Ref") == "d", timeout=10)
        for node in (a, b):
            assert (await fetch(node.http_url, entry["URL"])).status == 404
