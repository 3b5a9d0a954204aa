"""Moderation across nodes: a ban given on one node holds on every node.

The moderator is on node A, the guest on node B: only B knows the guest's address, so B records
the ban; A must learn of it too, or the guest could come back through A.
"""

from __future__ import annotations

from accounts import call, closed_with, connect, joined, register, unique

from .conftest import Cluster


async def test_a_ban_reaches_the_node_of_the_banned_and_holds_on_all(cluster: Cluster) -> None:
    a, b = await cluster.node(), await cluster.node()
    room = unique("hall")
    owner = await register(a.http_url, unique("owner"))
    created = await call(
        "POST", f"{a.http_url}/api/rooms", body={"room": room}, cookie=owner.cookie
    )
    assert created.status == 201
    async with await connect(a.ws_url, person=owner, room=room) as moderator:
        await joined(moderator, room)
        async with await connect(b.ws_url, room=room, nick=unique("troll")) as troll:
            nick = (await troll.expect("Status"))["Nick"]
            await joined(troll, room)
            await moderator.send({"Type": "Ban", "Room": room, "Name": nick, "Reason": "spam"})
            await moderator.expect("Moderated")
            kicked = await troll.expect("Kicked", timeout=10)
            assert (kicked["Banned"], kicked["By"]) == (True, owner.name)
        for node in (b, a):
            async with await connect(node.ws_url, room=room, nick=unique("again")) as again:
                assert (await again.expect("Error", timeout=10))["Code"] == "banned"
                assert await closed_with(again) == 1008
        # A message deleted on A disappears on B (for an account: guests of 127.0.0.1 are banned).
        member = await register(b.http_url, unique("reader"))
        async with await connect(b.ws_url, person=member, room=room) as reader:
            await joined(reader, room)
            await moderator.say("oops", Room=room, Ref="x")
            message_id = (await moderator.expect("Ack"))["ID"]
            await reader.expect("Chat", timeout=10)
            await moderator.send({"Type": "Delete", "Room": room, "ID": message_id})
            deleted = await reader.expect("Deleted", timeout=10)
            assert deleted["Target"] == message_id
