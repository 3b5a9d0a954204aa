"""Reading server frames into the client's typed values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from roomcast.client.events import (
    Deleted,
    Edited,
    EditHistory,
    Joined,
    Message,
    Notify,
    Reaction,
    ReactionSummary,
    Rooms,
    RoomState,
    Typing,
    Version,
)
from roomcast.client.frames import (
    edit_history_from_frame,
    joined_from_frame,
    log_event_from_frame,
    message_from_frame,
    notify_from_frame,
    page_from_frame,
    rooms_from_frame,
    typing_from_frame,
)

TIME = "2026-01-02T03:04:05.678Z"
WHEN = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def chat_frame(message: str, **extra: object) -> dict[str, object]:
    return {
        "Type": "Chat",
        "Room": "lobby",
        "ID": 7,
        "Author": "alice",
        "Message": message,
        "WSID": "abc",
        "Time": TIME,
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
        time=WHEN,
        backlog=True,
    )
    assert not message_from_frame(chat_frame("aGk=")).backlog
    assert (message.reply_to, message.thread, message.edited) == (None, None, None)
    assert (message.reactions, message.replies, message.mentions) == ((), 0, ())
    nulls = chat_frame("", ReplyTo=None, Thread=None, Edited=None, Reactions=None, Replies=0)
    assert message_from_frame(nulls) == message_from_frame(chat_frame(""))  # unset keys as null


def test_a_message_in_its_current_state() -> None:
    frame = chat_frame(
        "aGk=",
        ReplyTo=3,
        Thread=2,
        Edited="2026-01-02T04:00:00.000Z",
        Reactions=[
            {"Emoji": "👍", "Count": 2, "Names": ["bob", "carol"]},
            {"Emoji": ":tada:", "Count": 1, "Names": ["bob"]},
        ],
        Replies=4,
        Mentions=["Bob", "carol"],
    )
    message = message_from_frame(frame)
    assert (message.reply_to, message.thread, message.replies) == (3, 2, 4)
    assert message.mentions == ("Bob", "carol")
    assert message.edited == datetime(2026, 1, 2, 4, tzinfo=UTC)
    assert message.reactions == (
        ReactionSummary("👍", 2, ("bob", "carol")),
        ReactionSummary(":tada:", 1, ("bob",)),
    )


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


@pytest.mark.parametrize(
    ("frame", "event"),
    [
        (
            {"Type": "Edited", "Room": "r", "ID": 9, "Target": 4, "Message": "bmV3"}
            | {"Author": "alice", "Time": TIME},
            Edited("r", 9, 4, "new", "alice", WHEN),
        ),
        (  # an edit of a line deleted since: its text is purged
            {"Type": "Edited", "Room": "r", "ID": 9, "Target": 4, "Message": ""}
            | {"Author": "alice", "Time": TIME},
            Edited("r", 9, 4, "", "alice", WHEN),
        ),
        (
            {"Type": "Deleted", "Room": "r", "ID": 10, "Target": 4, "By": "mod"},
            Deleted("r", 10, 4, "mod"),
        ),
        (
            {"Type": "Reaction", "Room": "r", "ID": 11, "Target": 4, "Emoji": "👍"}
            | {"Name": "bob", "Removed": False},
            Reaction("r", 11, 4, "👍", "bob", False),
        ),
        (
            {"Type": "Reaction", "Room": "r", "ID": 12, "Target": 4, "Emoji": ":+1:"}
            | {"Name": "bob", "Removed": True},
            Reaction("r", 12, 4, ":+1:", "bob", True),
        ),
    ],
)
def test_content_events(frame: dict[str, object], event: object) -> None:
    assert log_event_from_frame(frame) == event


def test_a_frame_of_another_type_is_no_content_event() -> None:
    with pytest.raises(ValueError, match="Chat"):
        log_event_from_frame(chat_frame("") | {"Target": 1})


def test_typing() -> None:
    frame = {"Type": "Typing", "Room": "r", "Names": ["bob", "carol"]}
    assert typing_from_frame(frame) == Typing("r", ("bob", "carol"))
    assert typing_from_frame({"Type": "Typing", "Room": "r", "Names": []}) == Typing("r", ())


def test_history_pages_of_a_room_and_of_a_thread() -> None:
    answer = {"Type": "History", "Room": "lobby", "More": True, "Messages": [chat_frame("eA==")]}
    page = page_from_frame(answer)
    assert ([m.text for m in page.messages], page.more, page.thread) == (["x"], True, None)
    thread_page = page_from_frame(answer | {"Thread": 7, "More": False})
    assert (thread_page.thread, thread_page.more) == (7, False)


def test_the_versions_of_a_message() -> None:
    answer = {
        "Type": "Edits",
        "Room": "r",
        "Target": 4,
        "Versions": [
            {"Message": "b2xk", "Time": TIME},
            {"Message": "bmV3", "Time": "2026-01-02T04:00:00Z"},
        ],
        "Ref": "x-1",
    }
    assert edit_history_from_frame(answer) == EditHistory(
        "r",
        4,
        (Version("old", WHEN), Version("new", datetime(2026, 1, 2, 4, tzinfo=UTC))),
    )


def test_joined_carries_the_read_marker() -> None:
    frame = {"Type": "Joined", "Room": "r", "LastID": 9, "Backlog": 3, "ReadID": 6}
    assert joined_from_frame(frame) == Joined("r", 9, False, 6)
    older = {"Type": "Joined", "Room": "r", "LastID": 9, "Truncated": True}  # no ReadID
    assert joined_from_frame(older) == Joined("r", 9, True, 0)


def test_the_persons_rooms_in_their_order() -> None:
    entries = [
        {"Room": "lobby", "LastID": 40, "ReadID": 38, "Unread": 2, "Mentions": 1, "Direct": False},
        {"Room": "dm.0123456789abcdef", "LastID": 3, "ReadID": 0, "Unread": 3, "Mentions": 3}
        | {"Direct": True},
    ]
    assert rooms_from_frame({"Type": "Rooms", "Rooms": entries}) == Rooms(
        (
            RoomState("lobby", 40, 38, 2, 1, False),
            RoomState("dm.0123456789abcdef", 3, 0, 3, 3, True),
        )
    )
    assert rooms_from_frame({"Type": "Rooms", "Rooms": []}) == Rooms(())


def test_a_notification_carries_the_lines_text() -> None:
    frame = {"Type": "Notify", "Kind": "mention", "Room": "r", "ID": 4, "Author": "bob"}
    assert notify_from_frame(frame | {"Message": "aGkgQGFsaWNl"}) == Notify(
        "mention", "r", 4, "bob", "hi @alice"
    )
