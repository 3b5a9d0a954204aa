"""A notification built from a line, its excerpt cut between grapheme clusters, and the webhook
body and headers: compact JSON in the contract's key order, signed over its exact bytes."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from roomcast.chat.notifications import (
    DIRECT,
    MENTION,
    excerpt,
    notification_for,
    signature,
    webhook_body,
    webhook_headers,
)
from roomcast.store.people import PENDING, Notification
from roomcast.wire.encode import ChatMessage

T0 = 1_700_000_000_123


def line(text: str = "hi @alice") -> ChatMessage:
    return ChatMessage("lobby", 42, "bob", text, "w1", T0)


def test_a_notification_of_a_line() -> None:
    made = notification_for("id-alice", "alice", line(), MENTION, 60_000, T0 + 5)
    assert made == Notification(
        made.id, "id-alice", "alice", "lobby", 42, "bob", "hi @alice", "mention", T0, T0 + 60_005
    )
    assert (made.attempts, made.state) == (0, PENDING)
    assert len(made.id) == 32
    assert int(made.id, 16) >= 0
    assert notification_for("id-alice", "alice", line(), DIRECT, 0, T0).id != made.id


def test_only_mentions_and_direct_lines_notify() -> None:
    with pytest.raises(ValueError, match="kind"):
        notification_for("id-alice", "alice", line(), "reaction", 0, T0)


def test_the_excerpt_is_cut_to_200_characters_not_bytes() -> None:
    assert excerpt("é" * 200) == "é" * 200
    assert excerpt("é" * 201) == "é" * 200
    made = notification_for("i", "a", line("ж" * 500), MENTION, 0, T0)
    assert made.excerpt == "ж" * 200


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("a" * 199 + "e\u0301" + "x", 199),  # e + combining acute: the cluster goes whole
        ("a" * 199 + "👍🏽" + "x", 199),  # thumbs up + skin tone
        ("a" * 198 + "👩\u200d💻" + "x", 198),  # woman technologist, a ZWJ sequence
        ("a" * 199 + "\u200d" + "b", 198),  # a cut right after a ZWJ
        ("a" * 199 + "🇫🇷", 199),  # a flag's regional indicators stay a pair
        ("a" * 198 + "🇫🇷" + "x", 200),  # the cut falls after the flag
        ("🇫🇷" * 101, 200),  # an even run before the cut: a boundary
        ("a" + "🇫🇷" * 100, 199),  # an odd run: its last indicator pairs with the next
        ("a" * 199 + "1\ufe0f\u20e3", 199),  # keycap 1
    ],
)
def test_the_excerpt_is_never_cut_inside_a_grapheme_cluster(text: str, kept: int) -> None:
    assert excerpt(text) == text[:kept]


def test_a_cluster_longer_than_the_excerpt_is_cut_all_the_same() -> None:
    zalgo = "a" + "\u0301" * 300
    assert excerpt(zalgo) == zalgo[:200]


def test_the_body_is_compact_json_in_the_contracts_order() -> None:
    made = notification_for("id-alice", "alice", line('say "hé" \\ ok'), MENTION, 0, T0)
    body = webhook_body(made)
    assert body == (
        b'{"account":"alice","room":"lobby","id":42,"author":"bob",'
        b'"excerpt":"say \\"h\xc3\xa9\\" \\\\ ok","kind":"mention",'
        b'"time":"2023-11-14T22:13:20.123Z"}'
    )
    assert list(json.loads(body)) == ["account", "room", "id", "author", "excerpt", "kind", "time"]


def test_the_signature_is_the_hmac_sha256_of_the_exact_body() -> None:
    body = b'{"account":"alice"}'
    expected = hmac.new(b"s3cret-s3cret-s3cret", body, hashlib.sha256).hexdigest()
    assert signature("s3cret-s3cret-s3cret", body) == "sha256=" + expected
    assert signature("s3cret-s3cret-s3cret", body + b" ") != "sha256=" + expected
    assert signature("another-secret-xx", body) != "sha256=" + expected


def test_the_headers_carry_the_signature_and_the_idempotency_key() -> None:
    made = notification_for("id-alice", "alice", line(), DIRECT, 0, T0)
    body = webhook_body(made)
    headers = webhook_headers(made.id, body, "s3cret-s3cret-s3cret")
    assert headers == {
        "Content-Type": "application/json",
        "X-Roomcast-Signature": signature("s3cret-s3cret-s3cret", body),
        "Idempotency-Key": made.id,
    }
