"""History: paging backwards, the backlog on join, and resuming exactly where a client left off.

The resume tests check the whole sequence of IDs a client receives: it must be contiguous (no
gap) and strictly increasing (no duplicate), also while another client keeps sending during the
replay, which is when a join has to stitch stored history to live fan-out.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from conftest import ServerProcess
from helpers import unb64

from .support import ChatClient, Names

CHAT_KEYS = {"Type", "Message", "Author", "Room", "WSID", "Sent", "ID", "Time"}


async def fill(client: ChatClient, count: int, prefix: str = "m") -> list[int]:
    """Send ``count`` lines to the client's room; return their IDs once all came back."""
    for i in range(count):
        await client.say(f"{prefix}{i + 1}")
    return [f["ID"] for f in await client.chats(count, timeout=20)]


async def backlog_after_join(client: ChatClient, room: str) -> list[int]:
    """The Chat IDs of ``room`` that arrived before a barrier (the backlog of a join)."""
    await client.barrier()
    return [f["ID"] for f in client.unclaimed("Chat") if f["Room"] == room]


def assert_contiguous(ids: list[int]) -> None:
    gaps = [(a, b) for a, b in itertools.pairwise(ids) if b != a + 1]
    assert not gaps, f"not contiguous at {gaps[:5]} (of {len(ids)} ids from {ids[0]})"


async def test_history_pages_backwards(live: ServerProcess, names: Names) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as client:
        assert await fill(client, 25) == list(range(1, 26))
        page = await client.request({"Type": "History", "Limit": 10, "Ref": "p1"}, "History")
        assert page["Ref"] == "p1"
        assert page["Room"] == room
        assert [m["ID"] for m in page["Messages"]] == list(range(16, 26))
        assert page["More"] is True
        assert all(set(m) == CHAT_KEYS for m in page["Messages"])
        assert [unb64(m["Message"]) for m in page["Messages"][:2]] == ["m16", "m17"]
        page = await client.request({"Type": "History", "Before": 16, "Limit": 10}, "History")
        assert [m["ID"] for m in page["Messages"]] == list(range(6, 16))
        assert page["More"] is True
        page = await client.request({"Type": "History", "Before": 6, "Limit": 10}, "History")
        assert [m["ID"] for m in page["Messages"]] == list(range(1, 6))
        assert page["More"] is False
        page = await client.request({"Type": "History", "Before": 1}, "History")
        assert (page["Messages"], page["More"]) == ([], False)
        # Without Limit a page holds up to 50; an exact fit says More false.
        page = await client.request({"Type": "History"}, "History")
        assert [m["ID"] for m in page["Messages"]] == list(range(1, 26))
        assert page["More"] is False
        page = await client.request({"Type": "History", "Limit": 25}, "History")
        assert page["More"] is False
        page = await client.request({"Type": "History", "Limit": 24}, "History")
        assert page["More"] is True


async def test_history_of_a_named_room_and_bad_paging_values(
    live: ServerProcess, names: Names
) -> None:
    first, second = names.room(), names.room()
    async with await ChatClient.open(live.ws_url, room=first) as client:
        await client.request({"Type": "Join", "Room": second}, "Joined")
        await client.say("in second", Room=second)
        await client.expect("Chat")
        page = await client.request({"Type": "History", "Room": second}, "History")
        assert [unb64(m["Message"]) for m in page["Messages"]] == ["in second"]
        page = await client.request({"Type": "History"}, "History")
        assert (page["Room"], page["Messages"]) == (first, [])
        for bad in (
            {"Limit": 0},
            {"Limit": 201},
            {"Limit": "10"},
            {"Limit": 1.5},
            {"Before": 0},
            {"Before": "9"},
            {"Before": -3},
        ):
            answer = await client.request({"Type": "History", **bad}, "History")
            assert (answer["Type"], answer["Code"]) == ("Error", "bad_field"), bad
        page = await client.request({"Type": "History", "Limit": 200}, "History")
        assert page["Type"] == "History"


async def test_join_sends_the_last_50_messages_then_live(live: ServerProcess, names: Names) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as writer:
        await fill(writer, 60)
        late = await ChatClient.open(live.ws_url, room=room)
        assert late.joined is not None
        assert late.joined["LastID"] == 60
        assert await backlog_after_join(late, room) == list(range(11, 61))
        await writer.say("live")
        live_chat = await late.expect("Chat", lambda f: f["ID"] == 61)
        assert unb64(live_chat["Message"]) == "live"
        # Joining by Join from another room gets the same backlog.
        roamer = await ChatClient.open(live.ws_url, room=names.room())
        joined = await roamer.request({"Type": "Join", "Room": room}, "Joined")
        assert joined["LastID"] == 61
        assert await backlog_after_join(roamer, room) == list(range(12, 62))
        await late.barrier()
        assert [f["ID"] for f in late.unclaimed("Chat")] == list(range(11, 61))
        await late.close()
        await roamer.close()


