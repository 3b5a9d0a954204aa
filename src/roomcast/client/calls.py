"""``Calls``: what a ``ChatClient`` asks of the server, the frame each call sends and what it
makes of the answer. A call waiting for an answer gives its frame a ``Ref``
(``PendingRequests``) and is re-sent after a reconnect until answered; ``typing`` and ``read``
are not answered. How frames reach the server is the client's (``_send_frame``).

Imports ``roomcast.wire.protocol`` and the other ``roomcast.client`` modules it names.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Sequence
from typing import Any, Final

from roomcast.client.events import (
    Attachment,
    ChatError,
    ClientClosed,
    EditHistory,
    HistoryPage,
    Joined,
    MembersPage,
    Message,
    RoomInfo,
)
from roomcast.client.frames import (
    edit_history_from_frame,
    found_from_frame,
    joined_from_frame,
    page_from_frame,
    room_info_from_frame,
)
from roomcast.client.reconnect import backoff_delay
from roomcast.client.requests import PendingRequests
from roomcast.client.resume import ResumeState
from roomcast.wire import protocol

# A line the store refused (``store_unavailable``) or may have taken (``outcome_unknown``) is sent
# again with its Ref, so it is stored once at most, this many times in all before ``ChatError``.
SEND_ATTEMPTS: Final = 5
_RESENT_ON: Final = frozenset({"store_unavailable", "outcome_unknown"})
_FIRST_DELAY: Final = 0.5  # seconds before the first re-send, doubled per attempt (jittered)
_LONGEST_DELAY: Final = 8.0
# A line refused as ``rate_limited`` is sent again after the server's ``RetryAfter``, for at most
# this many seconds of waiting in all, so a burst (a pasted file, a script) is paced, not lost.
RATE_LIMIT_PATIENCE: Final = 60.0
_PACING_MARGIN: Final = 0.02  # seconds past RetryAfter, against a timer that fires a hair early


def _event_id(answer: dict[str, Any]) -> int | None:
    """The ID of the event an ``Ack`` confirms; None when the request changed nothing."""
    return None if answer.get("Unchanged") else int(answer["ID"])


class Calls(abc.ABC):
    """The requests of one logical connection, over whichever connection is up."""

    def __init__(self, state: ResumeState, requests: PendingRequests) -> None:
        self._state = state
        self._requests = requests
        self._closed = False

    @abc.abstractmethod
    def _send_frame(self, frame: dict[str, Any]) -> bool:
        """Write ``frame`` on the current connection; False when there is none (a request then
        goes out after the reconnect, with the others still unanswered)."""

    # -- lines and their changes ----------------------------------------------------------------

    async def send(
        self,
        text: str,
        room: str | None = None,
        *,
        reply_to: int | None = None,
        thread: int | None = None,
        attachments: Sequence[str | Attachment] = (),
    ) -> int:
        """Send a line to ``room`` (default: the first room); return its ID once stored.
        ``reply_to`` names the message it answers, ``thread`` the root of the thread it goes in,
        ``attachments`` the uploads it carries (``upload``'s answers or their ids; the text may
        then be "").

        Raises ``ChatError`` when the server refuses it (``too_long``, ``not_in_room``,
        ``not_found`` for an ID that is not a live message of the room, ...). A line in flight
        during a reconnect is re-sent and still stored exactly once; so is one the store
        refused or whose commit's outcome was unknown (``store_unavailable``,
        ``outcome_unknown``), after a backoff, up to ``SEND_ATTEMPTS`` times in all. A line
        refused as ``rate_limited`` waits the server's ``RetryAfter`` and goes again, for up to
        ``RATE_LIMIT_PATIENCE`` seconds of waiting.
        """
        target = room or self._default_room()
        frame: dict[str, Any] = {"Message": protocol.encode_text(text), "Room": target}
        if reply_to is not None:
            frame["ReplyTo"] = reply_to
        if thread is not None:
            frame["Thread"] = thread
        if attachments:
            frame["Attachments"] = [a if isinstance(a, str) else a.id for a in attachments]
        attempt, paced = 0, 0.0
        while True:
            try:
                return int((await self._request(frame))["ID"])  # the same Ref every time
            except ChatError as exc:
                wait = exc.retry_after if exc.code == "rate_limited" else None
                if wait is not None and paced + wait <= RATE_LIMIT_PATIENCE:
                    paced += wait
                    await asyncio.sleep(wait + _PACING_MARGIN)
                    continue
                if exc.code not in _RESENT_ON or attempt + 1 == SEND_ATTEMPTS:
                    raise
            await asyncio.sleep(backoff_delay(attempt, _FIRST_DELAY, _LONGEST_DELAY))
            attempt += 1

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
        self._check_open()
        frame: dict[str, Any] = {"Type": "Typing", "Room": room}
        if stop:
            frame["Stop"] = True
        self._send_frame(frame)

    # -- rooms and reading ----------------------------------------------------------------------

    async def join(self, room: str, since: int | None = None) -> Joined:
        """Join ``room``. With ``since``, the server replays exactly the messages after it."""
        frame: dict[str, Any] = {"Type": "Join", "Room": room}
        if since is not None:
            frame["Since"] = since
            self._state.join_since(room, since)
        return joined_from_frame(await self._request(frame))

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

    def read(self, room: str, message_id: int) -> None:
        """Mark ``room`` read up to ``message_id`` for the person (every connection of the
        account, or of the guest's session, gets a ``Read`` event; the marker never moves back).
        Not answered, like ``typing``; while disconnected the newest marker of each room waits
        and goes out once the client is back in its rooms. Refused (a ``ServerError``
        ``not_in_room``) for a room the client is not in."""
        self._check_open()
        if not self._send_frame({"Type": "Read", "Room": room, "ID": message_id}):
            self._state.hold_read(room, message_id)

    async def members(self, room: str, after: str | None = None, limit: int = 200) -> MembersPage:
        """A page of ``room``'s member names (a room this client is in), after the name
        ``after`` (None: from the first), ``limit`` (1-200) at most: a big room's ``Users``
        lists only the first names; go on with the last name as ``after`` while ``more``."""
        frame: dict[str, Any] = {"Type": "Members", "Room": room, "Limit": limit}
        if after is not None:
            frame["After"] = after
        answer = await self._request(frame)
        names = tuple(answer["Names"])
        return MembersPage(room, names, int(answer["Count"]), bool(answer.get("More")))

    async def search(self, query: str, room: str | None = None, limit: int = 20) -> list[Message]:
        """Lines matching ``query`` (words, "phrases", -exclusions, prefix*) in every room one
        may read, or only ``room``'s; best first, at most ``limit``."""
        frame: dict[str, Any] = {"Type": "Search", "Query": query, "Limit": limit}
        if room is not None:
            frame["Room"] = room
        return found_from_frame(await self._request(frame))

    # -- a room's settings and moderation (refused as ``forbidden`` without the role) ----------

    async def set_topic(self, room: str, topic: str) -> RoomInfo:
        """Set ``room``'s topic (moderators); return the room's settings as they are now."""
        frame = {"Type": "Topic", "Room": room, "Topic": topic}
        return room_info_from_frame(await self._request(frame))

    async def moderate(
        self, action: str, room: str, name: str, reason: str = "", duration: int | None = None
    ) -> None:
        """``kick``, ``ban``, ``mute`` (or ``unban``, ``unmute``) ``name`` in ``room``; a ban or
        mute lasts ``duration`` seconds (None: until lifted)."""
        frame: dict[str, Any] = {"Type": action.capitalize(), "Room": room, "Name": name}
        if reason:
            frame["Reason"] = reason
        if duration is not None and action in ("ban", "mute"):
            frame["Duration"] = duration
        await self._request(frame)

    # -- the person -----------------------------------------------------------------------------

    async def direct(self, names: str | Sequence[str]) -> str:
        """Open the direct conversation with one account (a name) or several (up to 8), join it
        unless this client is in it already, and return its room (``dm.<16 hex>``, the same for
        the same people, so calling it again is harmless). Refusals: ``login_required`` for a
        guest, ``not_found`` for an unknown name, ``forbidden`` when one of them blocks you."""
        listed = [names] if isinstance(names, str) else list(names)
        answer = await self._request({"Type": "Direct", "Names": listed})
        room = str(answer["Room"])
        if room not in self._state.wanted:
            await self.join(room)
        return room

    async def block(self, name: str) -> tuple[str, ...]:
        """Block account ``name``: it cannot start or write in a direct conversation with you,
        and its lines cause you no ``Notify``. Returns every account you block now. Refusals:
        ``login_required`` for a guest, ``not_found`` for an unknown name."""
        answer = await self._request({"Type": "Block", "Name": name})
        return tuple(answer["Names"])

    async def unblock(self, name: str) -> tuple[str, ...]:
        """Lift the block of ``name``; returns every account you still block (``not_found``
        when you did not block it)."""
        answer = await self._request({"Type": "Unblock", "Name": name})
        return tuple(answer["Names"])

    async def set_nick(self, name: str) -> str:
        """Change nickname; return the name as the server stored it (NFC, trimmed). Signed in,
        it is the account's: every connection of the account gets ``NickChanged``."""
        answer = await self._request({"Type": "Nick", "Name": name})
        return str(answer["Name"])

    async def ping(self) -> float:
        """Round-trip time to the server, in seconds."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        await self._request({"Type": "Ping"})
        return loop.time() - started

    # -- plumbing -------------------------------------------------------------------------------

    def _default_room(self) -> str:
        if not self._state.wanted:
            raise ChatError("not_in_room", "not in any room; join one first")
        return self._state.wanted[0]

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosed("the client is closed")

    def _request(self, frame: dict[str, Any]) -> asyncio.Future[Any]:
        self._check_open()
        future = self._requests.add(frame)
        self._send_frame(frame)
        return future
