"""Redis presence: nicknames and room members shared by every node of a deployment.

Each node writes only its own entries and keeps a copy of them in memory. Entries carry no TTL of
their own: a node is alive while its deadline in the ``nodes`` sorted set lies in the future, and
a heartbeat pushes the deadline ``ttl`` seconds ahead every ``ttl / 3`` seconds. Readers skip the
entries of nodes whose deadline has passed, and the next heartbeat of any live node deletes them
and signals every room they were in, so a node that died without a word (``kill -9``) leaves the
user lists within ``ttl`` plus one heartbeat.

Keys, under a configurable prefix (``roomcast:``):

- ``nodes``: sorted set, node ID -> deadline (Unix ms, Redis clock)
- ``nicks``: hash, nickname key -> ``"<node> <owner>"``
- ``node:<node>:nicks``: hash, nickname key -> owner (what to free when the node dies)
- ``node:<node>:rooms``: set of the rooms where the node has members
- ``room:<room>:nodes``: set of the nodes that have members in the room
- ``room:<room>:<node>``: hash, owner -> display name

Every change is one Lua script (``roomcast/redis/lua/*.lua``), so it is atomic. Scripts that
publish a room's presence signal use the channel and payload of ``roomcast.redis.names``. A leave
publishes the signal from inside its script, so a departure is heard even after the node's broker
has stopped (as in a graceful shutdown, when connections close last).

When Redis cannot be reached, calls answer from the in-memory copy (nicknames are then unique only
on this node, and user lists show this node's members plus what was last seen of the others) and
the node writes its whole copy back as soon as Redis answers again, also after Redis restarted
empty or another node reaped this one after a long stall.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

import hiredis

from roomcast.outage import OutageLog
from roomcast.presence.base import PresenceState
from roomcast.redis.address import RedisAddress
from roomcast.redis.client import RedisClient
from roomcast.redis.connection import TIMEOUT
from roomcast.redis.names import DEFAULT_PREFIX, NO_NODE, new_node_id
from roomcast.redis.scripts import Script

log = logging.getLogger(__name__)

# How often a node that could not reach Redis tries again to write its entries back.
RETRY_INTERVAL: Final = 0.5
# What a call raises when Redis cannot answer it: the presence then answers from its own copy.
_UNREACHABLE: Final = (ConnectionError, TimeoutError, OSError, hiredis.ReplyError)
# Entries written back per script call, so one call never holds Redis for long.
SYNC_CHUNK: Final = 500

# The Lua script of each change, by name, and the files in roomcast/redis/lua/ it is made of.
_SCRIPT_FILES: Final = {
    "heartbeat": ("prelude", "heartbeat"),
    "claim": ("prelude", "claim"),
    "release": ("release",),
    "nick_owner": ("prelude", "nick_owner"),
    "join": ("join",),
    "leave": ("leave",),
    "others": ("prelude", "others"),
    "counts": ("prelude", "counts"),
    "sync_room": ("sync_room",),
    "sync_rooms": ("sync_rooms",),
    "sync_nicks": ("prelude", "sync_nicks"),
}


class RedisPresence:
    """A ``Presence`` in Redis, for any number of nodes.

    ``ttl`` is how long (seconds) a silent node's members stay listed. The heartbeat starts with
    the first call; ``close()`` removes the node's entries at once. ``timeout`` bounds every call
    to Redis (``broker_timeout``): a call Redis does not answer in time answers from the copy.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        ttl: float = 15.0,
        node: str | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        self.prefix = prefix
        self.ttl = ttl
        self.node = node or new_node_id()
        # One pipelined connection: a burst of joins costs one write each, no pool to run dry,
        # and Redis applies this node's changes in the order they were made.
        self._client = RedisClient(
            RedisAddress.from_url(url),
            name=b"roomcast-%s-presence" % self.node.encode(),
            timeout=timeout,
        )
        self._scripts = {name: Script.from_files(*files) for name, files in _SCRIPT_FILES.items()}
        # This node's own entries: nickname key -> owner; room -> owner -> name.
        self._nicks: dict[str, str] = {}
        self._rooms: dict[str, dict[str, str]] = {}
        # The names other nodes had in each room when Redis last answered.
        self._others: dict[str, list[str]] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        self._registered: asyncio.Future[None] | None = None
        self._out_of_sync = False
        self._outage = OutageLog(
            "Redis presence", log, counted="calls answered from this node's copy"
        )

    @property
    def state(self) -> PresenceState:
        return "degraded" if self._out_of_sync else "ok"

    # -- lifecycle ------------------------------------------------------------------------------

    async def _ready(self) -> None:
        """Register this node and start the heartbeat, once (at the first call)."""
        if self._registered is None:
            self._registered = asyncio.get_running_loop().create_future()
            self._client.start()
            self._heartbeat = asyncio.create_task(self._beat(), name="roomcast-presence")
        await asyncio.shield(self._registered)

    async def close(self) -> None:
        """Stop the heartbeat and remove this node's entries (signalling its rooms)."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
            self._heartbeat = None
        try:
            await self._run("sync_nicks", self.node, "1")
            await self._run("sync_rooms", self.node)
            await self._client.call(b"ZREM", self.prefix + "nodes", self.node)
        except _UNREACHABLE as exc:
            log.warning("could not remove this node's presence from Redis: %s", exc)
        await self._client.stop()

    async def _beat(self) -> None:
        assert self._registered is not None
        interval = self.ttl / 3
        await self._client.wait_connected(self._client.timeout)
        while True:
            try:
                known = await self._run("heartbeat", self.node, int(self.ttl * 1000), NO_NODE)
                if (not known and self._registered.done()) or self._out_of_sync:
                    await self._write_back()
                self._outage.ok()
            except _UNREACHABLE as exc:
                self._failed(exc)
            if not self._registered.done():
                # Serve calls even when Redis is down at start; they answer from memory.
                self._registered.set_result(None)
            await asyncio.sleep(RETRY_INTERVAL if self._out_of_sync else interval)

    async def _write_back(self) -> None:
        """Write every entry of this node to Redis again: it lost them, or missed some.

        Each chunk is taken from the in-memory copy as it is when the chunk is written, and the
        one connection keeps commands in order, so changes made meanwhile are never undone.
        """
        self._out_of_sync = False
        keys = list(self._nicks)
        for start in range(0, max(len(keys), 1), SYNC_CHUNK):
            chunk = [
                item
                for key in keys[start : start + SYNC_CHUNK]
                if key in self._nicks
                for item in (key, self._nicks[key])
            ]
            lost = await self._run("sync_nicks", self.node, "1" if start == 0 else "0", *chunk)
            if lost:
                log.warning("nicknames taken by another node while Redis was unreachable: %s", lost)
        await self._run("sync_rooms", self.node, *self._rooms)
        for room in list(self._rooms):
            owners = list(self._rooms.get(room, ()))
            first = "1"  # the first chunk written replaces what Redis had
            for start in range(0, len(owners), SYNC_CHUNK):
                members = self._rooms.get(room, {})
                chunk = [
                    item
                    for owner in owners[start : start + SYNC_CHUNK]
                    if owner in members
                    for item in (owner, members[owner])
                ]
                if chunk:
                    await self._run("sync_room", self.node, room, first, *chunk)
                    first = "0"
        log.info("presence written back: %d nicknames, %d rooms", len(keys), len(self._rooms))

    async def _run(self, script: str, *args: bytes | str | int) -> Any:
        return await self._client.run(self._scripts[script], self.prefix, *args)

    def _failed(self, exc: BaseException) -> None:
        self._out_of_sync = True
        log.debug("Redis presence call failed, answered from this node's copy: %s", exc)
        self._outage.failed(exc)

    # -- Presence -------------------------------------------------------------------------------

    async def claim_nick(self, key: str, owner: str) -> bool:
        await self._ready()
        holder = self._nicks.get(key)
        if holder is not None and holder != owner:
            return False
        try:
            claimed = bool(await self._run("claim", self.node, key, owner))
        except _UNREACHABLE as exc:
            self._failed(exc)
            claimed = True
        if claimed:
            self._nicks[key] = owner
        return claimed

    async def release_nick(self, key: str, owner: str) -> None:
        await self._ready()
        if self._nicks.get(key) == owner:
            del self._nicks[key]
        try:
            await self._run("release", self.node, key, owner)
        except _UNREACHABLE as exc:
            self._failed(exc)

    async def nick_owner(self, key: str) -> str | None:
        await self._ready()
        try:
            owner: str | None = await self._run("nick_owner", key)
        except _UNREACHABLE as exc:
            self._failed(exc)
            return self._nicks.get(key)
        return owner

    async def join(self, room: str, owner: str, name: str) -> None:
        await self._ready()
        self._rooms.setdefault(room, {})[owner] = name
        try:
            await self._run("join", self.node, room, owner, name)
        except _UNREACHABLE as exc:
            self._failed(exc)

    async def leave(self, room: str, owner: str) -> None:
        await self._ready()
        members = self._rooms.get(room)
        if members is None or members.pop(owner, None) is None:
            return
        if not members:
            del self._rooms[room]
            self._others.pop(room, None)
        try:
            await self._run("leave", self.node, room, owner)
        except _UNREACHABLE as exc:
            self._failed(exc)

    async def members(self, room: str) -> list[str]:
        await self._ready()
        try:
            others: list[str] = await self._run("others", self.node, room)
            if room in self._rooms:
                self._others[room] = others
        except _UNREACHABLE as exc:
            self._failed(exc)
            others = self._others.get(room, [])
        names = [*others, *self._rooms.get(room, {}).values()]
        return sorted(names, key=str.casefold)

    async def counts(self) -> dict[str, int]:
        await self._ready()
        try:
            flat = await self._run("counts")
        except _UNREACHABLE as exc:
            self._failed(exc)
            return {room: len(members) for room, members in self._rooms.items()}
        return {flat[i]: int(flat[i + 1]) for i in range(0, len(flat), 2)}
