"""Search across nodes: a line sent on node A is found through node B at once (PostgreSQL keeps
the words in the statement that stores the line), over the WebSocket and REST, and an edit on
node B is found by its new text on node A."""

from __future__ import annotations

import urllib.parse

from accounts import call, connect, joined, register, unique
from helpers import b64, unb64

from .conftest import Cluster


async def test_a_line_sent_on_one_node_is_found_on_the_other(cluster: Cluster) -> None:
    a, b = await cluster.node(), await cluster.node()
    room = unique("found")
    word = unique("zeta")
    alice_person = await register(a.http_url, unique("alice"))
    async with (
        await connect(a.ws_url, person=alice_person, room=room) as alice,
        await connect(b.ws_url, room=room) as guest,
    ):
        await joined(alice, room)
        await joined(guest, room)
        await alice.send({"Message": b64(f"Ångström {word} sent on A"), "Room": room, "Ref": "s"})
        sent = (await alice.expect("Ack", lambda f: f["Ref"] == "s"))["ID"]
        await guest.send({"Type": "Search", "Query": f"angstrom {word}", "Ref": "q"})
        results = await guest.expect("Results", timeout=10)
        (found,) = results["Messages"]
        assert (found["Room"], found["ID"]) == (room, sent)
        assert [part for part, hit in found["Highlight"] if hit] == ["Ångström", word]
        query = urllib.parse.urlencode({"q": word, "room": room})
        rest = await call("GET", f"{b.http_url}/api/search?{query}")
        assert [r["id"] for r in rest.json()["results"]] == [sent]
        edit = {"Type": "Edit", "Room": room, "Target": sent, "Message": b64(f"{word} renamed")}
        await alice.send({**edit, "Ref": "e"})
        await guest.expect("Edited", timeout=10)
        await alice.send({"Type": "Search", "Query": "angstrom", "Room": room, "Ref": "q2"})
        assert (await alice.expect("Results", lambda f: f["Ref"] == "q2"))["Messages"] == []
        await guest.send({"Type": "Search", "Query": "renamed", "Room": room, "Ref": "q3"})
        renamed = await guest.expect("Results", lambda f: f["Ref"] == "q3", timeout=10)
        assert [unb64(m["Message"]) for m in renamed["Messages"]] == [f"{word} renamed"]