@pytest.mark.parametrize(("setting", "expected"), [("5", 5), ("0", 0)])
async def test_backlog_size_is_configurable(
    server_factory: Any, names: Names, setting: str, expected: int
) -> None:
    server = server_factory("--history-on-join", setting)
    room = names.room()
    async with await ChatClient.open(server.ws_url, room=room) as writer:
        await fill(writer, 12)
        async with await ChatClient.open(server.ws_url, room=room) as late:
            assert await backlog_after_join(late, room) == list(range(13 - expected, 13))


async def test_resume_by_url_replays_exactly_the_missed_messages(
    live: ServerProcess, names: Names
) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as writer:
        reader = await ChatClient.open(live.ws_url, room=room)
        await fill(writer, 5)
        seen = [f["ID"] for f in await reader.chats(5)]
        await reader.close()
        await fill(writer, 7, prefix="missed")
        back = await ChatClient.open(live.ws_url, room=room, since=seen[-1])
        replay = [f for f in await back.chats(7)]
        assert [f["ID"] for f in replay] == list(range(6, 13))
        assert [unb64(f["Message"]) for f in replay] == [f"missed{i}" for i in range(1, 8)]
        await writer.say("live again")
        assert (await back.expect("Chat"))["ID"] == 13
        await back.barrier()
        assert back.unclaimed("Chat") == []
        await back.close()


async def test_resume_by_join_since(live: ServerProcess, names: Names) -> None:
    room = names.room()
    async with (
        await ChatClient.open(live.ws_url, room=room) as writer,
        await ChatClient.open(live.ws_url, room=names.room()) as roamer,
    ):
        await fill(writer, 9)
        joined = await roamer.request({"Type": "Join", "Room": room, "Since": 4}, "Joined")
        assert (joined["Type"], joined["LastID"]) == ("Joined", 9)
        assert await backlog_after_join(roamer, room) == [5, 6, 7, 8, 9]
        # Since 0 replays everything; Since beyond the end replays nothing.
        await roamer.request({"Type": "Leave", "Room": room}, "Left")
        await roamer.request({"Type": "Join", "Room": room, "Since": 0}, "Joined")
        await roamer.barrier()
        assert [f["ID"] for f in roamer.unclaimed("Chat")] == [5, 6, 7, 8, 9, *range(1, 10)]
        roamer.discard()
        await roamer.request({"Type": "Leave", "Room": room}, "Left")
        await roamer.request({"Type": "Join", "Room": room, "Since": 500}, "Joined")
        assert await backlog_after_join(roamer, room) == []
        await writer.say("next")
        assert (await roamer.expect("Chat"))["ID"] == 10


async def test_resume_beyond_the_limit_says_truncated(server_factory: Any, names: Names) -> None:
    server = server_factory("--resume-limit", "5")
    room = names.room()
    async with await ChatClient.open(server.ws_url, room=room) as writer:
        await fill(writer, 20)
        back = await ChatClient.open(server.ws_url, room=room, since=2, joined=False)
        joined = await back.expect("Joined")
        assert joined["Truncated"] is True
        assert joined["LastID"] == 20
        assert await backlog_after_join(back, room) == [3, 4, 5, 6, 7]
        await back.close()


