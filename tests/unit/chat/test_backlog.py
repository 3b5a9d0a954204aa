"""A join's backlog: where the member's resume point lands, when a replay was cut short, and
which events become frames (a deleted line does not)."""

from __future__ import annotations

from typing import cast

import orjson

from roomcast.chat.backlog import Backlog, read_backlog
from roomcast.store import HistoryReads
from roomcast.wire.events import DeletedEvent, EditedEvent
from roomcast.wire.protocol import ChatMessage, LogEvent


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


class Log:
    """A room whose last ID is ``last_id``, recording what ``after`` was asked."""

    def __init__(self, last_id: int) -> None:
        self.last = last_id
        self.asked: list[tuple[int, int]] = []

    async def last_id(self, room: str) -> int:
        return self.last

    async def after(self, room: str, after_id: int, limit: int) -> list[LogEvent]:
        self.asked.append((after_id, limit))
        return [line(i) for i in range(after_id + 1, min(self.last, after_id + limit) + 1)]

    async def page(self, room: str, before: int | None, limit: int) -> list[ChatMessage]:
        raise AssertionError("a resume reads no page")


async def test_a_resume_reads_no_more_than_it_missed_and_nothing_when_it_missed_nothing() -> None:
    log = Log(last_id=40)
    store = cast(HistoryReads, log)
    missed = await read_backlog(store, "r", 37, page=50, resume_limit=10_000)
    assert [e.id for e in missed.events] == [38, 39, 40]
    assert not missed.truncated
    caught_up = await read_backlog(store, "r", 40, page=50, resume_limit=10_000)
    ahead = await read_backlog(store, "r", 99, page=50, resume_limit=10_000)
    assert caught_up.events == ahead.events == []
    assert ahead.resume_point == 40
    cut = await read_backlog(store, "r", 0, page=50, resume_limit=5)
    assert cut.truncated
    assert cut.resume_point == 5
    assert log.asked == [(37, 3), (0, 5)]  # the gap, or the limit when that is smaller
