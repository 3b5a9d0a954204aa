"""Rate limits on a live server: rate_limited errors with RetryAfter, flooders disconnected."""

from __future__ import annotations

import asyncio
from typing import Any

import websockets

from helpers import Client


async def test_messages_beyond_the_budget_are_refused_and_others_are_undisturbed(
    server_factory: Any,
) -> None:
    server = server_factory("--rate-messages", "1/3", "--flood-limit", "100")
    async with (
        await Client.connect(server.ws_url, room="r", nick="flooder") as flooder,
        await Client.connect(server.ws_url, room="r", nick="calm") as calm,
    ):
        for i in range(5):
            await flooder.say(f"line {i}", Ref=i)
        acks = [await flooder.expect("Ack") for _ in range(3)]
        assert [a["Ref"] for a in acks] == [0, 1, 2]
        errors = [await flooder.expect("Error") for _ in range(2)]
        assert {e["Code"] for e in errors} == {"rate_limited"}
        assert [e["Ref"] for e in errors] == [3, 4]
        assert all(0 < e["RetryAfter"] <= 1 for e in errors)
        await calm.say("still here", Ref="c")
        assert (await calm.expect("Ack"))["Ref"] == "c"
        await asyncio.sleep(1.1)
        await flooder.say("after waiting", Ref=9)
        assert (await flooder.expect("Ack"))["Ref"] == 9


async def test_a_persistent_flooder_is_disconnected(server_factory: Any) -> None:
    server = server_factory("--rate-messages", "1/1", "--flood-limit", "5")
    async with await Client.connect(server.ws_url, room="r") as flooder:
        for i in range(20):
            try:
                await flooder.say(f"spam {i}")
            except websockets.ConnectionClosed:
                break
        await flooder.quiet("Error", seconds=1.0)
        await asyncio.wait_for(flooder.ws.wait_closed(), 5)
        assert flooder.ws.close_code == 1008


async def test_author_renames_are_budgeted_but_the_line_still_arrives(server_factory: Any) -> None:
    server = server_factory("--rate-nicks", "0.1/1")
    async with await Client.connect(server.ws_url, room="r", nick="one") as client:
        await client.say("first", "two")
        assert (await client.expect("Chat"))["Author"] == "two"
        await client.say("second", "three")
        error = await client.expect("Error")
        assert error["Code"] == "rate_limited"
        assert (await client.expect("Chat"))["Author"] == "two"
