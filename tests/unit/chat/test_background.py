"""Background tasks: shutdown waits for them, within its timeout."""

from __future__ import annotations

import asyncio

from roomcast.chat.background import Background


async def test_wait_waits_for_spawned_tasks_up_to_the_timeout() -> None:
    background, done, release = Background(), [], asyncio.Event()

    async def quick() -> None:
        await asyncio.sleep(0.01)
        done.append("quick")

    async def slow() -> None:
        await release.wait()
        done.append("slow")

    background.spawn(quick())
    await background.wait(1)
    assert done == ["quick"]
    background.spawn(slow())
    await asyncio.wait_for(background.wait(0.05), 1)  # gives up on the slow one
    assert done == ["quick"]
    release.set()
    await background.wait(1)
    assert done == ["quick", "slow"]
