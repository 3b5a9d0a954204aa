"""The client's typed values: history paging and the error a refusal raises."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from roomcast.client.events import ChatError, HistoryPage, Message


def page(ids: list[int], more: bool) -> HistoryPage:
    when = datetime(2026, 1, 2, tzinfo=UTC)
    messages = [Message("lobby", i, "alice", "", "abc", when) for i in ids]
    return HistoryPage("lobby", messages, more)


@pytest.mark.parametrize(
    ("ids", "more", "next_before"),
    [([3, 4, 5], True, 3), ([3, 4, 5], False, None), ([], True, None)],
)
def test_the_next_page_starts_before_the_oldest(
    ids: list[int], more: bool, next_before: int | None
) -> None:
    assert page(ids, more).next_before == next_before


def test_a_chat_error_says_its_code() -> None:
    error = ChatError("too_long", "at most 4000 characters")
    assert (error.code, error.message) == ("too_long", "at most 4000 characters")
    assert str(error) == "too_long: at most 4000 characters"
