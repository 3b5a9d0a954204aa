"""The sans-I/O protocol module, driven with plain strings and bytes: no network."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomcast.wire import protocol
from roomcast.wire.protocol import (
    ChatMessage,
    ErrorCode,
    FetchHistory,
    JoinRoom,
    LeaveRoom,
    Ping,
    ProtocolError,
    SendChat,
    SetNick,
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def line(**fields: object) -> str:
    return json.dumps(fields)


def error_of(data: str | bytes) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        protocol.parse(data)
    return caught.value


def assert_command_or_coded_error(data: str) -> None:
    """Whatever comes in, parse returns a command or raises ProtocolError: nothing else."""
    try:
        command = protocol.parse(data)
    except ProtocolError as exc:
        frame = json.loads(protocol.encode_error(exc))
        assert frame["Code"] in {code.value for code in ErrorCode}
        assert frame["Message"]
        return
    assert isinstance(command, SendChat | SetNick | JoinRoom | LeaveRoom | FetchHistory | Ping)


class TestTutorialLine:
    def test_line_without_type_is_a_chat(self) -> None:
        command = protocol.parse(line(Message=b64(b"hello"), Author="alice"))
        assert command == SendChat("hello", "alice", None, None)

    def test_utf8_text_is_decoded(self) -> None:
        command = protocol.parse(line(Message=b64("日本語 🎉".encode())))
        assert isinstance(command, SendChat)
        assert command.text == "日本語 🎉"

    def test_btoa_latin1_bytes_are_read_as_latin1(self) -> None:
        # btoa("café") in a browser yields the Latin-1 byte 0xE9, not UTF-8.
        command = protocol.parse(line(Message=b64(b"caf\xe9"), Author="bob"))
        assert isinstance(command, SendChat)
        assert command.text == "café"

    def test_empty_author_means_no_claim(self) -> None:
        command = protocol.parse(line(Message=b64(b"x"), Author=""))
        assert isinstance(command, SendChat)
        assert command.author is None

    def test_room_and_ref_extensions(self) -> None:
        command = protocol.parse(line(Message=b64(b"x"), Room="dev", Ref="r-1"))
        assert command == SendChat("x", None, "dev", "r-1")

    def test_crlf_becomes_lf_and_tabs_newlines_are_kept(self) -> None:
        command = protocol.parse(line(Message=b64(b"a\r\nb\tc\rd")))
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
        ok = protocol.parse(line(Message=b64(("é" * 4000).encode())))
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
        assert json.loads(protocol.encode_error(error))["Ref"] == 42

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
        assert protocol.parse('{"Type":"Nick","Name":"zoë","Ref":1}') == SetNick("zoë", 1)

    def test_join_with_since(self) -> None:
        assert protocol.parse('{"Type":"Join","Room":"dev","Since":12}') == JoinRoom("dev", 12)

    def test_leave(self) -> None:
        assert protocol.parse('{"Type":"Leave","Room":"dev"}') == LeaveRoom("dev")

    def test_history_defaults(self) -> None:
        assert protocol.parse('{"Type":"History"}') == FetchHistory(None, None, 50)
        assert protocol.parse('{"Type":"History","Room":"r","Before":9,"Limit":5}') == (
            FetchHistory("r", 9, 5)
        )

    def test_ping(self) -> None:
        assert protocol.parse('{"Type":"Ping","Ref":"p"}') == Ping("p")


class TestNames:
    @pytest.mark.parametrize("name", ["alice", "Zoë", "李小龙", "a b", "x" * 32, "o'neil", "🙂"])
    def test_valid_nicks(self, name: str) -> None:
        assert protocol.validate_nick(name) == name

    def test_nick_is_nfc_normalised_and_trimmed(self) -> None:
        assert protocol.validate_nick(" Zoe\u0308 ") == "Zoë"

    @pytest.mark.parametrize(
        ("name", "code"),
        [
            ("", ErrorCode.NICK_INVALID),
            ("   ", ErrorCode.NICK_INVALID),
            ("x" * 33, ErrorCode.NICK_INVALID),
            ("ali\u200bce", ErrorCode.NICK_INVALID),  # zero-width space
            ("\u202eecila", ErrorCode.NICK_INVALID),  # right-to-left override
            ("tab\there", ErrorCode.NICK_INVALID),
            ("a\u00a0b", ErrorCode.NICK_INVALID),  # no-break space
            ("a  b", ErrorCode.NICK_INVALID),
            ("System", ErrorCode.NICK_RESERVED),
            ("ADMIN", ErrorCode.NICK_RESERVED),
            ("guest-1a2b", ErrorCode.NICK_RESERVED),
        ],
    )
    def test_invalid_nicks(self, name: str, code: ErrorCode) -> None:
        with pytest.raises(ProtocolError) as caught:
            protocol.validate_nick(name)
        assert caught.value.code == code

    def test_nick_key_is_case_insensitive_after_nfc(self) -> None:
        assert protocol.nick_key("ZOË") == protocol.nick_key("zoe\u0308")
        assert protocol.nick_key("Straße") == protocol.nick_key("STRASSE")

    @pytest.mark.parametrize("raw", [None, ""])
    def test_missing_room_is_default(self, raw: str | None) -> None:
        assert protocol.validate_room(raw) == "default"

    @pytest.mark.parametrize("room", ["lobby", "dev-ops", "a.b_c", "général", "部屋", "_x"])
    def test_valid_rooms(self, room: str) -> None:
        assert protocol.validate_room(room) == room

    @pytest.mark.parametrize("room", ["a b", "-x", ".x", "x/y", "<script>", "x" * 65, "a\nb"])
    def test_invalid_rooms(self, room: str) -> None:
        with pytest.raises(ProtocolError) as caught:
            protocol.validate_room(room)
        assert caught.value.code == ErrorCode.ROOM_INVALID


class TestFrames:
    message = ChatMessage("lobby", 7, "alice", "héllo", "abc", 1_700_000_000_123)

    def test_chat_frame_has_the_tutorial_keys_and_extensions(self) -> None:
        frame = json.loads(protocol.encode_chat(self.message))
        assert frame == {
            "Type": "Chat",
            "Message": b64("héllo".encode()),
            "Author": "alice",
            "Room": "lobby",
            "WSID": "abc",
            "Sent": "2023-11-14 22:13:20",
            "ID": 7,
            "Time": "2023-11-14T22:13:20.123Z",
        }

    def test_userlist_frame(self) -> None:
        frame = json.loads(protocol.encode_userlist("r", ["a", "b"]))
        assert frame == {"Type": "userlist", "Room": "r", "Users": [{"Name": "a"}, {"Name": "b"}]}

    def test_status_frame(self) -> None:
        frame = json.loads(
            protocol.encode_status("w1", "hi", nick="n", room="r", session="s", version="1")
        )
        assert frame["Type"] == "Status"
        assert frame["WSID"] == "w1"
        assert base64.b64decode(frame["Message"]) == b"hi"


@pytest.mark.parametrize(
    ("check", "limit", "padding"),
    [
        (lambda raw: protocol.validate_line(raw, "topic", protocol.MAX_TOPIC_CHARS), 200, "\x1f\r"),
        (protocol.validate_nick, protocol.MAX_NICK_CHARS, "  "),
        (protocol.validate_text, protocol.MAX_TEXT_CHARS, "\r\n"),
    ],
)
def test_limits_count_the_text_as_sent(
    check: Callable[[str], str], limit: int, padding: str
) -> None:
    """A text within the limit only after trimming or newline folding is still too long."""
    check(padding + "x" * (limit - len(padding)))  # at the limit as sent: accepted
    with pytest.raises(ProtocolError):
        check(padding + "x" * (limit - len(padding) + 1))
