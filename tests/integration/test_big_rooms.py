"""Big rooms on a real server: over ``userlist_max`` (5 here) members a joiner gets the first
names and Count, the others only what changed (the diff form) or the first names again (the
full form), and ``Members`` pages through every name exactly once; bad pages get an Error and
disturb no one."""

from __future__ import annotations

import contextlib
from typing import Any

from conftest import ServerProcess

from .support import ChatClient, Names

MOST = 5
MEMBERS = 12


def listed(frame: dict[str, Any]) -> list[str]:
    return [user["Name"] for user in frame["Users"]]


async def page_all(client: ChatClient, room: str, after: str | None, limit: int) -> list[str]:
    """Every name after ``after``, ``limit`` at a time, until a page says there is no more."""
    names: list[str] = []
    for _ in range(MEMBERS * 2):
        frame = {"Type": "Members", "Room": room, "Limit": limit}
        if after is not None:
            frame["After"] = after
        page = await client.request(frame, "Members")
        assert page["Type"] == "Members", page
        assert len(page["Names"]) <= limit
        names += page["Names"]
        if not page["More"]:
            return names
        after = page["Names"][-1]
    raise AssertionError("Members never said it was the last page")


async def test_a_join_sends_the_others_one_name_and_the_joiner_the_first_names(
    server_factory: Any, names: Names
) -> None:
    server = server_factory("--userlist-max", str(MOST), "--userlist-interval", "0.02")
    room = names.room("big")
    async with contextlib.AsyncExitStack() as stack:
        clients: list[ChatClient] = []
        for i in range(MEMBERS):
            form = "diff" if i % 2 else "full"
            nick = names.nick(f"m{i:02}")
            clients.append(await stack.enter_async_context(
                await ChatClient.open(server.ws_url, room=room, nick=nick, userlist=form)
            ))  # fmt: skip
            # Each join's flush before the next join (one flush sends to every member at once).
            await clients[0].expect(
                "userlist", lambda f: f.get("Count", len(f["Users"])) == len(clients), timeout=10
            )
        everyone = sorted((c.nick for c in clients), key=str.casefold)
        full, diff = clients[0::2], clients[1::2]
        for client in full + diff:
            await client.barrier()
            client.discard()

        newcomer = await stack.enter_async_context(
            await ChatClient.open(server.ws_url, room=room, nick=names.nick("new"), userlist="diff")
        )
        everyone = sorted([*everyone, newcomer.nick], key=str.casefold)
        first = await newcomer.expect("userlist", timeout=10)
        assert (listed(first), first["Count"]) == (everyone[:MOST], MEMBERS + 1)

        for client in diff:
            presence = await client.expect("Presence", timeout=10)
            assert (presence["Joined"], presence["Left"]) == ([newcomer.nick], [])
        for client in full:
            cut = await client.expect("userlist", lambda f: f["Count"] == MEMBERS + 1, timeout=10)
            assert listed(cut) == everyone[:MOST]
        for client in full + diff:
            await client.barrier()
            assert client.unclaimed("userlist") == client.unclaimed("Presence") == []

        # The rest of the list, three names a page: every name exactly once, in order.
        assert await page_all(newcomer, room, listed(first)[-1], 3) == everyone[MOST:]
        assert await page_all(diff[0], room, None, 200) == everyone

        # A leave: the diff form hears one name, the count goes down.
        await clients[-1].close()
        presence = await diff[0].expect("Presence", lambda f: f["Left"], timeout=10)
        assert presence["Left"] == [clients[-1].nick]
        after_leave = await newcomer.expect("Presence", lambda f: f["Left"], timeout=10)
        assert after_leave["Joined"] == []
        page = await newcomer.request({"Type": "Members", "Room": room, "Limit": 1}, "Members")
        assert page["Count"] == MEMBERS


async def test_a_room_at_the_limit_keeps_the_whole_list(server_factory: Any, names: Names) -> None:
    server = server_factory("--userlist-max", str(MOST), "--userlist-interval", "0.02")
    room = names.room("small")
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(await ChatClient.open(server.ws_url, room=room))
            for _ in range(MOST)
        ]
        last = await clients[0].expect("userlist", lambda f: len(f["Users"]) == MOST, timeout=10)
        assert set(last) == {"Type", "Room", "Users"}  # no Count: today's frame exactly


async def test_bad_members_requests_get_an_error_and_disturb_no_one(
    live: ServerProcess, names: Names
) -> None:
    room, elsewhere = names.room(), names.room("other")
    async with (
        await ChatClient.open(live.ws_url, room=room) as asker,
        await ChatClient.open(live.ws_url, room=room) as bystander,
        await ChatClient.open(live.ws_url, room=elsewhere),
    ):
        await asker.expect("userlist", lambda f: len(f["Users"]) == 2)
        for frame, code in (
            ({"Limit": 0}, "bad_field"),
            ({"Limit": 500}, "bad_field"),
            ({"After": ""}, "bad_field"),
            ({"After": 7}, "bad_field"),
            ({"Room": elsewhere}, "not_in_room"),
            ({"Room": "no such room!"}, "room_invalid"),
        ):
            error = await asker.request({"Type": "Members", "Room": room, **frame}, "Members")
            assert (error["Type"], error["Code"]) == ("Error", code), (frame, error)
        page = await asker.request({"Type": "Members", "Room": room}, "Members")
        assert (page["Count"], page["More"]) == (2, False)
        assert sorted(page["Names"]) == sorted([asker.nick, bystander.nick])
        await bystander.barrier()
        assert bystander.unclaimed("Error") == bystander.unclaimed("Members") == []
