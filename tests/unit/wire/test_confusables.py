"""Nickname look-alikes: the UTS #39 skeleton and the uniqueness key built on it."""

from __future__ import annotations

import pytest

from roomcast.wire import confusables, protocol
from roomcast.wire.confusables import generate, skeleton


@pytest.mark.parametrize(
    ("impostor", "original"),
    [
        ("\u0430lice", "alice"),  # Cyrillic a
        ("\u0391lice", "Alice"),  # Greek capital Alpha
        ("ALICE", "alice"),  # case
        ("AIice", "Alice"),  # capital I for l
        ("\uff41\uff4c\uff49\uff43\uff45", "alice"),  # fullwidth
        ("ａｌｉｃｅ", "ALICE"),
        ("b0b", "bob"),  # zero for o
        ("rnallory", "mallory"),  # rn for m
        ("p\u0430yp\u0430l", "paypal"),
        ("\u0455\u0443\u0455tem", "system"),  # Cyrillic dze and u
        ("Zoe\u0308", "zoë"),  # decomposed
        ("Stra\u00dfe", "STRASSE"),
    ],
)
def test_look_alikes_share_a_key(impostor: str, original: str) -> None:
    assert protocol.nick_key(impostor) == protocol.nick_key(original)


@pytest.mark.parametrize(("one", "other"), [("alice", "alicia"), ("bob", "rob"), ("ann", "anne")])
def test_different_names_keep_different_keys(one: str, other: str) -> None:
    assert protocol.nick_key(one) != protocol.nick_key(other)


def test_reserved_names_are_reserved_in_disguise() -> None:
    for name in ("\u0430dmin", "ＳＹＳＴＥＭ", "r00t", "Guest-1234", "gu\u0435st-ab"):
        with pytest.raises(protocol.ProtocolError) as refused:
            protocol.validate_nick(name)
        assert refused.value.code == "nick_reserved", name


def test_invisible_and_bidi_characters_are_refused() -> None:
    for name in ("a\u200bb", "bob\u202e", "\u2066eve", "zero\u200dwidth", "soft\u00adhyphen"):
        with pytest.raises(protocol.ProtocolError) as refused:
            protocol.validate_nick(name)
        assert refused.value.code == "nick_invalid", name


def test_skeleton_follows_uts39() -> None:
    assert skeleton("\u0441\u043e\u043e\u0440") == "coop"
    assert skeleton("m") == "rn"
    assert skeleton("é") == "e\u0301"  # NFD


def test_the_table_is_generated_from_confusables_txt() -> None:
    source = (
        "# confusables.txt\n# Version: 99\n"
        "0430 ;\t0061 ;\tMA\t# ( а → a ) CYRILLIC SMALL LETTER A → LATIN SMALL LETTER A\n"
        "006D ;\t0072 006E ;\tMA\t# ( m → rn )\n"
    )
    table = generate(source)
    assert "0430\t0061" in table.splitlines()
    assert "006D\t0072 006E" in table.splitlines()
    assert "# Version: 99" in table


def test_preload_reads_the_table_so_the_first_skeleton_does_not() -> None:
    confusables._prototypes.cache_clear()
    confusables.preload()
    assert confusables._prototypes.cache_info().currsize == 1
    skeleton("a")
    assert confusables._prototypes.cache_info().hits >= 1
