"""``ChatClient``: one logical chat connection over aiohttp's WebSocket client that survives
reconnects (``roomcast.client.connecting.connect`` opens one).

Everything the server sends becomes a typed event (``Connected``, ``Message``, ``Edited``,
``Deleted``, ``Reaction``, ``Typing``, ``Users``, ``Joined``, ``Left``, ``NickChanged``,
``ServerError``, ``Disconnected``); answers to requests (``Ack``, ``History``, ``Edits``,
``Pong``) resolve the awaiting call instead. ``Inbox`` routes each frame.

Reconnecting is automatic. The client remembers its session token and the last ID it saw in each
room, of a line or of an edit, deletion or reaction (``ResumeState``); after a drop it reconnects
with ``session=`` and ``since=`` (``Join`` with ``Since`` for the other rooms), so the server
replays exactly what was missed, and it drops any ID it has already seen, so nothing arrives
twice and nothing is skipped. Requests not yet answered (``PendingRequests``: lines, edits,
deletions, reactions) are re-sent with their original ``Ref``, which the server recognises, so
each is applied once however often the connection drops. ``Typing`` is never re-sent.

Imports aiohttp, ``roomcast.wire.protocol`` and the other ``roomcast.client`` modules.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import aiohttp
from yarl import URL

from roomcast.client.events import (
    ChatError,
    ClientClosed,
    Connected,
    Disconnected,
    EditHistory,
    Event,
    HistoryPage,
    Joined,
)
from roomcast.client.frames import edit_history_from_frame, page_from_frame
from roomcast.client.inbox import Inbox
from roomcast.client.reconnect import backoff_delay, worth_reconnecting
from roomcast.client.requests import PendingRequests
from roomcast.client.resume import ResumeState
from roomcast.wire import protocol

log = logging.getLogger(__name__)


def websocket_url(url: str) -> URL:
    """The WebSocket URL ``url`` names: ``http(s)`` becomes ``ws(s)``, no path becomes ``/ws``;
    any other scheme raises ``ValueError``."""
    parsed = URL(url)
    scheme = {"http": "ws", "https": "wss"}.get(parsed.scheme, parsed.scheme)
    if scheme not in ("ws", "wss"):
        raise ValueError(f"not a WebSocket URL: {url!r}")
    if parsed.path in ("", "/"):
        parsed = parsed.with_path("/ws")
    return parsed.with_scheme(scheme)


def _event_id(answer: dict[str, Any]) -> int | None:
    """The ID of the event an ``Ack`` confirms; None when the request changed nothing."""
    return None if answer.get("Unchanged") else int(answer["ID"])


class ChatClient:
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
        self._url = websocket_url(url)
        self._state = ResumeState.starting(session, nick, room)
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
        self._requests = PendingRequests()
        self._inbox = Inbox(self._state, self._requests, self._events.put_nowait)
        self._closed = False
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
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    def last_id(self, room: str) -> int:
        """The newest ID of ``room`` (a line's or an event's) this client has seen (0: none)."""
        return self._state.last_ids.get(room, 0)

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

    # -- requests -------------------------------------------------------------------------------

    async def send(
        self,
        text: str,
        room: str | None = None,
        *,
        reply_to: int | None = None,
        thread: int | None = None,
    ) -> int:
        """Send a line to ``room`` (default: the first room); return its ID once stored.
        ``reply_to`` names the message it answers, ``thread`` the root of the thread it goes in.

        Raises ``ChatError`` when the server refuses it (``too_long``, ``not_in_room``,
        ``not_found`` for an ID that is not a live message of the room, ...). A line in flight
        during a reconnect is re-sent and still stored exactly once.
        """
        target = room or self._default_room()
        frame: dict[str, Any] = {"Message": protocol.encode_text(text), "Room": target}
        if reply_to is not None:
            frame["ReplyTo"] = reply_to
        if thread is not None:
            frame["Thread"] = thread
        answer = await self._request(frame)
        return int(answer["ID"])

    async def edit(self, room: str, target: int, text: str) -> int | None:
        """Replace the text of one's own message ``target``; return the ``Edited`` event's ID,
        or None when the text was that already. Like every change to a room, re-sent across a
        reconnect and applied once; a refusal raises ``ChatError``."""
        text64 = protocol.encode_text(text)
        frame = {"Type": "Edit", "Room": room, "Target": target, "Message": text64}
        return _event_id(await self._request(frame))

    async def delete(self, room: str, target: int) -> int:
        """Delete message ``target`` (one's own, or any as a moderator); return the ``Deleted``
        event's ID."""
        answer = await self._request({"Type": "Delete", "Room": room, "Target": target})
        return int(answer["ID"])

    async def react(self, room: str, target: int, emoji: str, remove: bool = False) -> int | None:
        """Add (or with ``remove`` take back) a reaction to message ``target``: one emoji or a
        ``:short_name:``. Return the ``Reaction`` event's ID, or None when this client had that
        reaction already (had none, for ``remove``)."""
        frame = {"Type": "React", "Room": room, "Target": target, "Emoji": emoji, "Remove": remove}
        return _event_id(await self._request(frame))

    def typing(self, room: str, stop: bool = False) -> None:
        """Tell ``room`` this client is typing (repeat at most every 3 s while it is; the server
        forgets it 6 s after the last), or with ``stop`` that it no longer is. Not answered, and
        dropped rather than re-sent when the connection is down."""
        if self._closed:
            raise ClientClosed("the client is closed")
        frame: dict[str, Any] = {"Type": "Typing", "Room": room}
        if stop:
            frame["Stop"] = True
        self._send_frame(frame)

    async def join(self, room: str, since: int | None = None) -> Joined:
        """Join ``room``. With ``since``, the server replays exactly the messages after it."""
        frame: dict[str, Any] = {"Type": "Join", "Room": room}
        if since is not None:
            frame["Since"] = since
            self._state.join_since(room, since)
        answer = await self._request(frame)
        return Joined(answer["Room"], answer["LastID"], bool(answer.get("Truncated")))

    async def leave(self, room: str) -> None:
        """Leave ``room``."""
        await self._request({"Type": "Leave", "Room": room})

    async def history(
        self, room: str | None = None, before: int | None = None, limit: int = 50
    ) -> HistoryPage:
        """Up to ``limit`` messages of ``room`` with ID < ``before`` (the newest when None)."""
        frame: dict[str, Any] = {"Type": "History", "Limit": limit}
        if room is not None:
            frame["Room"] = room
        if before is not None:
            frame["Before"] = before
        return page_from_frame(await self._request(frame))

    async def thread(
        self, room: str, root: int, before: int | None = None, limit: int = 50
    ) -> HistoryPage:
        """Up to ``limit`` messages of the thread of ``root`` (the root and its replies) with
        ID < ``before``, oldest first; page backwards like ``history``."""
        frame: dict[str, Any] = {"Type": "History", "Room": room, "Thread": root, "Limit": limit}
        if before is not None:
            frame["Before"] = before
        return page_from_frame(await self._request(frame))

    async def edits(self, room: str, target: int) -> EditHistory:
        """The texts message ``target`` has had, the original first."""
        answer = await self._request({"Type": "Edits", "Room": room, "Target": target})
        return edit_history_from_frame(answer)

    async def set_nick(self, name: str) -> str:
        """Change nickname; return the name as the server stored it (NFC, trimmed)."""
        answer = await self._request({"Type": "Nick", "Name": name})
        return str(answer["Name"])

    async def ping(self) -> float:
        """Round-trip time to the server, in seconds."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        await self._request({"Type": "Ping"})
        return loop.time() - started

    def _default_room(self) -> str:
        if not self._state.wanted:
            raise ChatError("not_in_room", "not in any room; join one first")
        return self._state.wanted[0]

    def _request(self, frame: dict[str, Any]) -> asyncio.Future[Any]:
        if self._closed:
            raise ClientClosed("the client is closed")
        future = self._requests.add(frame)
        self._send_frame(frame)
        return future

    def _send_frame(self, frame: dict[str, Any]) -> None:
        """Queue a frame for the current connection; without one it goes out after a reconnect."""
        if self._ws is not None and not self._ws.closed:
            self._outgoing.put_nowait(json.dumps(frame))

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
            )
        )
        for frame in state.rejoin_frames(room, wanted) + self._requests.frames():
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
            async for message in ws:
                if message.type is aiohttp.WSMsgType.TEXT:
                    try:
                        frame = json.loads(message.data)
                    except ValueError:
                        continue
                    if isinstance(frame, dict):
                        self._inbox.dispatch(frame)
                elif message.type is aiohttp.WSMsgType.ERROR:
                    break
            if self._closed:
                return
            code = ws.close_code
            reason = str(ws.exception() or "") if code is None else ""
            again = self._reconnect and worth_reconnecting(code)
            self._events.put_nowait(Disconnected(code, reason, again))
            if not again:
                await self._end(code)
                return
            await self._reconnect_until_up()

    async def _end(self, code: int | None) -> None:
        """The connection is gone for good: fail what waits and end the event stream."""
        self._ws = None
        self._closed = True
        self._requests.fail_all(ClientClosed(f"connection closed ({code})"))
        self._events.put_nowait(None)
        if self._http is not None:
            await self._http.close()

    async def _reconnect_until_up(self) -> None:
        """Try to connect again, waiting longer after each failure, until up or closed."""
        attempt = 0
        while not self._closed:
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
