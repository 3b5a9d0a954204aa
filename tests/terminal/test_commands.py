"""The composer's /commands read before anything is sent: arguments, durations, refusals."""

from __future__ import annotations

import pytest

from roomcast.terminal.commands import BadCommand, Command, parse, seconds


@pytest.mark.parametrize(
    ("word", "expected"),
    [("90", 90), ("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1w", 604800)],
)
def test_a_duration_is_read_in_its_unit(word: str, expected: int) -> None:
    assert seconds(word) == expected


@pytest.mark.parametrize("word", ["", "m", "0", "0m", "-5m", "10x", "ten", "٣m", "1.5h"])
def test_what_is_not_a_duration_is_not_one(word: str) -> None:
    assert seconds(word) is None


def test_ban_takes_a_duration_then_a_reason() -> None:
    assert parse("/ban bob 10m flooding the room") == Command(
        "ban", ("bob",), "flooding the room", 600
    )


def test_ban_without_a_duration_lasts_until_lifted_and_keeps_the_reason_whole() -> None:
    assert parse("/ban bob flooding") == Command("ban", ("bob",), "flooding", None)
    assert parse("/mute bob") == Command("mute", ("bob",), "", None)
    assert parse("/mute bob 2h") == Command("mute", ("bob",), "", 7200)


def test_kick_takes_no_duration() -> None:
    assert parse("/kick bob 10m") == Command("kick", ("bob",), "10m", None)


def test_unban_and_unmute_take_the_name_only() -> None:
    assert parse("/unban bob") == Command("unban", ("bob",), "")
    with pytest.raises(BadCommand, match="usage: /unmute NAME"):
        parse("/unmute bob because")
    with pytest.raises(BadCommand, match="usage: /unban NAME"):
        parse("/unban")


def test_unknown_and_malformed_commands_say_why() -> None:
    with pytest.raises(BadCommand, match="unknown command /frob"):
        parse("/frob x")
    with pytest.raises(BadCommand, match="ID is a message number"):
        parse("/reply abc thanks")
    with pytest.raises(BadCommand, match=r"usage: /react \[ID\] EMOJI"):
        parse("/react")
    with pytest.raises(BadCommand, match="takes no arguments"):
        parse("/quit now")


def test_react_names_a_line_by_id_or_means_the_latest() -> None:
    assert parse("/react 12 👍") == Command("react", ("12",), "👍")
    assert parse("/react 👍") == Command("react", (), "👍")
    assert parse("/react :tada:") == Command("react", (), ":tada:")
