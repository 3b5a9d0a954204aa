"""Who is typing: ephemeral state of a room, never stored and never given an ID.

A member's ``Typing`` is published on the broker's control channel, so every node with members
in the room learns it, this one included, and applies it on its return. Each node keeps the
typers of its rooms with an expiry (``TYPING_EXPIRY`` after the last ``Typing``; at once on
``Stop``, on a line sent and on leaving) and tells its members who types now, the receiver left
out, at most once per ``TYPING_INTERVAL`` per room, and only what changed for each member.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Protocol

import orjson

from roomcast.chat.state import Member, Room
from roomcast.clock import Clock
from roomcast.wire import protocol

log = logging.getLogger(__name__)

TYPING_EXPIRY: Final = 6.0
TYPING_INTERVAL: Final = 1.0
# Every control payload of this module starts so (the channel also carries moderation's).
CONTROL_PREFIX: Final = b'{"op":"typing"'


class ControlBus(Protocol):
    def publish_control(self, room: str, payload: bytes) -> None: ...


@dataclass(slots=True)
class _RoomTyping:
    """The typers of one room (nickname -> expiry, monotonic) and what each member was told."""

    typers: dict[str, float] = field(default_factory=dict)
    told: dict[str, tuple[str, ...]] = field(default_factory=dict)
    last_flush: float = float("-inf")
    timer: asyncio.TimerHandle | None = None
    due: float = 0.0


class Typing:
    """The typing state of this node's rooms."""

    def __init__(self, bus: ControlBus, rooms: Callable[[str], Room | None], clock: Clock) -> None:
        self._bus = bus
        self._room = rooms
        self._monotonic = clock.monotonic
        self._now_ms = clock.now_ms
        self._rooms: dict[str, _RoomTyping] = {}
        # The members of this node typing now, by (room, wsid), with their nicknames: who to
        # stop on a line or a leave. Empty most of the time, which the hub checks before it
        # calls ``stopped`` on every line.
        self.typing_here: dict[tuple[str, str], str] = {}

    # -- this node's members --------------------------------------------------------------------

    def typed(self, member: Member, room: str, stop: bool) -> None:
        """``member`` sent ``Typing`` in ``room``, one of its rooms (the hub checked); a muted
        member's is dropped."""
        sub = member.place(room)
        if stop:
            self.stopped(member, room)
            return
        if sub.muted_until > self._now_ms():
            return
        self.typing_here[(room, member.wsid)] = member.nick
        self._publish(room, member.nick, stop=False)

    def stopped(self, member: Member, room: str) -> None:
        """``member`` stopped typing in ``room``: it sent a line, a Stop, or left."""
        nick = self.typing_here.pop((room, member.wsid), None)
        if nick is not None:
            self._publish(room, nick, stop=True)

    def _publish(self, room: str, nick: str, *, stop: bool) -> None:
        payload = orjson.dumps({"op": "typing", "name": nick, "stop": stop})
        assert payload.startswith(CONTROL_PREFIX)
        self._bus.publish_control(room, payload)

    # -- from every node ------------------------------------------------------------------------

    def control(self, room: str, payload: bytes) -> None:
        """A typing event about ``room`` from the control channel."""
        try:
            fields = orjson.loads(payload)
            name, stop = fields["name"], fields["stop"]
            if not isinstance(name, str) or not isinstance(stop, bool):
                raise TypeError("name and stop")
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            log.warning("typing event for %s ignored: %s", room, exc)
            return
        if self._room(room) is None:
            return
        state = self._rooms.get(room)
        if state is None:
            state = self._rooms[room] = _RoomTyping()
        if stop:
            if state.typers.pop(name, None) is None:
                return
        else:
            known = name in state.typers
            state.typers[name] = self._monotonic() + TYPING_EXPIRY
            if known:
                return  # still typing: nobody's view changes
        self._schedule(room, state)

    def _schedule(self, room: str, state: _RoomTyping) -> None:
        """Flush now if the room's last flush is old enough, else as soon as it is."""
        now = self._monotonic()
        at = max(now, state.last_flush + TYPING_INTERVAL)
        if state.timer is not None:
            if now < state.due <= at:
                return  # the timer comes soon enough
            state.timer.cancel()
            state.timer = None
        if at <= now:
            self._flush(room)
        else:
            self._flush_at(room, state, at)

    def _flush_at(self, room: str, state: _RoomTyping, at: float) -> None:
        state.due = at
        state.timer = asyncio.get_running_loop().call_later(
            at - self._monotonic(), self._flush, room
        )

    def _flush(self, room: str) -> None:
        state = self._rooms.get(room)
        live = self._room(room)
        if state is None:
            return
        state.timer = None
        if live is None:
            del self._rooms[room]
            return
        now = self._monotonic()
        for name in [name for name, until in state.typers.items() if until <= now]:
            del state.typers[name]
        state.last_flush = now
        typers = sorted(state.typers, key=str.casefold)
        for wsid, sub in live.subscriptions.items():
            names = tuple(name for name in typers if name != sub.member.nick)
            if state.told.get(wsid, ()) != names:
                state.told[wsid] = names
                sub.member.peer.send(protocol.encode_typing(room, list(names)))
        for wsid in [wsid for wsid in state.told if wsid not in live.subscriptions]:
            del state.told[wsid]
        if state.typers:
            # Look again when the first typer expires.
            self._flush_at(room, state, max(min(state.typers.values()), now + TYPING_INTERVAL))
        elif not any(state.told.values()):
            del self._rooms[room]
