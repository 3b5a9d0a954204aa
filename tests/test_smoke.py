"""A first end-to-end check: two members of a room chat, a third room hears nothing."""

from __future__ import annotations

from conftest import ServerProcess
from helpers import Client, unb64


async def test_room_members_chat_and_other_rooms_hear_nothing(server: ServerProcess) -> None:
    async with (
        await Client.connect(server.ws_url, room="lobby", nick="alice") as alice,
        await Client.connect(server.ws_url, room="lobby", nick="bob") as bob,
        await Client.connect(server.ws_url, room="elsewhere", nick="carol") as carol,
    ):
        await alice.expect("Status")
        await bob.expect("userlist", lambda f: len(f["Users"]) == 2)
        await alice.say("hello bob", "alice")
        for client in (alice, bob):
            chat = await client.expect("Chat")
            assert unb64(chat["Message"]) == "hello bob"
            assert chat["Author"] == "alice"
            assert chat["Room"] == "lobby"
        assert await carol.quiet("Chat") == []
