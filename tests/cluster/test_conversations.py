"""Conversations across nodes: a reply, an edit, a reaction, typing and a deletion made on one
node reach members on the other in the room's order, through Redis and PostgreSQL; a member who
was away replays them; a history page on either node shows the current state."""

from __future__ import annotations

from accounts import connect, joined, register, unique
from helpers import Client, b64, unb64

from .conftest import Cluster

LOG_EVENTS = ("Chat", "Edited", "Deleted", "Reaction")


def log_of(client: Client) -> list[tuple[str, int]]:
    """The room-log events a client received, in arrival order."""
    frames = [f.get("was", f) for f in client.frames]
    return [(f["Type"], f["ID"]) for f in frames if f.get("Type") in LOG_EVENTS]


async def test_conversation_events_cross_nodes_in_the_rooms_order(cluster: Cluster) -> None:
    a, b = await cluster.node(), await cluster.node()
    room = unique("team")
    alice_person = await register(a.http_url, unique("alice"))
    bob_person = await register(b.http_url, unique("bob"))
    async with (
        await connect(a.ws_url, person=alice_person, room=room) as alice,
        await connect(b.ws_url, person=bob_person, room=room) as bob,
    ):
        await joined(alice, room)
        await joined(bob, room)
        await alice.say("root", Room=room, Ref="root")
        root = (await alice.expect("Ack", lambda f: f["Ref"] == "root"))["ID"]
        await bob.expect("Chat", timeout=10)
        await bob.send({"Message": b64("a reply"), "Room": room, "Thread": root, "Ref": "re"})
        reply = (await bob.expect("Ack", lambda f: f["Ref"] == "re"))["ID"]
        threaded = await alice.expect("Chat", lambda f: f.get("Thread") == root, timeout=10)
        assert threaded["ID"] == reply
        edit = {"Type": "Edit", "Room": room, "Target": root, "Message": b64("root, edited")}
        await alice.send({**edit, "Ref": "e"})
        edited = await bob.expect("Edited", timeout=10)
        assert (edited["Target"], unb64(edited["Message"])) == (root, "root, edited")
        await bob.send({"Type": "React", "Room": room, "Target": root, "Emoji": "🎉", "Ref": "r"})
        reaction = await alice.expect("Reaction", timeout=10)
        assert (reaction["Name"], reaction["Emoji"]) == (bob_person.name, "🎉")
        # Bob starts typing on node B: alice on node A sees it, and sees it end.
        await bob.send({"Type": "Typing", "Room": room})
        typing = await alice.expect("Typing", lambda f: f["Names"], timeout=10)
        assert typing["Names"] == [bob_person.name]
        await bob.send({"Type": "Typing", "Room": room, "Stop": True})
        await alice.expect("Typing", lambda f: f["Names"] == [], timeout=10)
        await bob.send({"Type": "Delete", "Room": room, "Target": reply, "Ref": "d"})
        deleted = await alice.expect("Deleted", timeout=10)
        assert (deleted["Target"], deleted["By"]) == (reply, bob_person.name)
        await bob.expect("Deleted", timeout=10)
        # Both members saw the same events in the same order, IDs gapless.
        assert log_of(alice) == log_of(bob)
        assert [i for _, i in log_of(alice)] == list(range(root, root + 5))
        # Someone who was away replays them from node A; a page on node B is the current state.
        async with await connect(a.ws_url, room=room, since=root - 1) as late:
            await joined(late, room)
            await late.expect("Deleted", timeout=10)
            assert log_of(late) == [
                ("Chat", root),
                ("Edited", root + 2),
                ("Reaction", root + 3),
                ("Deleted", root + 4),
            ]
        await bob.send({"Type": "History", "Room": room, "Ref": "h"})
        (line,) = (await bob.expect("History", timeout=10))["Messages"]
        assert unb64(line["Message"]) == "root, edited"
        assert line["Reactions"] == [{"Emoji": "🎉", "Count": 1, "Names": [bob_person.name]}]
        assert "Replies" not in line  # its one reply was deleted: no count
        assert "Edited" in line
