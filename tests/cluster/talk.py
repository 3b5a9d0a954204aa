"""A talking client for fault tests: sends numbered lines with refs, and re-sends what was not
acknowledged after it reconnects (possibly to another node), as a careful client does."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import websockets

from .conftest import ChatClient


@dataclass
class Talker:
    name: str
    client: ChatClient
    earlier: list[ChatClient] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)

    async def run(self, stop: asyncio.Event, interval: float = 0.05) -> None:
        while not stop.is_set():
            if not self.client.closed:
                ref = f"{self.name}-{len(self.sent)}"
                self.sent.append(ref)
                await self._say(ref)
            await asyncio.sleep(interval)

    async def _say(self, ref: str) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):  # re-sent after reconnecting
            await self.client.say(f"line {ref}", ref)

    @property
    def acks(self) -> dict[str, int]:
        merged: dict[str, int] = {}
        for client in [*self.earlier, self.client]:
            merged.update(client.acks)
        return merged

    @property
    def ids(self) -> list[int]:
        """Chat IDs received over every connection of this talker, in arrival order."""
        return [i for client in [*self.earlier, self.client] for i in client.ids]

    def unacked(self) -> list[str]:
        acks = self.acks
        return [ref for ref in self.sent if ref not in acks]

    async def switch_to(self, client: ChatClient) -> None:
        """Continue on a new connection and re-send every line not acknowledged."""
        self.earlier.append(self.client)
        self.client = client
        for ref in self.unacked():
            await self._say(ref)
