"""An asyncio client for roomcast servers, built on aiohttp's WebSocket client.

::

    async with connect("ws://127.0.0.1:8000/ws", nick="bot", room="lobby") as chat:
        await chat.join("random")
        message_id = await chat.send("hello", room="lobby")
        page = await chat.history("lobby", limit=20)
        async for event in chat:
            if isinstance(event, Message) and not event.backlog:
                print(event.author, event.text)

Everything the server sends becomes a typed event (``Connected``, ``Message``, ``Users``,
``Joined``, ``Left``, ``NickChanged``, ``ServerError``, ``Disconnected``); answers to requests
(``Ack``, ``History``, ``Pong``) resolve the awaiting call instead.

Reconnecting is automatic. The client remembers its session token and the last message ID it saw
in each room; after a drop it reconnects with ``session=`` and ``since=`` (``Join`` with
``Since`` for the other rooms), so the server replays exactly what was missed, and it drops any
message it has already seen, so nothing arrives twice and nothing is skipped. Lines not yet
acknowledged are re-sent with their original ``Ref``, which the server recognises, so a send is
stored once however often the connection drops.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import itertools
import json
import logging
import random
import secrets
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Final

import aiohttp
from yarl import URL

from roomcast.record import record
from roomcast.wire import protocol

log = logging.getLogger(__name__)

# Close codes after which reconnecting would not help (the request itself is refused, or another
# connection took over this session).
_FINAL_CLOSE_CODES: Final = frozenset(
    {
        protocol.CLOSE_PROTOCOL_ERROR,
        protocol.CLOSE_UNSUPPORTED_DATA,
        1007,
        protocol.CLOSE_POLICY_VIOLATION,
        protocol.CLOSE_MESSAGE_TOO_BIG,
        protocol.CLOSE_SESSION_REPLACED,
    }
)


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------


@record
class Connected:
    """A connection is up (first or after a reconnect): the server's ``Status`` frame."""

    wsid: str
    nick: str
    room: str
    session: str
    version: str
    resumed: bool


@record
class Message:
    """A chat message. ``backlog`` marks history replayed on a first join (not live, not missed)."""

    room: str
    id: int
    author: str
    text: str
    wsid: str
    time: datetime
    backlog: bool = False


@record
class Users:
    """The members of a room now."""

    room: str
    names: tuple[str, ...]


@record
class Joined:
    """This client is in ``room``; ``truncated`` when a resume replay hit the server's limit."""

    room: str
    last_id: int
    truncated: bool = False


@record
class Left:
    room: str


@record
class NickChanged:
    name: str
    old: str


@record
class ServerError:
    """An ``Error`` frame that answers no pending call (e.g. a refused nickname at connect)."""

    code: str
    message: str
    ref: str | int | None = None


@record
class Disconnected:
    """The connection dropped; ``reconnecting`` says whether the client is trying again."""

    code: int | None
    reason: str
    reconnecting: bool


Event = Connected | Message | Users | Joined | Left | NickChanged | ServerError | Disconnected


@record
class HistoryPage:
    """A page of older messages, oldest first; ``more`` when still older ones exist."""

    room: str
    messages: list[Message]
    more: bool

    @property
    def next_before(self) -> int | None:
        """The ``before`` of the next (older) page, or None on the last page."""
        return self.messages[0].id if self.more and self.messages else None


