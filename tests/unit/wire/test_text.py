"""Room names and the limits of texts, which count the text as sent."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from roomcast.wire.errors import ErrorCode, ProtocolError
from roomcast.wire.limits import MAX_NICK_CHARS, MAX_TEXT_CHARS, MAX_TOPIC_CHARS
from roomcast.wire.nicknames import validate_nick
from roomcast.wire.text import validate_line, validate_room, validate_text


class TestRoomNames:
    @pytest.mark.parametrize("raw", [None, ""])
    def test_missing_room_is_default(self, raw: str | None) -> None:
        assert validate_room(raw) == "default"

    @pytest.mark.parametrize("room", ["lobby", "dev-ops", "a.b_c", "général", "部屋", "_x"])
    def test_valid_rooms(self, room: str) -> None:
        assert validate_room(room) == room

    @pytest.mark.parametrize("room", ["a b", "-x", ".x", "x/y", "<script>", "x" * 65, "a\nb"])
    def test_invalid_rooms(self, room: str) -> None:
        with pytest.raises(ProtocolError) as caught:
            validate_room(room)
        assert caught.value.code == ErrorCode.ROOM_INVALID


@pytest.mark.parametrize(
    ("check", "limit", "padding"),
    [
        (lambda raw: validate_line(raw, "topic", MAX_TOPIC_CHARS), 200, "\x1f\r"),
        (validate_nick, MAX_NICK_CHARS, "  "),
        (validate_text, MAX_TEXT_CHARS, "\r\n"),
    ],
)
def test_limits_count_the_text_as_sent(
    check: Callable[[str], str], limit: int, padding: str
) -> None:
    """A text within the limit only after trimming or newline folding is still too long."""
    check(padding + "x" * (limit - len(padding)))  # at the limit as sent: accepted
    with pytest.raises(ProtocolError):
        check(padding + "x" * (limit - len(padding) + 1))