class Pump:
    """A sender that keeps sending to a room until stopped (five lines, their Ack, a pause), or
    sends one burst on demand.

    The pause keeps each pump near 500 lines a second: fast enough that replays and live fan-out
    overlap, slow enough that a resume never exceeds the server's resume limit. Bursts are fired
    just as a watcher rejoins, so that commits land while the server is reading its backlog.
    """

    def __init__(self, client: ChatClient) -> None:
        self.client = client
        self.last_acked = 0
        self.progress = asyncio.Event()
        self._sent = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def burst(self, count: int, until: asyncio.Event | None = None, most: int = 0) -> None:
        """Send ``count`` lines, and up to ``most`` until ``until`` is set, without waiting for
        anything; then wait for the Ack of the last one."""
        sent = 0
        while sent < count or (until is not None and not until.is_set() and sent < most):
            sent += 1
            self._sent += 1
            await self.client.say(f"pump {self._sent}", Ref=self._sent)
            if self._sent % 5 == 0:
                await asyncio.sleep(0)
        last = self._sent
        ack = await self.client.expect("Ack", lambda f: f["Ref"] == last, timeout=20)
        self.last_acked = max(self.last_acked, ack["ID"])
        self.client.discard()
        self.progress.set()
        self.progress.clear()

    async def _run(self) -> None:
        while not self._stop.is_set():
            await self.burst(5)
            await asyncio.sleep(0.01)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def until(self, message_id: int, timeout: float = 30.0) -> None:
        """Wait until the pump has had ``message_id`` acknowledged."""
        async with asyncio.timeout(timeout):
            while self.last_acked < message_id:
                assert self._task is not None
                if self._task.done():
                    self._task.result()
                await asyncio.wait_for(self.progress.wait(), timeout)

    async def stop(self) -> int:
        """Stop and return the ID of the last message sent."""
        self._stop.set()
        if self._task is not None:
            await asyncio.wait_for(self._task, 30)
        return self.last_acked

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()


@pytest.mark.parametrize("mode", ["url", "join", "fresh"])
async def test_rejoin_while_others_keep_sending_has_no_gap_and_no_duplicate(
    live: ServerProcess, names: Names, mode: str
) -> None:
    """A watcher leaves and comes back 16 times while two pumps send without pause, and a third
    sender sends as fast as it can (up to 150 lines) from just before each rejoin until the join
    is answered.

    ``url`` resumes with ``since=`` in the URL and ``join`` with a Join Since from another room:
    everything received, across all connections, must be exactly 1, 2, 3, ... ``fresh`` joins
    without Since: each connection gets the last 50 and then live messages, contiguously.
    """
    room = names.room()
    senders = [await ChatClient.open(live.ws_url, room=room) for _ in range(3)]
    watcher = await ChatClient.open(live.ws_url, room=room)
    pumps = [Pump(sender) for sender in senders]
    burster = pumps.pop()
    for pump in pumps:
        pump.start()
    received: list[int] = []
    lowest_start = 1
    try:
        for cycle in range(16):
            # Live phase: at least 20 more messages on this connection.
            target = (received[-1] if received else 0) + 20
            received += await watcher.chat_ids_until(target, room)
            assert received[0] >= lowest_start
            assert_contiguous(received)
            last_seen = received[-1]
            # Leave: cleanly, or by losing the TCP connection.
            if cycle % 2:
                watcher.ws.transport.abort()
            else:
                await watcher.close()
            # Away: the room moves on by at least 30 messages.
            await pumps[cycle % 2].until(last_seen + 30)
            rejoined = asyncio.Event()
            if mode == "join":
                watcher = await ChatClient.open(live.ws_url, room=names.room("lobby"))
            burst = asyncio.get_running_loop().create_task(burster.burst(20, rejoined, 150))
            if mode == "url":
                watcher = await ChatClient.open(live.ws_url, room=room, since=last_seen)
            elif mode == "join":
                await watcher.send({"Type": "Join", "Room": room, "Since": last_seen})
                await watcher.expect("Joined", lambda f: f["Room"] == room)
            else:
                watcher = await ChatClient.open(live.ws_url, room=room)
                assert watcher.joined is not None
                last_id = watcher.joined["LastID"]
                assert last_id >= last_seen + 30
                # The backlog is the newest 50 when it is read, which is at least that.
                received, lowest_start = [], last_id - 49
            rejoined.set()
            await burst
        final = max([await pump.stop() for pump in [*pumps, burster]])
        received += await watcher.chat_ids_until(final, room)
        assert received[0] >= lowest_start
        assert_contiguous(received)
        assert received[-1] == final
        if mode != "fresh":
            assert received == list(range(1, final + 1))
    finally:
        for pump in pumps:
            pump.cancel()
        for client in (watcher, *senders):
            await client.close()


async def test_history_right_after_lines_holds_them(live: ServerProcess, names: Names) -> None:
    """A History request sent straight after chat lines, without waiting for them, holds them:
    the store answers a read only after every line submitted before it is stored."""
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as client:
        for round_ in range(2):  # 24 lines: within the default rate limit's burst
            for i in range(12):
                await client.say(f"r{round_}-{i}")
            page = await client.request({"Type": "History", "Limit": 12}, "History")
            texts = [unb64(m["Message"]) for m in page["Messages"]]
            assert texts == [f"r{round_}-{i}" for i in range(12)]
        assert client.received("Error") == []
