"""Impersonation on a live server: a nickname that looks like one in use, or like a registered
user's, is refused, however it is disguised."""

from __future__ import annotations

import secrets
from typing import Any

from accounts import connect, register
from conftest import ServerProcess

DISGUISES = [
    lambda n: n.upper(),
    lambda n: n.replace("a", "\u0430"),  # Cyrillic a
    lambda n: n.replace("o", "0"),
    lambda n: n.replace("l", "I"),
    lambda n: "".join(chr(ord(c) + 0xFEE0) for c in n),  # fullwidth
    lambda n: n.replace("m", "rn"),
]


def suffix() -> str:
    """Three letters none of which any disguise touches (nor confuses with another)."""
    return "".join(secrets.choice("bcdfghjkpqstvwxz") for _ in range(3))


async def test_look_alikes_of_a_name_in_use_are_taken(server: ServerProcess) -> None:
    name = "amol" + suffix()  # each disguise changes one of a, o, l or m
    async with await connect(server.ws_url, nick=name) as molly:
        assert (await molly.expect("Status"))["Nick"] == name
        async with await connect(server.ws_url) as impostor:
            await impostor.expect("Status")
            for disguise in DISGUISES:
                fake = disguise(name)
                assert fake != name
                await impostor.send({"Type": "Nick", "Name": fake, "Ref": fake})
                refused = await impostor.expect("Error", lambda f, r=fake: f.get("Ref") == r)
                assert refused["Code"] == "nick_taken", fake
            for invisible in ("\u200b", "\u202e", "\u2066"):
                await impostor.send({"Type": "Nick", "Name": name[:2] + invisible + name[2:]})
                refused = await impostor.expect("Error")
                assert refused["Code"] == "nick_invalid"


async def test_look_alikes_of_a_registered_name_are_kept_for_its_owner(
    server: ServerProcess,
) -> None:
    name = "palomar" + suffix()
    owner = await register(server.http_url, name)
    for disguise in DISGUISES:
        async with await connect(server.ws_url, nick=disguise(name)) as impostor:
            status: dict[str, Any] = await impostor.expect("Status")
            assert status["Nick"].startswith("guest-")
            await impostor.expect("Error", lambda f: f["Code"] == "nick_registered")
    async with await connect(server.ws_url, person=owner) as real:
        assert (await real.expect("Status"))["Nick"] == name
