"""A big room across two nodes: the user lists of both nodes are cut at ``userlist_max`` with the
room's whole Count, and ``Members`` on one node pages the members of both (the presence in
Redis)."""

from __future__ import annotations

import contextlib

from integration.support import ChatClient

from .conftest import Cluster

MOST = 3
PER_NODE = 4


async def test_members_pages_a_room_spread_over_two_nodes(cluster: Cluster) -> None:
    a = await cluster.node("--userlist-max", str(MOST))
    b = await cluster.node("--userlist-max", str(MOST))
    room = f"big-{cluster.prefix.split(':')[1]}"
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                await ChatClient.open(
                    node.ws_url, room=room, nick=f"{node_name}{i}", userlist="diff"
                )
            )
            for node_name, node in (("a", a), ("B", b))
            for i in range(PER_NODE)
        ]
        everyone = sorted((c.nick for c in clients), key=str.casefold)
        total = 2 * PER_NODE
        on_b = clients[-1]
        first = await on_b.expect("userlist", lambda f: f.get("Count") == total, timeout=15)
        assert [u["Name"] for u in first["Users"]] == everyone[:MOST]
        names: list[str] = []
        after = first["Users"][-1]["Name"]
        for _ in range(total):
            frame = {"Type": "Members", "Room": room, "After": after, "Limit": 2}
            page = await on_b.request(frame, "Members")
            assert (page["Type"], page["Count"]) == ("Members", total), page
            names += page["Names"]
            if not page["More"]:
                break
            after = page["Names"][-1]
        assert names == everyone[MOST:]
        # Node A sees the same room through the same presence.
        on_a, last = clients[0], on_b.nick
        await on_a.expect_where(
            lambda f: f.get("Count") == total or last in f.get("Joined", []), timeout=15
        )
        page = await on_a.request({"Type": "Members", "Room": room}, "Members")
        assert (page["Names"], page["More"]) == (everyone, False)
