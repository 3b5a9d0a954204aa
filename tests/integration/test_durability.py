"""An acknowledged message survives ``kill -9`` of the server, and re-sends stay idempotent.

The server is killed the moment the last awaited Ack arrives, while more lines are still in
flight, so the test catches a store that acknowledges before its commit is on disk.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
from typing import Any

import websockets

from conftest import ServerProcess

from .support import ChatClient, Names, http


async def stored(server: ServerProcess, room: str) -> dict[int, str]:
    """Every stored message of ``room`` as {id: text}, walking the REST pages back to the start."""
    messages: dict[int, str] = {}
    before = ""
    while True:
        result = await http("GET", f"{server.http_url}/api/rooms/{room}/messages?limit=200{before}")
        assert result.status == 200, result.body
        page = result.json()
        messages.update((m["id"], m["text"]) for m in page["messages"])
        if page["next_before"] is None:
            return messages
        before = f"&before={page['next_before']}"


def has_ref(ref: str, frame: dict[str, Any]) -> bool:
    return bool(frame["Ref"] == ref)


async def test_acked_messages_survive_kill_9(server_factory: Any, names: Names) -> None:
    server: ServerProcess = server_factory()
    rooms = [names.room("d") for _ in range(3)]
    clients = [await ChatClient.open(server.ws_url, room=room) for room in rooms]
    session = clients[0].status["Session"]
    acked: dict[tuple[str, int], str] = {}
    refs: dict[str, tuple[str, int]] = {}
    target = 600
    killed = asyncio.Event()
    assert server.proc is not None
    pid = server.proc.pid

    async def send_until_killed(client: ChatClient, label: str) -> None:
        """Bursts of 20 pipelined lines; after each, every Ack of the burst is recorded."""
        sent = 0
        while not killed.is_set():
            for _ in range(20):
                sent += 1
                await client.say(f"{label} {sent}", Ref=f"{label}-{sent}")
            last = f"{label}-{sent}"
            try:
                await client.expect("Ack", functools.partial(has_ref, last), timeout=30)
            except (AssertionError, websockets.ConnectionClosed):
                return  # the server is gone
            for ack in client.received("Ack"):
                acked[(ack["Room"], ack["ID"])] = f"{label} {ack['Ref'].rsplit('-', 1)[1]}"
                refs[ack["Ref"]] = (ack["Room"], ack["ID"])
            client.discard()
            if len(acked) >= target and not killed.is_set():
                # At once: this client's newest Ack was just received and the other clients
                # have bursts in flight.
                os.kill(pid, signal.SIGKILL)
                killed.set()

    senders = (send_until_killed(c, label) for c, label in zip(clients, "abc", strict=True))
    await asyncio.wait_for(asyncio.gather(*senders), 120)
    assert server.proc.wait(15) == -signal.SIGKILL
    for client in clients:
        client.ws.transport.abort()

    server.start()
    for room in rooms:
        kept = await stored(server, room)
        mine = {i: text for (r, i), text in acked.items() if r == room}
        missing = sorted(set(mine) - set(kept))
        assert not missing, f"{room}: {len(missing)} acked messages lost, e.g. {missing[:5]}"
        assert all(kept[i] == text for i, text in mine.items())
        # What is stored has no holes, acked or not.
        assert sorted(kept) == list(range(1, len(kept) + 1))

    # New messages continue the numbering; an acked line re-sent under the same session after
    # the crash gets its original Ack and is not stored again.
    async with await ChatClient.open(server.ws_url, room=rooms[0], session=session) as again:
        last = max(await stored(server, rooms[0]))
        await again.say("a 1", Ref="a-1")
        ack = await again.expect("Ack")
        assert (ack["Room"], ack["ID"]) == refs["a-1"]
        await again.say("after the crash", Ref="fresh")
        ack = await again.expect("Ack")
        assert ack["ID"] == last + 1
        chat = await again.expect("Chat", lambda f: f["ID"] > last)  # after the join backlog
        assert chat["ID"] == last + 1
        await again.barrier()
        assert [f["ID"] for f in again.unclaimed("Chat") if f["ID"] > last] == []
    assert len(await stored(server, rooms[0])) == last + 1


async def test_history_survives_a_restart(server_factory: Any, names: Names) -> None:
    server: ServerProcess = server_factory()
    room = names.room()
    async with await ChatClient.open(server.ws_url, room=room) as client:
        for i in range(30):
            await client.say(f"kept {i}", Ref=i)
        acks = [await client.expect("Ack") for _ in range(30)]
    assert server.stop() == 0
    server.start()
    async with await ChatClient.open(server.ws_url, room=room) as late:
        await late.barrier()
        backlog = late.unclaimed("Chat")
        assert [f["ID"] for f in backlog] == [a["ID"] for a in acks]
        await late.say("next")
        assert (await late.expect("Chat", lambda f: f["ID"] > 30))["ID"] == 31
