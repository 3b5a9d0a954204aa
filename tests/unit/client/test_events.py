"""Reading server frames into the client's typed values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from roomcast.client.events import ChatError, HistoryPage, Message, message_from_frame


def chat_frame(message: str, **extra: object) -> dict[str, object]:
    return {
        "Type": "Chat",
        "Room": "lobby",
        "ID": 7,
        "Author": "alice",
        "Message": message,
        "WSID": "abc",
        "Time": "2026-01-02T03:04:05.678Z",
        **extra,
    }


def test_a_chat_frame_becomes_a_message() -> None:
    message = message_from_frame(chat_frame("aGkg4pi6"), backlog=True)
    assert message == Message(
        room="lobby",
        id=7,
        author="alice",
        text="hi ☺",
        wsid="abc",
        time=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        backlog=True,
    )
    assert not message_from_frame(chat_frame("aGk=")).backlog


@pytest.mark.parametrize(
    ("encoded", "text"),
    [
        ("not base64!", ""),  # not base64: empty rather than an exception in the reader
        ("/w==", "\ufffd"),  # a byte that is not UTF-8
        ("", ""),
    ],
)
def test_text_that_does_not_decode(encoded: str, text: str) -> None:
    assert message_from_frame(chat_frame(encoded)).text == text


def test_a_time_with_an_offset_is_kept() -> None:
    message = message_from_frame(chat_frame("", Time="2026-01-02T03:04:05+02:00"))
    assert message.time == datetime(2026, 1, 2, 1, 4, 5, tzinfo=UTC)


def page(ids: list[int], more: bool) -> HistoryPage:
    messages = [message_from_frame(chat_frame("", ID=i)) for i in ids]
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
