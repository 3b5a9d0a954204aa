"""What the SQL stores (SQLite and PostgreSQL) share: column lists in the order rows are read,
and the parameters made from a record or a batch of imported messages."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any, Final

from roomcast.store.base import Account
from roomcast.wire.protocol import ChatMessage

MESSAGE: Final = "room, id, author, body, wsid, sent_ms"
ACCOUNT: Final = "id, name, key, password_hash, created_ms, disabled, admin"
CREDENTIAL: Final = "id, kind, account_id, secret_hash, label, created_ms, expires_ms"
SANCTION: Final = (
    "room, kind, account_id, ip, name, name_key, until_ms, by_name, reason, created_ms, id"
)
# An upload's, in the order of ``uploads.Upload``'s fields.
UPLOAD: Final = (
    "id, room, owner, name, type, size, digest, created_ms, inline, width, height, attached"
)
# The credential's columns, then its account's, for a query joining them as ``c`` and ``a``.
CREDENTIAL_AND_ACCOUNT: Final = ", ".join(
    [f"c.{column}" for column in CREDENTIAL.split(", ")]
    + [f"a.{column}" for column in ACCOUNT.split(", ")]
)


def account(row: Iterable[Any]) -> Account:
    """An account from its ``ACCOUNT`` columns (SQLite gives its flags as 0 and 1)."""
    account_id, name, key, password_hash, created_ms, disabled, admin = row
    return Account(account_id, name, key, password_hash, created_ms, bool(disabled), bool(admin))


def values(record: Any) -> tuple[Any, ...]:
    """The fields of a store record (a dataclass), in declaration order, as SQL parameters."""
    return tuple(getattr(record, f.name) for f in dataclasses.fields(record))


def import_bounds(messages: Sequence[ChatMessage]) -> dict[str, tuple[int, int]]:
    """Per room of ``messages``: the highest ID and the earliest ``sent_ms``, for its row."""
    bounds: dict[str, tuple[int, int]] = {}
    for m in messages:
        last, first_ms = bounds.get(m.room, (0, m.sent_ms))
        bounds[m.room] = (max(last, m.id), min(first_ms, m.sent_ms))
    return bounds
