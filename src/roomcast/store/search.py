"""Search: the query language, folding, the evaluator and highlights, and the ``SearchStore`` part.

A query is words, ``"phrases"``, ``-exclusions`` (of a word or a phrase) and ``prefix*`` words;
every term must match (AND) and no exclusion may. Text and query fold alike (``fold``: NFKD,
combining marks dropped, lower case), so ``Café`` matches ``cafe``. A word is a run of letters,
digits and combining marks, as SQLite's ``unicode61`` tokenizer splits text: emoji and
punctuation separate words and are never searched. ``parse`` refuses an empty query, an
unbalanced quote and a query of exclusions only with ``bad_field``.

``matches`` evaluates a parsed query over a text in Python: the memory store's search, and the
lines an index has not taken in yet. ``highlight`` cuts a text into ``(text, matched)`` segments
on the original, unfolded text (their concatenation is the text, character for character), so
a client marks the matched words from data, never from HTML.

Ranking (every store): the page's lines are ordered by ``score`` (term occurrences, normalised
by the line's length, BM25-like), then by recency. Which lines make the page is the store's
rule, the same on all three: with a room, the newest ``limit`` matches below ``before`` (so
paging with ``before`` = the lowest ID of the last page visits every match once); across rooms,
the best of the matches among the newest lines: the newest lines expected to hold about
``RANKED`` matches (from those counted in the newest ``WINDOW``, see ``narrowed``), the window
widened ``WIDEN`` times until it holds more than ``limit`` matches or is the whole history.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from typing import Final, Protocol

from roomcast.record import record
from roomcast.wire.errors import ErrorCode, ProtocolError
from roomcast.wire.limits import DEFAULT_SEARCH_LIMIT as DEFAULT_SEARCH_LIMIT
from roomcast.wire.limits import MAX_QUERY_CHARS
from roomcast.wire.protocol import ChatMessage

MAX_TERMS: Final = 16
MIN_PREFIX_CHARS: Final = 2
# The recency windows of a search across rooms: the newest WINDOW indexed lines first, then
# WIDEN times as many, until more than ``limit`` matches are found or the window is everything.
WINDOW: Final = 50_000
WIDEN: Final = 4
# Ranking costs per match (bm25, ts_rank): a word in many lines has thousands of matches even
# in the newest WINDOW lines, a rare one a few in all history. The matches of the newest WINDOW
# are counted (cheap), and the first window ranked is the one expected to hold about RANKED.
RANKED: Final = 1_000


def narrowed(size: int, found: int) -> int:
    """The first window to rank in, from ``found`` matches (counted, not ranked) in the newest
    ``size`` lines: the newest lines expected to hold about ``RANKED`` matches (all of history
    when they hold none)."""
    return max(1, size * RANKED // max(found, 1))


# A highlight: the text cut into segments, each marked True when it is (part of) a match.
Highlight = list[tuple[str, bool]]


@record
class Term:
    """A word (one word) or a phrase (several, in a row), folded; ``prefix``: its last word
    matches any word it begins; ``excluded``: no line with it matches."""

    words: tuple[str, ...]
    prefix: bool = False
    excluded: bool = False


@record
class Query:
    """A parsed query: its terms, and the text it was parsed from."""

    text: str
    terms: tuple[Term, ...]

    @property
    def required(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if not term.excluded)

    @property
    def excluded(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if term.excluded)


@record
class Reader:
    """Who searches: an account (its ID; None for a guest), and whether a server admin.

    A reader may read public rooms, and private rooms (direct conversations included) it owns or
    is a member or moderator of; an admin every room."""

    account_id: str | None = None
    admin: bool = False


@record
class Found:
    """One line of a search's results in its current state, with its highlight."""

    message: ChatMessage
    highlight: tuple[tuple[str, bool], ...]


@record
class SearchPage:
    """The lines found, in their order, and whether more matches exist."""

    found: tuple[Found, ...]
    more: bool


