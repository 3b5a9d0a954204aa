"""Script: sources read from the shipped .lua files, named by SHA1; every shipped file compiles."""

from __future__ import annotations

import hashlib
from importlib import resources

import redis.asyncio as aioredis

from roomcast.redis.scripts import Script

LUA = resources.files("roomcast.redis").joinpath("lua")
SHIPPED = sorted(entry.name.removesuffix(".lua") for entry in LUA.iterdir())


def test_a_script_is_named_by_the_sha1_of_its_source() -> None:
    script = Script("return 1")
    assert script.source == b"return 1"
    assert script.sha == hashlib.sha1(b"return 1").hexdigest().encode()


def test_files_are_joined_in_the_order_given() -> None:
    prelude = LUA.joinpath("prelude.lua").read_bytes()
    claim = LUA.joinpath("claim.lua").read_bytes()
    assert Script.from_files("prelude", "claim").source == prelude + claim


async def test_every_shipped_script_compiles_after_the_prelude(admin: aioredis.Redis) -> None:
    """SCRIPT LOAD compiles without running: each file, with the prelude before it."""
    assert "prelude" in SHIPPED
    assert len(SHIPPED) > 1
    for name in SHIPPED:
        script = Script.from_files("prelude", name) if name != "prelude" else Script("")
        assert await admin.script_load(script.source) == script.sha.decode()
