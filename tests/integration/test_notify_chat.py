"""Notifications from real chat: a line that mentions an account, or a direct line, made over a
WebSocket, reaches the webhook when its person stays away; not when the person reads it in time;
and not lost when the server restarts between the line and its delivery."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from accounts import connect, joined, register, unique
from conftest import ServerProcess
from helpers import b64
from webhook_receiver import receiver

from .test_notify import SECRET, webhook_env


async def test_a_mention_of_someone_away_reaches_the_webhook(
    server_factory: Callable[..., ServerProcess],
) -> None:
    async with receiver() as rx:
        server = server_factory("--userlist-interval", "0.02", env=webhook_env(rx))
        alice = await register(server.http_url, unique("alice"))
        bob = await register(server.http_url, unique("bob"))
        room = unique("team")
        async with await connect(server.ws_url, person=bob, room=room) as bob_ws:
            await joined(bob_ws, room)
            await bob_ws.send(
                {"Message": b64(f"@{alice.name} can you look?"), "Room": room, "Ref": 1}
            )
            line = await bob_ws.expect("Ack")
            [got] = await rx.wait_for(1, 10)
        assert got.json == {
            "account": alice.name,
            "room": room,
            "id": line["ID"],
            "author": bob.name,
            "excerpt": f"@{alice.name} can you look?",
            "kind": "mention",
            "time": got.json["time"],
        }
        assert got.signed_with(SECRET)


async def test_a_line_read_in_time_is_not_sent_and_a_direct_line_survives_a_restart(
    server_factory: Callable[..., ServerProcess],
) -> None:
    async with receiver() as rx:
        env = {**webhook_env(rx), "ROOMCAST_NOTIFY_DELAY": "3"}
        server = server_factory("--userlist-interval", "0.02", env=env)
        alice = await register(server.http_url, unique("alice"))
        bob = await register(server.http_url, unique("bob"))
        room = unique("team")
        async with (
            await connect(server.ws_url, person=alice, room=room) as alice_ws,
            await connect(server.ws_url, person=bob, room=room) as bob_ws,
        ):
            await joined(alice_ws, room)
            await joined(bob_ws, room)
            await bob_ws.send({"Message": b64(f"@{alice.name} quick one"), "Room": room})
            notify = await alice_ws.expect("Notify")
            await alice_ws.send({"Type": "Read", "Room": room, "ID": notify["ID"]})
            await bob_ws.send({"Type": "Direct", "Names": [alice.name], "Ref": "d"})
            direct = (await bob_ws.expect("Room", lambda f: f.get("Ref") == "d"))["Room"]
            await bob_ws.send({"Type": "Join", "Room": direct})
            await joined(bob_ws, direct)
            await bob_ws.send({"Message": b64("are you there?"), "Room": direct, "Ref": 2})
            sent = await bob_ws.expect("Ack", lambda f: f["Ref"] == 2)
        # The server stops before the direct line falls due, and starts again.
        assert await asyncio.to_thread(server.stop) == 0
        await asyncio.to_thread(server.start)
        [got] = await rx.wait_for(1, 15)
        assert (got.json["kind"], got.json["id"], got.json["room"]) == (
            "direct",
            sent["ID"],
            direct,
        )
        await asyncio.sleep(4)  # the mention alice read is never sent
        assert len(rx.received) == 1