class ChatError(Exception):
    """The server refused a request with an ``Error`` frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ClientClosed(Exception):
    """The client is closed (or lost its connection for good): the call cannot complete."""


# ---------------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Request:
    """A frame waiting for its answer; re-sent after a reconnect until answered."""

    frame: dict[str, Any]
    future: asyncio.Future[Any]
    room: str | None = None


@dataclass(slots=True)
class _State:
    """What survives a reconnect: who we are, where we are, and how far we have read."""

    session: str | None
    nick: str | None
    wanted: list[str]
    last_ids: dict[str, int] = field(default_factory=dict)
    backlog_until: dict[str, int] = field(default_factory=dict)


def _websocket_url(url: str) -> URL:
    parsed = URL(url)
    scheme = {"http": "ws", "https": "wss"}.get(parsed.scheme, parsed.scheme)
    if scheme not in ("ws", "wss"):
        raise ValueError(f"not a WebSocket URL: {url!r}")
    if parsed.path in ("", "/"):
        parsed = parsed.with_path("/ws")
    return parsed.with_scheme(scheme)


def _decode(b64: str) -> str:
    try:
        return base64.b64decode(b64).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""


def _message(frame: dict[str, Any], *, backlog: bool = False) -> Message:
    return Message(
        room=frame["Room"],
        id=frame["ID"],
        author=frame["Author"],
        text=_decode(frame["Message"]),
        wsid=frame["WSID"],
        time=datetime.fromisoformat(frame["Time"].replace("Z", "+00:00")),
        backlog=backlog,
    )


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
        self._url = _websocket_url(url)
        self._state = _State(session, nick, [room or protocol.DEFAULT_ROOM])
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
        self._requests: dict[str, _Request] = {}
        self._ref_prefix = secrets.token_hex(4)
        self._counter = itertools.count(1)
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
        """The ID of the newest message of ``room`` this client has seen (0 when none)."""
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
        self._fail_requests(ClientClosed("the client is closed"))
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

    async def send(self, text: str, room: str | None = None) -> int:
        """Send a line to ``room`` (default: the first room); return its ID once stored.

        Raises ``ChatError`` when the server refuses it (``too_long``, ``not_in_room``, ...).
        A line in flight during a reconnect is re-sent and still stored exactly once.
        """
        target = room or self._default_room()
        frame = {"Message": protocol.encode_text(text), "Room": target}
        answer = await self._request(frame)
        return int(answer["ID"])

    async def join(self, room: str, since: int | None = None) -> Joined:
        """Join ``room``. With ``since``, the server replays exactly the messages after it."""
        frame: dict[str, Any] = {"Type": "Join", "Room": room}
        if since is not None:
            frame["Since"] = since
            self._state.last_ids[room] = max(self._state.last_ids.get(room, 0), since)
        answer = await self._request(frame, room=room)
        return Joined(answer["Room"], answer["LastID"], bool(answer.get("Truncated")))

    async def leave(self, room: str) -> None:
        """Leave ``room``."""
        await self._request({"Type": "Leave", "Room": room}, room=room)

    async def history(
        self, room: str | None = None, before: int | None = None, limit: int = 50
    ) -> HistoryPage:
        """Up to ``limit`` messages of ``room`` with ID < ``before`` (the newest when None)."""
        frame: dict[str, Any] = {"Type": "History", "Limit": limit}
        if room is not None:
            frame["Room"] = room
        if before is not None:
            frame["Before"] = before
        answer = await self._request(frame)
        return HistoryPage(
            answer["Room"], [_message(m) for m in answer["Messages"]], bool(answer["More"])
        )

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

    def _request(self, frame: dict[str, Any], room: str | None = None) -> asyncio.Future[Any]:
        if self._closed:
            raise ClientClosed("the client is closed")
        ref = f"{self._ref_prefix}-{next(self._counter)}"
        frame["Ref"] = ref
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._requests[ref] = _Request(frame, future, room)
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

    def _fail_requests(self, error: Exception) -> None:
        requests, self._requests = self._requests, {}
        for request in requests.values():
            if not request.future.done():
                request.future.set_exception(error)

    # -- connection -----------------------------------------------------------------------------

    def _connect_url(self) -> tuple[URL, str, bool]:
        """The URL of the next connection, its room, and whether that room is still wanted."""
        state = self._state
        wanted = bool(state.wanted)
        room = state.wanted[0] if wanted else protocol.DEFAULT_ROOM
        query: dict[str, str] = {"room": room}
        if state.nick:
            query["nick"] = state.nick
        if state.session:
            query["session"] = state.session
        if wanted and room in state.last_ids:
            query["since"] = str(self._resume_point(room))
        return self._url.update_query(query), room, wanted

    def _resume_point(self, room: str) -> int:
        """Where a resume of ``room`` starts: after the newest message seen, and never before the
        end of the backlog of the first join (history not sent then is not "missed" now)."""
        state = self._state
        return max(state.last_ids.get(room, 0), state.backlog_until.get(room, 0))

    async def _connect(self) -> None:
        assert self._http is not None
        url, room, wanted = self._connect_url()
        resumed = self._state.session is not None
        ws = await asyncio.wait_for(
            self._http.ws_connect(
                url,
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
        self._emit(
            Connected(
                status["WSID"],
                status["Nick"],
                status["Room"],
                status["Session"],
                status.get("Version", ""),
                resumed,
            )
        )
        if not wanted:
            self._send_frame({"Type": "Leave", "Room": room})
        for other in state.wanted[1:]:
            frame: dict[str, Any] = {"Type": "Join", "Room": other}
            if other in state.last_ids:
                frame["Since"] = self._resume_point(other)
            self._send_frame(frame)
        for request in list(self._requests.values()):
            self._send_frame(request.frame)

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
                self._dispatch(frame)

    async def _run(self) -> None:
        """Read frames; when the connection drops, reconnect with resume until closed."""
        attempt = 0
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
                        self._dispatch(frame)
                elif message.type is aiohttp.WSMsgType.ERROR:
                    break
            if self._closed:
                return
            code = ws.close_code
            reason = str(ws.exception() or "") if code is None else ""
            again = self._reconnect and code not in _FINAL_CLOSE_CODES
            self._emit(Disconnected(code, reason, again))
            if not again:
                self._ws = None
                self._closed = True
                self._fail_requests(ClientClosed(f"connection closed ({code})"))
                self._events.put_nowait(None)
                if self._http is not None:
                    await self._http.close()
                return
            while not self._closed:
                delay = min(self._max_reconnect_delay, self._reconnect_delay * 2**attempt)
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                attempt += 1
                try:
                    await self._connect()
                except (aiohttp.ClientError, OSError, TimeoutError, ChatError) as exc:
                    log.info("reconnect to %s failed: %s", self._url, exc)
                    continue
                attempt = 0
                break

    # -- incoming frames ------------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        self._events.put_nowait(event)

    def _answer(self, frame: dict[str, Any]) -> _Request | None:
        ref = frame.get("Ref")
        if not isinstance(ref, str):
            return None
        request = self._requests.pop(ref, None)
        if request is not None and not request.future.done():
            request.future.set_result(frame)
        return request

    def _dispatch(self, frame: dict[str, Any]) -> None:
        state = self._state
        match frame.get("Type"):
            case "Chat":
                room, message_id = frame["Room"], frame["ID"]
                if message_id <= state.last_ids.get(room, 0):
                    return
                state.last_ids[room] = message_id
                backlog = message_id <= state.backlog_until.get(room, 0)
                self._emit(_message(frame, backlog=backlog))
            case "Ack":
                self._answer(frame)
            case "Joined":
                room = frame["Room"]
                if room not in state.wanted:
                    state.wanted.append(room)
                if room not in state.last_ids:
                    # A first join: what comes up to LastID is the room's backlog.
                    state.last_ids[room] = 0
                    state.backlog_until[room] = frame["LastID"]
                self._answer(frame)
                self._emit(Joined(room, frame["LastID"], bool(frame.get("Truncated"))))
            case "Left":
                room = frame["Room"]
                if room in state.wanted:
                    state.wanted.remove(room)
                state.last_ids.pop(room, None)
                state.backlog_until.pop(room, None)
                self._answer(frame)
                self._emit(Left(room))
            case "userlist":
                names = tuple(user["Name"] for user in frame["Users"])
                self._emit(Users(frame["Room"], names))
            case "Nick":
                state.nick = frame["Name"]
                self._answer(frame)
                self._emit(NickChanged(frame["Name"], frame["Old"]))
            case "History" | "Pong":
                self._answer(frame)
            case "Error":
                self._error(frame)
            case _:
                pass  # types this client does not know are ignored, as the protocol asks

    def _error(self, frame: dict[str, Any]) -> None:
        ref = frame.get("Ref")
        code, text = frame.get("Code", "error"), frame.get("Message", "")
        request = self._requests.pop(ref, None) if isinstance(ref, str) else None
        if request is None:
            self._emit(ServerError(code, text, ref))
            return
        if not request.future.done():
            request.future.set_exception(ChatError(code, text))


class _Connecting:
    """What ``connect`` returns: ``await`` it, or use it with ``async with``."""

    def __init__(self, client: ChatClient) -> None:
        self._client = client

    def __await__(self) -> Generator[Any, None, ChatClient]:
        return self._client.open().__await__()

    async def __aenter__(self) -> ChatClient:
        return await self._client.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._client.aclose()


def connect(
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
) -> _Connecting:
    """Connect to a roomcast server: ``async with connect(url, nick=...) as chat: ...``.

    ``url`` is the WebSocket URL (``ws://host:port/ws``); ``http://host:port`` works too.
    ``room`` is the first room (default ``default``). ``session`` takes over an earlier client's
    session (its nickname and its idempotent ``Ref``s). With ``reconnect`` the client reconnects
    after a drop, waiting from ``reconnect_delay`` up to ``max_reconnect_delay`` seconds between
    attempts. The first connection is not retried: its failure raises (``aiohttp.ClientError``,
    ``OSError``, ``TimeoutError``, or ``ChatError`` when the server refuses the room).
    """
    return _Connecting(
        ChatClient(
            url,
            nick=nick,
            room=room,
            session=session,
            reconnect=reconnect,
            reconnect_delay=reconnect_delay,
            max_reconnect_delay=max_reconnect_delay,
            heartbeat=heartbeat,
            connect_timeout=connect_timeout,
        )
    )


__all__ = [
    "ChatClient",
    "ChatError",
    "ClientClosed",
    "Connected",
    "Disconnected",
    "Event",
    "HistoryPage",
    "Joined",
    "Left",
    "Message",
    "NickChanged",
    "ServerError",
    "Users",
    "connect",
]
