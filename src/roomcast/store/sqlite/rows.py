"""Rows of the SQLite ``messages`` table as the store reads them: the columns of a line and of a
log event, and the records made from them.

A row is a chat line (``kind`` NULL) or the event of a change to one (``kind`` its ``Change``
kind, ``target`` the line); see migrations 0005 and 0006.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Final

import orjson

from roomcast.store.base import DELETE, EDIT, UNREACT
from roomcast.wire.attachments import read_attachments
from roomcast.wire.protocol import ChatMessage, DeletedEvent, EditedEvent, LogEvent, ReactionEvent

# A line in its current state, in the order of ``ChatMessage``'s fields up to ``edited_ms``
# (reactions and replies come from elsewhere), then its mentions (``stored_mentions``) and its
# attachments (``wire.attachments.stored_attachments``).
LINE: Final = (
    "room, id, author, body, wsid, sent_ms, reply_to, thread, edited_ms, mentions, attachments"
)
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


def line_owner(owner: str | None, sender: str | None) -> str | None:
    """Who may edit a line, from its ``owner`` and ``sender`` columns: ``OWNER`` in Python."""
    if owner is None and sender is not None:
        return "g:" + sender
    return owner


def stored_mentions(names: tuple[str, ...]) -> str | None:
    """The ``mentions`` column of a line: a JSON array of its names, None when there are none
    (a nickname may hold a space)."""
    return orjson.dumps(names).decode() if names else None


def chat_line(row: tuple[Any, ...], **state: Any) -> ChatMessage:
    """The line of a ``LINE`` row, with ``state`` (its reactions, replies, ``deleted``)."""
    room, message_id, author, text, wsid, sent_ms, reply_to, thread, edited_ms, mentions = row[:10]
    return ChatMessage(
        room, message_id, author, text, wsid, sent_ms, reply_to, thread, edited_ms, **state,
        mentions=() if mentions is None else tuple(orjson.loads(mentions)),
        attachments=read_attachments(row[10]),
    )  # fmt: skip


def log_event(row: tuple[Any, ...]) -> LogEvent:
    """The event of an ``EVENT`` row: a line (``deleted`` when it is), or a change."""
    room, message_id, author, text, _, sent_ms = row[:6]
    kind, target, deleted = row[11:]
    if kind is None:
        return chat_line(row[:11], deleted=bool(deleted))
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
