"""``Calls``: the frames a client's calls send and what they make of the answers, fed by hand to
a ``ChatClient`` that never connects: lines and their changes, thread pages and versions,
typing and read markers (not answered), direct conversations and blocks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

import pytest

from roomcast.client import ChatClient, ChatError, ClientClosed, EditHistory, Version
from roomcast.client.calls import Calls
from roomcast.client.requests import PendingRequests
from roomcast.client.resume import ResumeState

DM = "dm.0123456789abcdef"


async def answered(chat: ChatClient, call: Awaitable[Any], answer: dict[str, Any]) -> Any:
    """The frame ``call`` sends, and what it returns when the server answers ``answer``."""
    task = asyncio.ensure_future(call)
    await asyncio.sleep(0)
    (frame,) = chat._requests.frames()  # unanswered: re-sent as it is after a reconnect
    chat._inbox.dispatch(answer | {"Ref": frame["Ref"]})
    return {k: v for k, v in frame.items() if k != "Ref"}, await task


def ack(event_id: int, **extra: object) -> dict[str, Any]:
    return {"Type": "Ack", "ID": event_id, "Room": "r", **extra}


async def test_replies_and_thread_lines() -> None:
    chat = ChatClient("ws://h/ws", room="r")
    assert await answered(chat, chat.send("hi"), ack(5)) == ({"Message": "aGk=", "Room": "r"}, 5)
    frame, message_id = await answered(chat, chat.send("yes", "r", reply_to=5, thread=2), ack(6))
    assert (frame["ReplyTo"], frame["Thread"], message_id) == (5, 2, 6)


async def test_changes_return_their_events_id_or_none_when_nothing_changed() -> None:
    chat = ChatClient("ws://h/ws", room="r")
    frame, event_id = await answered(chat, chat.edit("r", 5, "new"), ack(7))
    assert (frame, event_id) == ({"Type": "Edit", "Room": "r", "Target": 5, "Message": "bmV3"}, 7)
    assert await answered(chat, chat.edit("r", 5, "new"), ack(5, Unchanged=True)) == (frame, None)
    frame, event_id = await answered(chat, chat.react("r", 5, "👍"), ack(8))
    assert frame == {"Type": "React", "Room": "r", "Target": 5, "Emoji": "👍", "Remove": False}
    assert event_id == 8
    frame, event_id = await answered(
        chat, chat.react("r", 5, ":x:", remove=True), ack(5, Unchanged=True)
    )
    assert (frame["Remove"], event_id) == (True, None)
    frame, event_id = await answered(chat, chat.delete("r", 5), ack(9))
    assert (frame, event_id) == ({"Type": "Delete", "Room": "r", "Target": 5}, 9)


@pytest.mark.parametrize("code", ["forbidden", "not_found", "too_many", "muted"])
async def test_a_refused_change_raises_its_code(code: str) -> None:
    chat = ChatClient("ws://h/ws", room="r")
    refusal = {"Type": "Error", "Code": code, "Message": "no"}
    with pytest.raises(ChatError) as refused:
        await answered(chat, chat.react("r", 5, "👍"), refusal)
    assert refused.value.code == code
    assert chat._requests.frames() == []


async def test_a_thread_page_and_a_messages_versions() -> None:
    chat = ChatClient("ws://h/ws", room="r")
    answer = {"Type": "History", "Room": "r", "Thread": 2, "More": False, "Messages": []}
    frame, page = await answered(chat, chat.thread("r", 2, before=9, limit=3), answer)
    assert frame == {"Type": "History", "Room": "r", "Thread": 2, "Limit": 3, "Before": 9}
    assert (page.room, page.thread, page.messages, page.more) == ("r", 2, [], False)
    versions = [{"Message": "YQ==", "Time": "2026-01-02T00:00:00Z"}]
    answer = {"Type": "Edits", "Room": "r", "Target": 2, "Versions": versions}
    frame, history = await answered(chat, chat.edits("r", 2), answer)
    assert frame == {"Type": "Edits", "Room": "r", "Target": 2}
    assert history == EditHistory("r", 2, (Version("a", datetime(2026, 1, 2, tzinfo=UTC)),))


async def test_typing_is_sent_once_and_never_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    chat = ChatClient("ws://h/ws", room="r")
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(chat, "_send_frame", sent.append)
    chat.typing("r")
    chat.typing("r", stop=True)
    assert sent == [{"Type": "Typing", "Room": "r"}, {"Type": "Typing", "Room": "r", "Stop": True}]
    assert chat._requests.frames() == []  # nothing to re-send after a reconnect
    await chat.aclose()
    with pytest.raises(ClientClosed):
        chat.typing("r")


def room_frame(room: str) -> dict[str, Any]:
    """The ``Room`` frame that answers a ``Direct``."""
    return {
        "Type": "Room",
        "Room": room,
        "Topic": "",
        "Private": True,
        "Moderators": [],
        "Role": "member",
        "Direct": True,
        "Members": ["alice", "bob"],
    }


async def test_direct_opens_the_conversation_and_joins_it_once() -> None:
    chat = ChatClient("ws://h/ws", room="r")
    opening = asyncio.ensure_future(chat.direct("bob"))
    await asyncio.sleep(0)
    (frame,) = chat._requests.frames()
    assert {k: v for k, v in frame.items() if k != "Ref"} == {"Type": "Direct", "Names": ["bob"]}
    chat._inbox.dispatch(room_frame(DM) | {"Ref": frame["Ref"]})
    await asyncio.sleep(0)
    (join,) = chat._requests.frames()  # the Room answered the Direct: now the Join waits
    assert (join["Type"], join["Room"]) == ("Join", DM)
    chat._inbox.dispatch({"Type": "Joined", "Room": DM, "LastID": 4, "Ref": join["Ref"]})
    assert await opening == DM
    assert chat.rooms == ["r", DM]
    # Once in it, opening it again (here with a list of names) joins nothing.
    frame, room = await answered(chat, chat.direct(["bob", "carol"]), room_frame(DM))
    assert (frame, room) == ({"Type": "Direct", "Names": ["bob", "carol"]}, DM)
    assert chat._requests.frames() == []


async def test_block_and_unblock_return_every_account_blocked() -> None:
    chat = ChatClient("ws://h/ws", room="r")
    blocks = {"Type": "Blocks", "Names": ["bob", "carol"]}
    assert await answered(chat, chat.block("carol"), blocks) == (
        {"Type": "Block", "Name": "carol"},
        ("bob", "carol"),
    )
    assert await answered(chat, chat.unblock("bob"), blocks | {"Names": ["carol"]}) == (
        {"Type": "Unblock", "Name": "bob"},
        ("carol",),
    )


@pytest.mark.parametrize(
    ("call", "code"),
    [
        ("direct", "login_required"),
        ("direct", "not_found"),
        ("direct", "forbidden"),
        ("block", "login_required"),
        ("block", "not_found"),
        ("unblock", "not_found"),
    ],
)
async def test_a_refused_person_call_raises_its_code(call: str, code: str) -> None:
    chat = ChatClient("ws://h/ws", room="r")
    refusal = {"Type": "Error", "Code": code, "Message": "no"}
    with pytest.raises(ChatError) as refused:
        await answered(chat, getattr(chat, call)("bob"), refusal)
    assert refused.value.code == code


class Wired(Calls):
    """``Calls`` over a connection that is up or down as the test says; it keeps what it wrote."""

    def __init__(self) -> None:
        super().__init__(ResumeState.starting(None, None, "r"), PendingRequests())
        self.up = False
        self.sent: list[dict[str, Any]] = []

    def _send_frame(self, frame: dict[str, Any]) -> bool:
        if self.up:
            self.sent.append(frame)
        return self.up


def test_a_read_marker_is_sent_unanswered_or_held_until_connected() -> None:
    calls = Wired()
    calls.read("r", 5)  # no connection: held, the newest per room
    calls.read("r", 7)
    calls.read("r", 6)
    calls.read("s", 2)
    assert (calls.sent, calls._state.held_reads) == ([], {"r": 7, "s": 2})
    calls.up = True
    calls.read("r", 9)
    assert calls.sent == [{"Type": "Read", "Room": "r", "ID": 9}]
    assert calls._requests.frames() == []  # no answer comes, nothing is re-sent
    calls._closed = True
    with pytest.raises(ClientClosed):
        calls.read("r", 10)
