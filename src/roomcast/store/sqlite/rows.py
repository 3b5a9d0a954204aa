"""Rows of the SQLite ``messages`` table as the store reads them: the columns of a line and of a
log event, and the records made from them.

A row is a chat line (``kind`` NULL) or the event of a change to one (``kind`` its ``Change``
kind, ``target`` the line); see migration 0005.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Final

from roomcast.store.base import DELETE, EDIT, UNREACT
from roomcast.wire.protocol import ChatMessage, DeletedEvent, EditedEvent, LogEvent, ReactionEvent

# A line in its current state, in the order of ``ChatMessage``'s fields (reactions and replies
# come from elsewhere).
LINE: Final = "room, id, author, body, wsid, sent_ms, reply_to, thread, edited_ms"
# Any row of the log: a line's columns, then what an event or a deletion needs.
EVENT: Final = f"{LINE}, kind, target, deleted"
# Where a query is about live lines only.
LIVE: Final = "kind IS NULL AND deleted = 0"
# Who may edit a line (``owner_key``): a guest's line stores no owner (see ``stored_owner``).
OWNER: Final = "coalesce(owner, 'g:' || sender)"


def stored_owner(owner: str | None, sender: str | None) -> str | None:
    """The ``owner`` column of a line: None when it is the guest session that sent it."""
    if sender is not None and owner == "g:" + sender:
        return None
    return owner


def log_event(row: tuple[Any, ...]) -> LogEvent:
    """The event of an ``EVENT`` row: a line (``deleted`` when it is), or a change."""
    room, message_id, author, text, wsid, sent_ms, reply_to, thread, edited_ms = row[:9]
    kind, target, deleted = row[9:]
    if kind is None:
        return ChatMessage(
            room, message_id, author, text, wsid, sent_ms, reply_to, thread, edited_ms,
            deleted=bool(deleted),
        )  # fmt: skip
    if kind == EDIT:
        return EditedEvent(room, message_id, target, text, author, sent_ms)
    if kind == DELETE:
        return DeletedEvent(room, message_id, target, author, sent_ms)
    return ReactionEvent(room, message_id, target, text, author, kind == UNREACT, sent_ms)


def find_ref(conn: sqlite3.Connection, sender: str | None, key: str) -> LogEvent | None:
    """The event of ``messages`` that ``sender`` sent with the ref ``key`` (a line or a change)."""
    row = conn.execute(
        f"SELECT {EVENT} FROM messages WHERE sender IS ? AND ref = ?", (sender, key)
    ).fetchone()
    return None if row is None else log_event(row)
