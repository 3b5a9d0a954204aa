"""Per-room ordering on this node: each event of a room's log (a line, an edit, a deletion, a
reaction) reaches each member once, in ID order.

The broker brings messages from every node; they may arrive out of order when several nodes
publish. ``delivered`` is the highest ID a room has fanned out here: the next one goes out at
once, later ones wait in ``early`` until the gap is filled, from the broker or, after
``GAP_WAIT`` seconds, from the store. Each payload is handed to the room's fan-out once and kept
for the members whose join is still replaying history, which ``release`` sends them afterwards,
skipping what their replay already covered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from roomcast.chat.background import Background
from roomcast.chat.state import Room, Subscription
from roomcast.ops.metrics import Metrics
from roomcast.store import MessageStore, StoreUnavailable
from roomcast.wire import protocol
from roomcast.wire.protocol import ChatMessage

# How long a node waits for a missing message ID from the broker before reading the store.
GAP_WAIT = 0.5
# Messages read from the store at once when catching a room up.
_BACKFILL_PAGE = 500


class Sequencer:
    """Puts the messages of this node's rooms in order and fans them out."""

    def __init__(
        self,
        store: MessageStore,
        metrics: Metrics,
        rooms: Callable[[str], Room | None],
        background: Background,
    ) -> None:
        """``rooms``: the live room of a name, None when it has no members here."""
        self._store = store
        self._metrics = metrics
        self._room = rooms
        self._background = background

    def deliver(self, room_name: str, message_id: int, payload: bytes) -> None:
        """A stored message from the broker: fan out in ID order, once for all members."""
        room = self._room(room_name)
        if room is None:
            return
        delivered = room.delivered
        if delivered is not None and message_id != delivered + 1:
            if message_id > delivered:
                room.early[message_id] = payload
                self._watch_gap(room)
            return
        self._fan_out(room, message_id, payload)
        if room.early:
            self._drain_early(room)

    def release(self, room: Room, sub: Subscription) -> int:
        """End ``sub``'s replay: send what was held that the replay did not cover; how many."""
        held, sub.held = sub.held or [], None
        released = 0
        send = sub.member.peer.send
        for message_id, payload in held:
            if message_id > sub.last_id:
                sub.last_id = message_id
                send(payload)
                released += 1
        return released

    async def backfill(self, room: Room) -> None:
        """Fetch from the store what the broker did not bring, and fan it out in order."""
        room.gap_timer = None
        while self._room(room.name) is room and room.delivered is not None:
            try:
                missed = await self._store.after(room.name, room.delivered, _BACKFILL_PAGE)
            except StoreUnavailable:
                self._watch_gap(room)
                return
            for event in missed:
                if event.id != room.delivered + 1:
                    continue
                if isinstance(event, ChatMessage) and event.deleted:
                    room.delivered = event.id  # nothing to send: its Deleted event follows
                else:
                    self._fan_out(room, event.id, protocol.encode_event(event))
            self._drain_early(room)
            if len(missed) < _BACKFILL_PAGE:
                if room.early:
                    self._watch_gap(room)
                return

    def _fan_out(self, room: Room, message_id: int, payload: bytes) -> None:
        room.delivered = message_id
        room.fanout.send(payload)
        for sub in room.replaying.values():
            assert sub.held is not None
            sub.held.append((message_id, payload))
        self._metrics.messages_delivered += len(room.fanout)

    def _drain_early(self, room: Room) -> None:
        assert room.delivered is not None
        while (payload := room.early.pop(room.delivered + 1, None)) is not None:
            self._fan_out(room, room.delivered + 1, payload)
        for stale in [i for i in room.early if i <= room.delivered]:
            del room.early[stale]
        if not room.early and room.gap_timer is not None:
            room.gap_timer.cancel()
            room.gap_timer = None

    def _watch_gap(self, room: Room) -> None:
        if room.gap_timer is None and not self._background.closing:
            room.gap_timer = asyncio.get_running_loop().call_later(
                GAP_WAIT, lambda: self._background.spawn(self.backfill(room))
            )
