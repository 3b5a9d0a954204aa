"""The admin page of a deployment: any node's overview lists every node (through PostgreSQL),
with each node's own connections and rooms, and the broker's round trip through Redis; a node
that stops drops out. Signing an account out from one node closes its connections on the other."""

from __future__ import annotations

import asyncio
from typing import Any

from accounts import call, closed_with, connect, register, unique
from helpers import Client

from .conftest import Cluster

KEY = "cluster-admin-key-0123456789"


async def overview(node: Any) -> dict[str, Any]:
    reply = await call("GET", f"{node.http_url}/api/admin/overview", bearer=KEY)
    assert reply.status == 200, reply.body
    return reply.json()  # type: ignore[no-any-return]


async def until(node: Any, done: Any, timeout: float = 15.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        numbers = await overview(node)
        if done(numbers) or asyncio.get_running_loop().time() > deadline:
            return numbers
        await asyncio.sleep(0.3)


async def test_every_node_shows_on_every_node(cluster: Cluster) -> None:
    a = await cluster.node("--api-key", KEY)
    b = await cluster.node("--api-key", KEY)
    room = unique("spread")
    on_a = [await Client.connect(a.ws_url, room=room) for _ in range(2)]
    on_b = [await Client.connect(b.ws_url, room=room) for _ in range(3)]
    try:
        for client in on_a + on_b:
            await client.expect("Joined")
        for node in (a, b):
            numbers = await until(node, lambda o: len(o["nodes"]) == 2 and o["connections"] == 5)
            assert len(numbers["nodes"]) == 2
            assert sorted(n["connections"] for n in numbers["nodes"]) == [2, 3]
            assert numbers["rooms"] == {room: 5}
            assert (numbers["connections"], numbers["members"]) == (5, 5)
            for node_numbers in numbers["nodes"]:
                assert node_numbers["store"]["healthy"]
                assert node_numbers["broker"]["healthy"]  # a PUBLISH through Redis and back
                assert node_numbers["broker"]["latency_ms"] > 0
        # An account signed out on A loses its connection on B.
        person = await register(a.http_url, unique("roamer"))
        async with await connect(b.ws_url, person=person, room=room) as roaming:
            await roaming.expect("Joined")
            accounts = await call(
                "GET", f"{a.http_url}/api/admin/accounts?search={person.name}", bearer=KEY
            )
            (account,) = accounts.json()["accounts"]
            out = f"{a.http_url}/api/admin/accounts/{account['id']}/signout"
            assert (await call("POST", out, bearer=KEY)).status == 200
            assert await closed_with(roaming, timeout=10) == 4003
    finally:
        for client in on_a + on_b:
            await client.close()
    b.stop()
    numbers = await until(a, lambda o: len(o["nodes"]) == 1, timeout=20)
    assert len(numbers["nodes"]) == 1  # B's numbers grew old and it dropped out
