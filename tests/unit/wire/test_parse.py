"""Client frames to commands, driven with plain strings and bytes: every code and edge case."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomcast.wire.commands import FetchHistory, JoinRoom, LeaveRoom, Ping, SendChat, SetNick
from roomcast.wire.encode import encode_error
from roomcast.wire.errors import ErrorCode, ProtocolError
from roomcast.wire.parse import parse


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def line(**fields: object) -> str:
    return json.dumps(fields)


def error_of(data: str | bytes) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        parse(data)
    return caught.value


def assert_command_or_coded_error(data: str) -> None:
    """Whatever comes in, parse returns a command or raises ProtocolError: nothing else."""
    try:
        command = parse(data)
    except ProtocolError as exc:
        frame = json.loads(encode_error(exc))
        assert frame["Code"] in {code.value for code in ErrorCode}
        assert frame["Message"]
        return
    assert isinstance(command, SendChat | SetNick | JoinRoom | LeaveRoom | FetchHistory | Ping)


class TestTutorialLine:
    def test_line_without_type_is_a_chat(self) -> None:
        command = parse(line(Message=b64(b"hello"), Author="alice"))
        assert command == SendChat("hello", "alice", None, None)

    def test_utf8_text_is_decoded(self) -> None:
        command = parse(line(Message=b64("日本語 🎉".encode())))
        assert isinstance(command, SendChat)
        assert command.text == "日本語 🎉"

    def test_btoa_latin1_bytes_are_read_as_latin1(self) -> None:
        # btoa("café") in a browser yields the Latin-1 byte 0xE9, not UTF-8.
        command = parse(line(Message=b64(b"caf\xe9"), Author="bob"))
        assert isinstance(command, SendChat)
        assert command.text == "café"

    def test_empty_author_means_no_claim(self) -> None:
        command = parse(line(Message=b64(b"x"), Author=""))
        assert isinstance(command, SendChat)
        assert command.author is None

    def test_room_and_ref_extensions(self) -> None:
        command = parse(line(Message=b64(b"x"), Room="dev", Ref="r-1"))
        assert command == SendChat("x", None, "dev", "r-1")

    def test_crlf_becomes_lf_and_tabs_newlines_are_kept(self) -> None:
        command = parse(line(Message=b64(b"a\r\nb\tc\rd")))
        assert isinstance(command, SendChat)
        assert command.text == "a\nb\tc\nd"


class TestBadInput:
    @pytest.mark.parametrize(
        ("data", "code"),
        [
            ("{not json", ErrorCode.BAD_JSON),
            ("", ErrorCode.BAD_JSON),
            ("[1, 2]", ErrorCode.NOT_OBJECT),
            ('"text"', ErrorCode.NOT_OBJECT),
            ("null", ErrorCode.NOT_OBJECT),
            ("{}", ErrorCode.MISSING_FIELD),
            ('{"Message": 5}', ErrorCode.BAD_FIELD),
            ('{"Message": "***"}', ErrorCode.BAD_BASE64),
            ('{"Message": "aGVsbG8"}', ErrorCode.BAD_BASE64),
            ('{"Type": "Dance"}', ErrorCode.UNKNOWN_TYPE),
            ('{"Type": 7}', ErrorCode.BAD_FIELD),
            ('{"Type": "Nick"}', ErrorCode.MISSING_FIELD),
            ('{"Type": "Nick", "Name": ["x"]}', ErrorCode.BAD_FIELD),
            ('{"Type": "Join"}', ErrorCode.MISSING_FIELD),
            ('{"Type": "Join", "Room": "a b"}', ErrorCode.ROOM_INVALID),
            ('{"Type": "Join", "Room": "r", "Since": -1}', ErrorCode.BAD_FIELD),
            ('{"Type": "Join", "Room": "r", "Since": "5"}', ErrorCode.BAD_FIELD),
            ('{"Type": "Join", "Room": "r", "Since": true}', ErrorCode.BAD_FIELD),
            ('{"Type": "History", "Limit": 0}', ErrorCode.BAD_FIELD),
            ('{"Type": "History", "Limit": 201}', ErrorCode.BAD_FIELD),
            ('{"Type": "Ping", "Ref": {"a": 1}}', ErrorCode.BAD_FIELD),
            ('{"Type": "Ping", "Ref": ""}', ErrorCode.BAD_FIELD),
            ('{"Type": "Ping", "Ref": -3}', ErrorCode.BAD_FIELD),
        ],
    )
    def test_error_codes(self, data: str, code: ErrorCode) -> None:
        assert error_of(data).code == code

    def test_control_characters_are_refused(self) -> None:
        assert error_of(line(Message=b64(b"bell\x07"))).code == ErrorCode.BAD_TEXT
        assert error_of(line(Message=b64("c1\u0085".encode()))).code == ErrorCode.BAD_TEXT

    def test_blank_text_is_refused(self) -> None:
        assert error_of(line(Message=b64(b" \n\t "))).code == ErrorCode.EMPTY_MESSAGE

    def test_length_limit_counts_characters(self) -> None:
        ok = parse(line(Message=b64(("é" * 4000).encode())))
        assert isinstance(ok, SendChat)
        assert error_of(line(Message=b64(b"x" * 4001))).code == ErrorCode.TOO_LONG

    def test_deep_nesting_is_refused(self) -> None:
        deep: object = "x"
        for _ in range(20):
            deep = {"a": deep}
        assert error_of(json.dumps({"Type": "Ping", "X": deep})).code == ErrorCode.TOO_DEEP

    def test_errors_echo_the_ref(self) -> None:
        error = error_of(line(Message="***", Ref=42))
        assert error.ref == 42
        assert json.loads(encode_error(error))["Ref"] == 42

    @given(st.text(max_size=200))
    def test_any_text_parses_or_fails_with_a_code(self, data: str) -> None:
        assert_command_or_coded_error(data)

    @given(
        st.dictionaries(
            st.sampled_from(["Type", "Message", "Author", "Room", "Ref", "Since", "Name"]),
            st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.lists(st.none()),
        )
    )
    def test_any_object_parses_or_fails_with_a_code(self, obj: dict[str, object]) -> None:
        assert_command_or_coded_error(json.dumps(obj))


class TestExtensions:
    def test_nick(self) -> None:
        assert parse('{"Type":"Nick","Name":"zoë","Ref":1}') == SetNick("zoë", 1)

    def test_join_with_since(self) -> None:
        assert parse('{"Type":"Join","Room":"dev","Since":12}') == JoinRoom("dev", 12)

    def test_leave(self) -> None:
        assert parse('{"Type":"Leave","Room":"dev"}') == LeaveRoom("dev")

    def test_history_defaults(self) -> None:
        assert parse('{"Type":"History"}') == FetchHistory(None, None, 50)
        assert parse('{"Type":"History","Room":"r","Before":9,"Limit":5}') == (
            FetchHistory("r", 9, 5)
        )

    def test_ping(self) -> None:
        assert parse('{"Type":"Ping","Ref":"p"}') == Ping("p")


class TestFieldRules:
    """The rules read from the frame classes: null, order of checks, the tutorial line's path."""

    @pytest.mark.parametrize(
        ("data", "command"),
        [
            ('{"Type":"Join","Room":null}', JoinRoom("default")),
            ('{"Type":"Join","Room":""}', JoinRoom("default")),
            ('{"Type":"History","Limit":null,"Room":null}', FetchHistory(None, None, 50)),
            ('{"Type":"Nick","Name":null}', SetNick("")),
            ('{"Message":"aGk=","Author":null}', SendChat("hi")),
            ('{"Message":5,"Message":"aGk="}', SendChat("hi")),  # the last key wins
            ('{"Message":"aGk=","Unknown":[1]}', SendChat("hi")),  # unknown keys are ignored
            ('{"Type":"Kick","Room":"r","Name":"x","Duration":"z"}', None),
        ],
    )
    def test_null_absent_and_unknown_keys(self, data: str, command: object) -> None:
        parsed = parse(data)
        if command is not None:
            assert parsed == command

    @pytest.mark.parametrize(
        ("data", "code", "message"),
        [
            ('{"Message":"***","Room":5}', ErrorCode.BAD_BASE64, "Message is not valid base64"),
            (
                '{"Type":"History","Room":5,"Limit":0}',
                ErrorCode.BAD_FIELD,
                "Limit must be between 1 and 200",
            ),
            (
                '{"Type":"Delete","Room":"r","ID":null}',
                ErrorCode.MISSING_FIELD,
                "Target is required",
            ),
            (
                '{"Type":"Kick","Room":"r","Name":null}',
                ErrorCode.BAD_FIELD,
                "Name must not be empty",
            ),
            (
                '{"Type":"Role","Room":"r","Name":"x","Role":null}',
                ErrorCode.BAD_FIELD,
                "Role must be one of moderator, member, none",
            ),
            (
                '{"Type":"Ban","Room":"r","Name":"x","Duration":0}',
                ErrorCode.BAD_FIELD,
                "Duration must be between 1 and 315360000",
            ),
            ('{"Type":"Join","Since":"5"}', ErrorCode.MISSING_FIELD, "Room is required"),
            ('{"Type":7,"Ref":""}', ErrorCode.BAD_FIELD, "Ref must be 1-64 characters"),
            ('{"Message":"aGk=","Author":1e999}', ErrorCode.BAD_JSON, "frame is not valid JSON"),
            ('{"Message":"\\ud800"}', ErrorCode.BAD_JSON, "frame is not valid JSON"),
        ],
    )
    def test_the_first_fault_in_field_order_is_reported(
        self, data: str, code: ErrorCode, message: str
    ) -> None:
        error = error_of(data)
        assert (error.code, error.message) == (code, message)

    def test_errors_after_the_ref_echo_it_and_ref_errors_do_not(self) -> None:
        assert error_of('{"Type":"Dance","Ref":"r"}').ref == "r"
        assert error_of('{"Type":"Dance","Ref":true}').ref is None


@pytest.mark.parametrize("frame", ['{"Message":"aGk=","X":%s}', '{"Type":"Ping","X":%s}'])
@pytest.mark.parametrize("depth", [9, 2000, 5000])
def test_deep_nesting_in_an_unknown_key_is_too_deep(frame: str, depth: int) -> None:
    assert error_of(frame % ("[" * depth + "]" * depth)).code == ErrorCode.TOO_DEEP
