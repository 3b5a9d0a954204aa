"""The query language, folding, the evaluator and highlights (``store.search``), and the
evaluator against SQLite's FTS5 index and PostgreSQL's tsquery builder on generated texts."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roomcast.store.postgres.search import tsquery
from roomcast.store.search import (
    Query,
    Term,
    fold,
    highlight,
    indexed_text,
    matches,
    parse,
    score,
    words,
)
from roomcast.store.sqlite.search import fts_match
from roomcast.wire.protocol import ErrorCode, ProtocolError


def test_parse_words_phrases_exclusions_and_prefixes() -> None:
    query = parse('Café  "New Build" -friday -"bad day" rele* x-ray')
    assert query.terms == (
        Term(("cafe",)),
        Term(("new", "build")),
        Term(("friday",), excluded=True),
        Term(("bad", "day"), excluded=True),
        Term(("rele",), prefix=True),
        Term(("x", "ray")),  # a word of several, as an index splits it: a phrase
    )
    assert parse("a a A").terms == (Term(("a",)),)
    assert parse('"new bu"*').terms == (Term(("new", "bu"), prefix=True),)
    assert parse("🎉 ok").terms == (Term(("ok",)),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "at least one word"),
        ('say "hi', "not closed"),
        ("-no -words", "at least one word"),
        ("a*", "at least 2 letters"),
        ("x" * 201, "at most 200"),
        (" ".join(f"w{n}" for n in range(17)), "at most 16 terms"),
    ],
)
def test_parse_refuses_what_says_nothing(text: str, message: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse(text)
    assert refused.value.code == ErrorCode.BAD_FIELD
    assert message in refused.value.message


def test_folding() -> None:
    assert fold("Café ÉCOLE naïve Ångström") == "cafe ecole naive angstrom"
    assert fold("ﬁne") == "fine"  # compatibility forms too
    assert words("Hello, wörld! 🎉 x_y 42") == ["hello", "world", "x", "y", "42"]
    assert words("e\u0301te\u0301") == ["ete"]  # decomposed marks stay inside the word
    assert indexed_text("café-bar, OK!") == "cafe bar ok"


def test_matches_and_score() -> None:
    query = parse('cafe "new build" -friday rel*')
    assert matches(query, "CAFÉ: the new build is released")
    assert not matches(query, "café, new build, released friday")
    assert not matches(query, "café build new released")
    assert score(parse("rust"), "rust rust") > score(parse("rust"), "rust and other words")


def test_highlight_is_the_text_cut_into_segments() -> None:
    text = "Un café? 🎉 CAFÉ, cafe\u0301s — café"
    segments = highlight(parse("cafe"), text)
    assert "".join(part for part, _ in segments) == text
    assert segments == [
        ("Un ", False),
        ("café", True),
        ("? 🎉 ", False),
        ("CAFÉ", True),
        (", cafe\u0301s — ", False),
        ("café", True),
    ]
    assert highlight(parse("absent"), "no match") == [("no match", False)]
    assert highlight(parse("x"), "") == [("", False)]


_ALPHABET = "abcdeéèçñüø AB-'.,!🎉12"
_texts = st.lists(st.text(alphabet=_ALPHABET, min_size=0, max_size=40), min_size=1, max_size=30)


def _query_from(texts: list[str], data: st.DataObject) -> Query:
    vocabulary = sorted({w for text in texts for w in words(text)}) or ["a"]
    terms = []
    for _ in range(data.draw(st.integers(1, 3))):
        size = data.draw(st.integers(1, 2))
        chosen = tuple(data.draw(st.sampled_from(vocabulary)) for _ in range(size))
        prefix = data.draw(st.booleans()) and len(chosen[-1]) >= 2
        if prefix:
            chosen = (*chosen[:-1], chosen[-1][: data.draw(st.integers(2, len(chosen[-1])))])
        terms.append(Term(chosen, prefix, excluded=bool(terms) and data.draw(st.booleans())))
    return Query("generated", tuple(dict.fromkeys(terms)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=_texts, data=st.data())
def test_the_evaluator_agrees_with_fts5(texts: list[str], data: st.DataObject) -> None:
    query = _query_from(texts, data)
    conn = sqlite3.connect(":memory:")
    conn.execute(
        'CREATE VIRTUAL TABLE fts USING fts5(body, tag, tokenize = "unicode61 remove_diacritics 2")'
    )
    conn.executemany(
        "INSERT INTO fts (rowid, body, tag) VALUES (?, ?, 'r')", list(enumerate(texts, 1))
    )
    found = {
        rowid
        for (rowid,) in conn.execute(
            "SELECT rowid FROM fts WHERE fts MATCH ?", (fts_match(query, None),)
        )
    }
    assert found == {n for n, text in enumerate(texts, 1) if matches(query, text)}


def test_the_tsquery_quotes_every_word() -> None:
    query = parse('cafe "new build" -friday rele* -"bad day"')
    assert (
        tsquery(query) == "'cafe' & ('new' <-> 'build') & 'rele':* & !'friday' & !('bad' <-> 'day')"
    )
