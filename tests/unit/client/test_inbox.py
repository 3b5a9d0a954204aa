"""Where server frames go: events (each ID of a room once), answers, the resume state, and the
person's rooms."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from roomcast.client.events import (
    ChatError,
    Deleted,
    Edited,
    Event,
    Joined,
    Message,
    Notify,
    Reaction,
    Read,
    RoomInfo,
    Rooms,
    RoomState,
    ServerError,
    Typing,
)
from roomcast.client.inbox import Inbox
from roomcast.client.requests import PendingRequests
from roomcast.client.resume import ResumeState

TIME = "2026-01-02T03:04:05.678Z"
DM = "dm.0123456789abcdef"


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


def rooms(*entries: tuple[str, int, int]) -> dict[str, Any]:
    return {
        "Type": "Rooms",
        "Rooms": [
            {"Room": room, "LastID": last, "ReadID": read, "Unread": last - read}
            | {"Mentions": 0, "Direct": room.startswith("dm.")}
            for room, last, read in entries
        ],
    }


def test_the_persons_rooms_are_an_event_and_the_last_ones_are_kept() -> None:
    h = Harness()
    assert not h.inbox.person_rooms
    first = (RoomState("r", 5, 3, 2, 0, False),)
    assert h.feed(rooms(("r", 5, 3))) == [Rooms(first)]
    assert h.inbox.person_rooms == first
    (added,) = h.feed(rooms(("r", 5, 3), (DM, 1, 0)))
    assert isinstance(added, Rooms)
    assert h.inbox.person_rooms == added.rooms
    assert [(state.room, state.direct) for state in h.inbox.person_rooms] == [
        ("r", False),
        (DM, True),
    ]
    assert h.state.wanted == ["r"]  # listed is not joined


def test_reads_and_notifications_elsewhere_move_no_resume_point() -> None:
    h = Harness()
    h.feed({"Type": "Joined", "Room": "r", "LastID": 2, "ReadID": 1})
    notify = {"Type": "Notify", "Kind": "direct", "Room": DM, "ID": 7}
    events = h.feed(
        {"Type": "Read", "Room": "r", "ID": 9},
        notify | {"Author": "bob", "Message": "aGk="},
        notify | {"Author": "bob", "Message": "aGk="},  # not an event of a room's sequence
    )
    assert events == [
        Read("r", 9),
        Notify("direct", DM, 7, "bob", "hi"),
        Notify("direct", DM, 7, "bob", "hi"),
    ]
    assert (h.state.last_ids, h.state.wanted) == ({"r": 0}, ["r"])
    assert h.state.resume_point("r") == 2


def test_joined_says_the_read_marker() -> None:
    h = Harness()
    assert h.feed({"Type": "Joined", "Room": "r", "LastID": 8, "ReadID": 5}) == [
        Joined("r", 8, False, 5)
    ]


async def test_a_room_frame_answers_a_direct_and_blocks_answer_a_block() -> None:
    h = Harness()
    room = {"Type": "Room", "Room": "r", "Topic": "", "Private": False, "Moderators": []}
    direct: dict[str, Any] = {"Type": "Direct", "Names": ["bob"]}
    block: dict[str, Any] = {"Type": "Block", "Name": "bob"}
    waiting_direct, waiting_block = h.requests.add(direct), h.requests.add(block)
    # After a Joined: no Ref, answers nothing; the client is told the room's settings.
    assert h.feed(room | {"Role": "none"}) == [RoomInfo("r", "", "none", (), False)]
    await asyncio.sleep(0)
    assert not waiting_direct.done()
    dm = room | {"Room": DM, "Direct": True, "Members": ["bob", "me"]}
    assert h.feed(dm | {"Ref": direct["Ref"]}) == [
        RoomInfo(DM, "", "none", (), False, ("bob", "me"))
    ]
    assert (await waiting_direct)["Room"] == DM
    blocks = {"Type": "Blocks", "Names": ["bob"], "Ref": block["Ref"]}
    assert h.feed(blocks) == []
    assert await waiting_block == blocks
