"""Control events: each type survives encoding, whom a sanction names, and what is refused."""

from __future__ import annotations

import orjson
import pytest

from roomcast.moderation import control
from roomcast.moderation.control import (
    BadControlEvent,
    ControlEvent,
    Mute,
    Refresh,
    Reload,
    Remove,
)
from roomcast.wire import protocol

EVENTS: list[ControlEvent] = [
    Refresh(),
    Reload(),
    Remove("a1", None, "mona", "spam", True, 1_700_000_000_000),
    Remove(None, "guest1234", "mona", "", False, None, "ban"),
    Mute(None, "guest1234", "mona", "shouting", 1_700_000_000_000, "mute"),
    Mute("a1", None, "mona", "", None),
]


@pytest.mark.parametrize("event", EVENTS, ids=repr)
def test_every_event_round_trips(event: ControlEvent) -> None:
    assert control.decode(control.encode(event)) == event


def test_the_encoding_is_a_small_json_object_with_an_op() -> None:
    fields = orjson.loads(control.encode(Remove(None, "k", "mona", "r", True, 5, "ban")))
    assert fields == {
        "op": "remove", "account": None, "key": "k", "by": "mona", "reason": "r",
        "until": 5, "banned": True, "record": "ban",
    }  # fmt: skip


@pytest.mark.parametrize(
    "payload", [b"not json", b"[1]", b'{"no": "op"}', b'{"op": "explode"}', b'{"op": "delete"}']
)
def test_what_is_not_an_event_is_refused(payload: bytes) -> None:
    with pytest.raises(BadControlEvent):
        control.decode(payload)


def test_fields_of_the_wrong_type_are_dropped_not_trusted() -> None:
    event = control.decode(b'{"op": "mute", "account": 5, "key": "k", "until": "soon", "by": 1}')
    assert event == Mute(None, "k", "1", "", None)


def test_a_sanction_names_an_account_or_else_a_guest_by_nickname_key() -> None:
    by_account = Remove("a1", None, "m", "", False)
    assert control.concerns(by_account, "a1", "whoever")
    assert not control.concerns(by_account, "a2", "whoever")
    by_name = Mute(None, protocol.nick_key("Guest1234"), "m", "")
    assert control.concerns(by_name, None, "Guest1234")
    assert not control.concerns(by_name, None, "guest9999")
    assert not control.concerns(Mute(None, None, "m", ""), None, "anyone")
