"""``ChatClient``: one logical chat connection over aiohttp's WebSocket client that survives
reconnects (``roomcast.client.connecting.connect`` opens one).

Everything the server sends becomes a typed event (``Connected``, ``Message``, ``Edited``,
``Deleted``, ``Reaction``, ``Typing``, ``Users``, ``Joined``, ``Left``, ``NickChanged``,
``Rooms``, ``Read``, ``Notify``, ``ServerError``, ``Disconnected``); answers to requests
(``Ack``, ``History``, ``Edits``, ``Pong``, ``Blocks``, a ``Direct``'s ``Room``) resolve the
awaiting call instead. ``Inbox`` routes each frame; the calls are ``Calls``'.

Reconnecting is automatic. The client remembers its session token and the last ID it saw in each
room, of a line or of an edit, deletion or reaction (``ResumeState``); after a drop it reconnects
with ``session=`` and ``since=`` (``Join`` with ``Since`` for the other rooms), so the server
replays exactly what was missed, and it drops any ID it has already seen, so nothing arrives
twice and nothing is skipped. Requests not yet answered (``PendingRequests``: lines, edits,
deletions, reactions) are re-sent with their original ``Ref``, which the server recognises, so
each is applied once however often the connection drops. ``Typing`` is never re-sent; a read
marker set while disconnected is sent once the client is back in its rooms.

Imports aiohttp and the other ``roomcast.client`` modules.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
from yarl import URL

from roomcast.client.calls import Calls
from roomcast.client.events import (
    Attachment,
    ChatError,
    ClientClosed,
    Connected,
    Disconnected,
    Event,
    RoomState,
)
from roomcast.client.inbox import Inbox
from roomcast.client.reconnect import backoff_delay, restart_delay, worth_reconnecting
from roomcast.client.requests import PendingRequests
from roomcast.client.resume import ResumeState
from roomcast.client.uploads import http_url, upload

log = logging.getLogger(__name__)


def websocket_url(url: str) -> URL:
    """The WebSocket URL ``url`` names: ``http(s)`` becomes ``ws(s)``, no path becomes ``/ws``
    (the query, such as ``token=``, is kept); any other scheme raises ``ValueError``."""
    parsed = URL(url)
    scheme = {"http": "ws", "https": "wss"}.get(parsed.scheme, parsed.scheme)
    if scheme not in ("ws", "wss"):
        raise ValueError(f"not a WebSocket URL: {url!r}")
    if parsed.path in ("", "/"):
        parsed = parsed.with_path("/ws").with_query(parsed.query)
    return parsed.with_scheme(scheme)


class ChatClient(Calls):
    """One logical chat connection that survives reconnects. Create it with ``connect``."""

    def __init__(
        self,
        url: str,
        *,
        nick: str | None = None,
        room: str | None = None,
        session: str | None = None,
        reconnect: bool = True,
        reconnect_delay: float = 0.25,
        max_reconnect_delay: float = 10.0,
        heartbeat: float | None = 20.0,
        connect_timeout: float = 10.0,
    ) -> None:
        super().__init__(ResumeState.starting(session, nick, room), PendingRequests())
        self._url = websocket_url(url)
        self._reconnect = reconnect
        self._reconnect_delay = reconnect_delay
        self._max_reconnect_delay = max_reconnect_delay
        self._heartbeat = heartbeat
        self._connect_timeout = connect_timeout
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._outgoing: asyncio.Queue[str] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._runner: asyncio.Task[None] | None = None
        self._events: asyncio.Queue[Event | None] = asyncio.Queue()
        self._inbox = Inbox(self._state, self._requests, self._events.put_nowait)
        self._connected_once = False
        self.wsid: str | None = None

    # -- public state ---------------------------------------------------------------------------

    @property
    def nick(self) -> str | None:
        """The nickname the server gave this client (None before the first connection)."""
        return self._state.nick if self._connected_once else None

    @property
    def session(self) -> str | None:
        """The session token: pass it as ``session=`` to a later client to take this one over."""
        return self._state.session

    @property
    def rooms(self) -> list[str]:
        """The rooms this client is in (or will rejoin after a reconnect), in joining order."""
        return list(self._state.wanted)

    @property
    def closed(self) -> bool:
        """True once the client is closed (by ``aclose`` or by the server, for good): its calls
        raise ``ClientClosed`` from then on."""
        return self._closed

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    @property
    def person_rooms(self) -> tuple[RoomState, ...]:
        """The person's rooms as the server last listed them (its last ``Rooms`` event; empty
        before one, and always for a guest without a session). Not kept up to date between
        two: ``Message``, ``Read`` and ``Notify`` events say what changed since."""
        return self._inbox.person_rooms

    def last_id(self, room: str) -> int:
        """The newest ID of ``room`` (a line's or an event's) this client has seen (0: none)."""
        return self._state.last_ids.get(room, 0)

    async def upload(
        self,
        room: str,
        content: bytes | str | Path,
        *,
        name: str | None = None,
        type: str | None = None,
    ) -> Attachment:
        """Upload a file (bytes, or a path, streamed) to ``room`` under this client's session,
        for a line to attach: ``send("", room, attachments=[await chat.upload(...)])``.
        ``name`` defaults to the path's, ``type`` to what the name suggests. Raises
        ``ChatError`` when the server refuses it (``too_large``, ``quota_exceeded``, ...)."""
        session = self._state.session
        if self._http is None or session is None:
            raise ClientClosed("the client is not connected")
        return await upload(self._http, http_url(self._url), room, session, content, name, type)

    # -- lifecycle ------------------------------------------------------------------------------

    async def open(self) -> ChatClient:
        """Connect for the first time; raises when the server cannot be reached or refuses."""
        if self._http is None:
            self._http = aiohttp.ClientSession()
        try:
            await self._connect()
        except BaseException:
            await self._http.close()
            self._http = None
            raise
        self._runner = asyncio.get_running_loop().create_task(self._run())
        return self

    async def aclose(self) -> None:
        """Close the connection and end the event stream; pending calls raise ``ClientClosed``."""
        if self._closed:
            return
        self._closed = True
        if self._ws is not None:
            await self._ws.close()
        for task in (self._runner, self._writer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._requests.fail_all(ClientClosed("the client is closed"))
        if self._http is not None:
            await self._http.close()
        self._events.put_nowait(None)

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            event = await self._events.get()
            if event is None:
                self._events.put_nowait(None)  # every later iteration ends at once too
                return
            yield event

    async def next_event(self, timeout: float | None = None) -> Event:
        """The next event; ``TimeoutError`` after ``timeout`` s, ``ClientClosed`` at the end."""
        event = await asyncio.wait_for(self._events.get(), timeout)
        if event is None:
            self._events.put_nowait(None)
            raise ClientClosed("the client is closed")
        return event

    def _send_frame(self, frame: dict[str, Any]) -> bool:
        """Queue a frame for the current connection; False when there is none."""
        if self._ws is None or self._ws.closed:
            return False
        self._outgoing.put_nowait(json.dumps(frame))
        return True

    @staticmethod
    async def _write(ws: aiohttp.ClientWebSocketResponse, outgoing: asyncio.Queue[str]) -> None:
        """Write queued frames in order. A failed write means the connection is going down: the
        reader notices and reconnects, and every unanswered request is written again then."""
        with contextlib.suppress(ConnectionError, aiohttp.ClientError):
            while True:
                await ws.send_str(await outgoing.get())

    # -- connection -----------------------------------------------------------------------------

    async def _connect(self) -> None:
        assert self._http is not None
        query, room, wanted = self._state.connect_query()
        resumed = self._state.session is not None
        ws = await asyncio.wait_for(
            self._http.ws_connect(
                self._url.update_query(query),
                heartbeat=self._heartbeat,
                timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
                max_msg_size=0,
            ),
            self._connect_timeout,
        )
        try:
            status = await self._handshake(ws)
        except BaseException:
            await ws.close()
            raise
        state = self._state
        state.session = status["Session"]
        state.nick = status["Nick"]
        state.account = status.get("User")
        self.wsid = status["WSID"]
        self._connected_once = True
        self._ws = ws
        if self._writer is not None:
            self._writer.cancel()
        self._outgoing = asyncio.Queue()
        self._writer = asyncio.get_running_loop().create_task(self._write(ws, self._outgoing))
        self._events.put_nowait(
            Connected(
                status["WSID"],
                status["Nick"],
                status["Room"],
                status["Session"],
                status.get("Version", ""),
                resumed,
                state.account,
            )
        )
        rejoin = state.rejoin_frames(room, wanted) + state.held_read_frames()
        for frame in rejoin + self._requests.frames():
            self._send_frame(frame)

    async def _handshake(self, ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
        """Read up to the ``Status`` frame; an ``Error`` then a close means we were refused."""
        refusal: dict[str, Any] | None = None
        while True:
            message = await ws.receive(timeout=self._connect_timeout)
            if message.type is not aiohttp.WSMsgType.TEXT:
                if refusal is not None:
                    raise ChatError(refusal.get("Code", "error"), refusal.get("Message", ""))
                raise ConnectionError(f"the server closed the connection ({ws.close_code})")
            frame = json.loads(message.data)
            kind = frame.get("Type")
            if kind == "Status":
                return dict(frame)
            if kind == "Error":
                refusal = frame
                self._inbox.dispatch(frame)

    async def _run(self) -> None:
        """Read frames; when the connection drops, reconnect with resume until closed."""
        while not self._closed:
            ws = self._ws
            assert ws is not None
            close_reason = ""
            while True:
                message = await ws.receive()
                if message.type is aiohttp.WSMsgType.TEXT:
                    try:
                        frame = json.loads(message.data)
                    except ValueError:
                        continue
                    if isinstance(frame, dict):
                        self._inbox.dispatch(frame)
                elif message.type is aiohttp.WSMsgType.CLOSE:
                    close_reason = str(message.extra or "")
                    break
                elif message.type is not aiohttp.WSMsgType.BINARY:
                    break
            if self._closed:
                return
            code = ws.close_code
            reason = str(ws.exception() or "") if code is None else close_reason
            again = self._reconnect and worth_reconnecting(code)
            self._events.put_nowait(Disconnected(code, reason, again))
            if not again:
                await self._end(code)
                return
            await self._reconnect_until_up(restart_delay(code, reason))

    async def _end(self, code: int | None) -> None:
        """The connection is gone for good: fail what waits and end the event stream."""
        self._ws = None
        self._closed = True
        self._requests.fail_all(ClientClosed(f"connection closed ({code})"))
        self._events.put_nowait(None)
        if self._http is not None:
            await self._http.close()

    async def _reconnect_until_up(self, first_wait: float | None) -> None:
        """Try to connect again, waiting longer after each failure, until up or closed; the
        first attempt waits ``first_wait`` seconds when the server gave a retry hint."""
        attempt = 0
        while not self._closed:
            if attempt == 0 and first_wait is not None:
                await asyncio.sleep(first_wait)
            else:
                await asyncio.sleep(
                    backoff_delay(attempt, self._reconnect_delay, self._max_reconnect_delay)
                )
            attempt += 1
            try:
                await self._connect()
            except (aiohttp.ClientError, OSError, TimeoutError, ChatError) as exc:
                log.info("reconnect to %s failed: %s", self._url, exc)
                continue
            return
