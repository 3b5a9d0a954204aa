"""Which words of a line are mentions: ``@name`` outside words, once each, without trailing
punctuation, at most ``MAX_MENTIONS``."""

from __future__ import annotations

from roomcast.chat.mentions import MAX_MENTIONS, mention_words


def test_mentions_are_at_words_outside_other_words() -> None:
    assert mention_words("hi @alice, and @Bob!") == ["alice", "Bob"]
    assert mention_words("mail me at ada@example.com") == []
    assert mention_words("@@alice is no name") == []
    assert mention_words("(@carol) and “@dave”") == ["carol", "dave"]


def test_a_name_counts_once_as_nicknames_compare() -> None:
    assert mention_words("@alice @ALICE @Alice") == ["alice"]


def test_at_most_the_limit() -> None:
    text = " ".join(f"@user{n}" for n in range(MAX_MENTIONS + 5))
    assert len(mention_words(text)) == MAX_MENTIONS


def test_a_member_whose_name_has_a_space_is_named_whole() -> None:
    names = ["Mary Ann", "Mary", "bob"]
    assert mention_words("thanks @mary ann!", names) == ["mary ann"]
    assert mention_words("@Mary and @bob", names) == ["Mary", "bob"]
    assert mention_words("@Mary Annette", names) == ["Mary"]
