"""The Members frame: parsed on the fast path and the slow one alike, bad values refused with a
code that echoes the Ref; the answer's shape."""

from __future__ import annotations

import json

import pytest

from roomcast.wire.errors import ErrorCode, ProtocolError
from roomcast.wire.member_frames import ListMembers, encode_members
from roomcast.wire.parse import parse


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ('{"Type":"Members"}', ListMembers(None, None, 200)),
        (
            '{"Type":"Members","Room":"lobby","After":"bob","Limit":5,"Ref":7}',
            ListMembers("lobby", "bob", 5, 7),
        ),
        # The slow path: an unknown key, and nulls for absent keys.
        ('{"Type":"Members","After":null,"Limit":null,"Extra":1}', ListMembers(None, None, 200)),
        (
            '{"Type":"Members","After":"Zoë","Limit":200,"Ref":"x"}',
            ListMembers(None, "Zoë", 200, "x"),
        ),
    ],
)
def test_members_frames_become_a_listing(text: str, command: ListMembers) -> None:
    assert parse(text) == command


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"Limit": 0}, ErrorCode.BAD_FIELD),
        ({"Limit": 201}, ErrorCode.BAD_FIELD),
        ({"Limit": "5"}, ErrorCode.BAD_FIELD),
        ({"Limit": True}, ErrorCode.BAD_FIELD),
        ({"After": ""}, ErrorCode.BAD_FIELD),
        ({"After": "x" * 33}, ErrorCode.BAD_FIELD),
        ({"After": 5}, ErrorCode.BAD_FIELD),
        ({"Room": "no spaces"}, ErrorCode.ROOM_INVALID),
    ],
)
def test_bad_members_frames_are_refused_with_their_ref(frame: dict[str, object], code: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse(json.dumps({"Type": "Members", "Ref": "m", **frame}))
    assert (refused.value.code, refused.value.ref) == (code, "m")


def test_the_answer_leaves_out_what_was_not_asked() -> None:
    assert json.loads(encode_members("lobby", ["a"], 3, True, None, None)) == {
        "Type": "Members", "Room": "lobby", "Names": ["a"], "Count": 3, "More": True,
    }  # fmt: skip
    page = json.loads(encode_members("lobby", [], 3, False, "a", 9))
    assert (page["After"], page["Ref"], page["More"]) == ("a", 9, False)
