"""Nicknames: allowed characters, canonical form, reserved names, look-alike keys."""

from __future__ import annotations

import pytest

from roomcast.wire.errors import ErrorCode, ProtocolError
from roomcast.wire.nicknames import nick_key, validate_nick


class TestNicknames:
    @pytest.mark.parametrize("name", ["alice", "Zoë", "李小龙", "a b", "x" * 32, "o'neil", "🙂"])
    def test_valid_nicks(self, name: str) -> None:
        assert validate_nick(name) == name

    def test_nick_is_nfc_normalised_and_trimmed(self) -> None:
        assert validate_nick(" Zoe\u0308 ") == "Zoë"

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
            validate_nick(name)
        assert caught.value.code == code

    def test_nick_key_is_case_insensitive_after_nfc(self) -> None:
        assert nick_key("ZOË") == nick_key("zoe\u0308")
        assert nick_key("Straße") == nick_key("STRASSE")
