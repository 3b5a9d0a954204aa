"""A join's backlog: where the member's resume point lands, when a replay was cut short, and
which events become frames (a deleted line does not)."""

from __future__ import annotations

import orjson

from roomcast.chat.backlog import Backlog
from roomcast.wire.events import DeletedEvent, EditedEvent
from roomcast.wire.protocol import ChatMessage


def line(message_id: int, *, deleted: bool = False) -> ChatMessage:
    return ChatMessage("r", message_id, "a", "" if deleted else "t", "w", 0, deleted=deleted)


def test_a_page_covers_everything_up_to_the_last_id() -> None:
    backlog = Backlog(last_id=9, since=None, events=[line(3), line(5)])
    assert (backlog.resume_point, backlog.newest, backlog.truncated) == (9, 9, False)


def test_a_replay_resumes_after_its_last_event_and_says_when_it_was_cut() -> None:
    events = [
        line(5, deleted=True),
        EditedEvent("r", 6, 5, "", "a", 0),
        DeletedEvent("r", 7, 5, "a", 0),
    ]
    backlog = Backlog(last_id=12, since=4, events=events)
    assert (backlog.resume_point, backlog.truncated) == (7, True)
    assert [orjson.loads(f)["Type"] for f in backlog.frames()] == ["Edited", "Deleted"]
    assert Backlog(last_id=4, since=4, events=[]).resume_point == 4
