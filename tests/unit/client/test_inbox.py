"""Where server frames go: events (each ID of a room once), answers, and the resume state."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from roomcast.client.events import (
    ChatError,
    Deleted,
    Edited,
    Event,
    Message,
    Reaction,
    ServerError,
    Typing,
)
from roomcast.client.inbox import Inbox
from roomcast.client.requests import PendingRequests
from roomcast.client.resume import ResumeState

TIME = "2026-01-02T03:04:05.678Z"


def chat(room: str, message_id: int) -> dict[str, Any]:
    return {
        "Type": "Chat",
        "Room": room,
        "ID": message_id,
        "Author": "alice",
        "Message": "aGk=",
        "WSID": "w",
        "Time": TIME,
    }


def edited(room: str, event_id: int, target: int) -> dict[str, Any]:
    return {"Type": "Edited", "Room": room, "ID": event_id, "Target": target} | {
        "Message": "aGkh",
        "Author": "alice",
        "Time": TIME,
    }


def deleted(room: str, event_id: int, target: int) -> dict[str, Any]:
    return {"Type": "Deleted", "Room": room, "ID": event_id, "Target": target, "By": "alice"}


def reaction(room: str, event_id: int, target: int) -> dict[str, Any]:
    return {"Type": "Reaction", "Room": room, "ID": event_id, "Target": target} | {
        "Emoji": "👍",
        "Name": "bob",
        "Removed": False,
    }


def typing(room: str, *names: str) -> dict[str, Any]:
    return {"Type": "Typing", "Room": room, "Names": list(names)}


class Harness:
    def __init__(self) -> None:
        self.state = ResumeState.starting("tok", "me", "r")
        self.requests = PendingRequests()
        self.events: list[Event] = []
        self.inbox = Inbox(self.state, self.requests, self.events.append)

    def feed(self, *frames: dict[str, Any]) -> list[Event]:
        self.events.clear()
        for frame in frames:
            self.inbox.dispatch(frame)
        return list(self.events)


def test_content_events_take_ids_in_the_rooms_sequence() -> None:
    h = Harness()
    h.feed({"Type": "Joined", "Room": "r", "LastID": 0})
    events = h.feed(chat("r", 1), edited("r", 2, 1), reaction("r", 3, 1), deleted("r", 4, 1))
    assert [(type(e), getattr(e, "id", None)) for e in events] == [
        (Message, 1),
        (Edited, 2),
        (Reaction, 3),
        (Deleted, 4),
    ]
    assert h.state.last_ids["r"] == 4
    assert h.state.connect_query()[0]["since"] == "4"


def test_a_replay_overlapping_what_came_before_repeats_no_event() -> None:
    h = Harness()
    h.feed({"Type": "Joined", "Room": "r", "LastID": 0}, chat("r", 1), edited("r", 2, 1))
    # The resume replay starts earlier than the drop (or the server sends an event twice).
    events = h.feed(chat("r", 1), edited("r", 2, 1), reaction("r", 3, 1), reaction("r", 3, 1))
    assert [(type(e), getattr(e, "id", None)) for e in events] == [(Reaction, 3)]


def test_typing_never_moves_the_resume_point_and_is_never_dropped() -> None:
    h = Harness()
    h.feed({"Type": "Joined", "Room": "r", "LastID": 5})
    events = h.feed(typing("r", "bob"), typing("r", "bob"), typing("r"))
    assert events == [Typing("r", ("bob",)), Typing("r", ("bob",)), Typing("r", ())]
    assert h.state.last_ids["r"] == 0
    assert h.state.resume_point("r") == 5


def test_events_of_a_first_joins_backlog_are_not_missed_later() -> None:
    h = Harness()
    h.feed({"Type": "Joined", "Room": "r", "LastID": 9})  # line 3 edited by event 9
    (message,) = h.feed(chat("r", 3) | {"Edited": TIME})
    assert isinstance(message, Message)
    assert message.backlog
    assert message.edited is not None
    assert h.state.resume_point("r") == 9  # events 4..9 are in that state already
    (live,) = h.feed(edited("r", 10, 3))
    assert isinstance(live, Edited)
    assert (live.id, live.target, live.text) == (10, 3, "hi!")


async def test_answers_resolve_their_calls() -> None:
    h = Harness()
    edit = {"Type": "Edit", "Room": "r", "Target": 3, "Message": "eA=="}
    versions = {"Type": "Edits", "Room": "r", "Target": 3}
    waiting_edit, waiting_versions = h.requests.add(edit), h.requests.add(versions)
    answer = {"Type": "Edits", "Room": "r", "Target": 3, "Versions": [], "Ref": versions["Ref"]}
    assert h.feed(answer) == []
    assert await waiting_versions == answer
    ack = {"Type": "Ack", "Ref": edit["Ref"], "ID": 4, "Room": "r"}
    assert h.feed(ack) == []
    assert await waiting_edit == ack


async def test_an_error_fails_its_call_or_becomes_an_event() -> None:
    h = Harness()
    frame: dict[str, Any] = {"Type": "React", "Room": "r", "Target": 3, "Emoji": "x"}
    waiting = h.requests.add(frame)
    refusal = {"Type": "Error", "Code": "too_many", "Message": "20 at most", "Ref": frame["Ref"]}
    assert h.feed(refusal) == []
    with pytest.raises(ChatError) as raised:
        await waiting
    assert raised.value.code == "too_many"
    stray = {"Type": "Error", "Code": "muted", "Message": "muted", "Ref": frame["Ref"]}
    assert h.feed(stray) == [ServerError("muted", "muted", frame["Ref"])]


async def test_frames_of_unknown_types_are_ignored() -> None:
    h = Harness()
    waiting = h.requests.add({"Type": "Ping"})
    assert h.feed({"Type": "SomethingNew", "Room": "r"}, {"Room": "r"}) == []
    await asyncio.sleep(0)
    assert not waiting.done()