def _is_word_char(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LNM" or category == "Co"


def fold(text: str) -> str:
    """``text`` as searches compare it: NFKD, combining marks dropped, lower case."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


_ASCII_WORD: Final = re.compile(r"[A-Za-z0-9]+")


def spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each word of ``text``, in order."""
    if text.isascii():
        return [match.span() for match in _ASCII_WORD.finditer(text)]
    found = []
    start = -1
    for index, char in enumerate(text):
        if _is_word_char(char):
            if start < 0:
                start = index
        elif start >= 0:
            found.append((start, index))
            start = -1
    if start >= 0:
        found.append((start, len(text)))
    return found


def words(text: str) -> list[str]:
    """The folded words of ``text`` (a word that folds to nothing, a lone mark, is dropped)."""
    if text.isascii():
        return _ASCII_WORD.findall(text.lower())
    whole = fold(text)
    if whole.isascii():  # accents only: every letter folded to ASCII, every mark dropped
        return _ASCII_WORD.findall(whole)
    folded = (fold(text[start:end]) for start, end in spans(text))
    return [word for word in folded if word]


def indexed_text(text: str) -> str:
    """What an index takes in of ``text``: its folded words, a space between each (so an
    index's own parser finds exactly these words: PostgreSQL's would split ``café-bar`` into
    three, itself and its parts)."""
    return " ".join(words(text))


def _bad(message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.BAD_FIELD, f"Query: {message}")


def parse(text: str) -> Query:
    """The query ``text`` says, or ``ProtocolError`` (``bad_field``) when it says none."""
    if len(text) > MAX_QUERY_CHARS:
        raise _bad(f"at most {MAX_QUERY_CHARS} characters")
    if text.count('"') % 2:
        raise _bad('a quote (") is not closed')
    terms: list[Term] = []
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char.isspace():
            index += 1
            continue
        excluded = char == "-" and index + 1 < length and not text[index + 1].isspace()
        if excluded:
            index += 1
        if text[index] == '"':
            end = text.index('"', index + 1)
            body, index = text[index + 1 : end], end + 1
            prefix = text[index : index + 1] == "*"
            index += prefix
        else:
            end = index
            while end < length and not text[end].isspace() and text[end] != '"':
                end += 1
            body, index = text[index:end], end
            prefix = body.endswith("*")
        found = words(body)
        if not found:
            continue  # nothing searchable: punctuation, emoji
        if prefix and len(found[-1]) < MIN_PREFIX_CHARS:
            raise _bad(f"a prefix* needs at least {MIN_PREFIX_CHARS} letters before the *")
        terms.append(Term(tuple(found), prefix, excluded))
    unique = tuple(dict.fromkeys(terms))
    if not any(not term.excluded for term in unique):
        raise _bad("give at least one word to look for (not only -exclusions)")
    if len(unique) > MAX_TERMS:
        raise _bad(f"at most {MAX_TERMS} terms")
    return Query(text, unique)


def _occurrences(term: Term, folded: Sequence[str]) -> list[int]:
    """Where ``term`` starts in the folded words of a text."""
    size = len(term.words)
    last = term.words[-1]
    head = term.words[:-1]
    starts = []
    for start in range(len(folded) - size + 1):
        tail = folded[start + size - 1]
        if (tail.startswith(last) if term.prefix else tail == last) and (
            not head or tuple(folded[start : start + size - 1]) == head
        ):
            starts.append(start)
    return starts


def matches(query: Query, text: str) -> bool:
    """Whether ``text`` has every required term of ``query`` and none of its exclusions."""
    folded = words(text)
    return all(_occurrences(term, folded) for term in query.required) and not any(
        _occurrences(term, folded) for term in query.excluded
    )


def score(query: Query, text: str) -> float:
    """How well ``text`` matches: occurrences of the required terms (a phrase counts double),
    saturated and normalised by length as BM25 does (k1 1.2, b 0.75, mean length 12 words)."""
    folded = words(text)
    norm = 1.2 * (0.25 + 0.75 * len(folded) / 12)
    total = 0.0
    for term in query.required:
        count = len(_occurrences(term, folded)) * len(term.words)
        total += count * 2.2 / (count + norm)
    return math.floor(total * 1e6) / 1e6


def highlight(query: Query, text: str) -> Highlight:
    """``text`` in segments, the words of each occurrence of a required term marked True."""
    cut = spans(text)
    kept = [(span, fold(text[span[0] : span[1]])) for span in cut]
    kept = [(span, word) for span, word in kept if word]
    folded = [word for _, word in kept]
    marked = [False] * len(kept)
    for term in query.required:
        for start in _occurrences(term, folded):
            for position in range(start, start + len(term.words)):
                marked[position] = True
    segments: Highlight = []
    at = 0
    for (span, _), hit in zip(kept, marked, strict=True):
        if not hit:
            continue
        if span[0] > at:
            segments.append((text[at : span[0]], False))
        if segments and segments[-1][1] and at == span[0]:
            segments[-1] = (segments[-1][0] + text[span[0] : span[1]], True)
        else:
            segments.append((text[span[0] : span[1]], True))
        at = span[1]
    if at < len(text) or not segments:
        segments.append((text[at:], False))
    return segments


def found(query: Query, message: ChatMessage) -> Found:
    return Found(message, tuple(highlight(query, message.text)))


def ranked(query: Query, messages: Sequence[ChatMessage], limit: int) -> list[Found]:
    """The best ``limit`` of ``messages`` (lines that match ``query``): by ``score``, then the
    newest first."""
    scored = [(score(query, m.text), m.sent_ms, m.id, m) for m in messages]
    scored.sort(key=lambda entry: (-entry[0], -entry[1], -entry[2]))
    return [found(query, entry[3]) for entry in scored[:limit]]


def page_of(
    query: Query,
    lines: Iterable[ChatMessage],
    *,
    room: str | None,
    author: str | None,
    before: int | None,
    limit: int,
    more: bool = False,
) -> SearchPage:
    """The page of results from candidate ``lines`` in their current state (any order, a line
    given twice or no longer matching allowed): with ``room``, the newest ``limit`` matching
    lines; across rooms, the best ``limit``; each page ranked (``ranked``). ``more``: the store
    knows of matches beyond ``lines``."""
    unique = {
        (line.room, line.id): line
        for line in lines
        if (author is None or line.author == author)
        and (before is None or line.id < before)
        and (room is None or line.room == room)
        and matches(query, line.text)
    }
    chosen = list(unique.values())
    if room is not None:
        chosen.sort(key=lambda line: line.id, reverse=True)
        chosen = chosen[: limit + 1]
    return SearchPage(tuple(ranked(query, chosen, limit)), more or len(chosen) > limit)


def readable_room(
    reader: Reader, private: bool, owner_id: str | None, members: Collection[str]
) -> bool:
    """Whether ``reader`` may read a room with these settings (``members``: the accounts with a
    role there)."""
    if reader.admin or not private:
        return True
    account = reader.account_id
    return account is not None and (account == owner_id or account in members)


class SearchStore(Protocol):
    """Finding lines by their words, in the rooms a reader may read."""

    async def search(
        self,
        query: Query,
        reader: Reader,
        *,
        room: str | None = None,
        author: str | None = None,
        before: int | None = None,
        limit: int = DEFAULT_SEARCH_LIMIT,
    ) -> SearchPage:
        """The lines matching ``query`` in their current state (a deleted line never, an edited
        one by its new text only), of ``room`` when given, by ``author`` when given (the exact
        name), with ID < ``before`` when given; at most ``limit``, in the order the module's
        docstring gives, and whether more match."""
