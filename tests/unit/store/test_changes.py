"""The rules every store applies to a change: who may edit and delete, the reaction limit, and
the changes that change nothing."""

from __future__ import annotations

import pytest

from roomcast.store import Change, ChangeRefused
from roomcast.store.base import DELETE, EDIT, REACT, UNREACT
from roomcast.store.changes import decide
from roomcast.wire.protocol import MAX_REACTIONS, ErrorCode


def change(kind: str, text: str = "", *, moderator: bool = False) -> Change:
    return Change("r", 1, kind, "a:me", "me", text, "w", 0, moderator)


def refused(kind: str, **facts: object) -> ErrorCode:
    with pytest.raises(ChangeRefused) as caught:
        decide(
            change(kind, "x"),
            **{"own": False, "text": "t", "emojis": (), "reacted": False, **facts},
        )  # type: ignore[arg-type]
    return caught.value.code


def test_edits_are_the_owners_and_the_same_text_is_none() -> None:
    assert decide(change(EDIT, "new"), own=True, text="old", emojis=(), reacted=False)
    assert not decide(change(EDIT, "old"), own=True, text="old", emojis=(), reacted=False)
    assert refused(EDIT) == ErrorCode.FORBIDDEN
    with pytest.raises(ChangeRefused):
        decide(change(EDIT, "x", moderator=True), own=False, text="t", emojis=(), reacted=False)


def test_deletions_are_the_owners_or_a_moderators() -> None:
    assert decide(change(DELETE), own=True, text="t", emojis=(), reacted=False)
    assert decide(change(DELETE, moderator=True), own=False, text="t", emojis=(), reacted=False)
    assert refused(DELETE) == ErrorCode.FORBIDDEN


def test_reactions_toggle_within_the_limit() -> None:
    many = [f":e{n}:" for n in range(MAX_REACTIONS)]
    assert decide(change(REACT, "👍"), own=False, text="t", emojis=(), reacted=False)
    assert not decide(change(REACT, "👍"), own=False, text="t", emojis=["👍"], reacted=True)
    assert decide(change(REACT, ":e0:"), own=False, text="t", emojis=many, reacted=False)
    assert refused(REACT, emojis=many) == ErrorCode.TOO_MANY
    assert decide(change(UNREACT, "👍"), own=False, text="t", emojis=["👍"], reacted=True)
    assert not decide(change(UNREACT, "👍"), own=False, text="t", emojis=[], reacted=False)
