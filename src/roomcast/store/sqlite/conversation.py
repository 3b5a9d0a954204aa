"""A change to a message in the SQLite store: an edit, a deletion or a reaction, as one
transaction on the writer's connection once every earlier line is in ``messages``
(``Writer.change``).

The rules (who may, what changes nothing) are ``store.changes``'; this module reads what they
need, writes the event row with the room's next ID and brings the line's current state (its
row, its edits' rows, the ``reactions`` table) up to date.
"""

from __future__ import annotations

import sqlite3

from roomcast.store.base import DELETE, EDIT, REACT, Change, Changed, ChangeRefused, ref_key
from roomcast.store.changes import decide
from roomcast.store.sqlite.rows import LIVE, OWNER, find_ref, log_event
from roomcast.wire.protocol import ErrorCode

_EVENT_INSERT = (
    "INSERT INTO messages (room, id, author, body, wsid, sent_ms, sender, ref, kind, target, owner)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def apply_change(conn: sqlite3.Connection, change: Change) -> Changed:
    """Make ``change`` in the open transaction of ``conn``; ``ChangeRefused`` when it may not."""
    key = ref_key(change.ref)
    if key is not None:
        earlier = find_ref(conn, change.sender, key)
        if earlier is not None:
            return Changed(earlier, duplicate=True)
    room, target = change.room, change.target
    line = conn.execute(
        f"SELECT {OWNER}, body FROM messages WHERE room = ? AND id = ? AND {LIVE}", (room, target)
    ).fetchone()
    if line is None:
        raise ChangeRefused(ErrorCode.NOT_FOUND, f"no message {target} in {room!r}")
    owner, text = line
    own = owner is not None and owner == change.owner
    # Per emoji on the line: whether the asker has it, and when it came (see migration 0005).
    emojis: dict[str, tuple[int, int]] = {}
    if change.kind not in (EDIT, DELETE):
        emojis = {
            emoji: (mine, first)
            for emoji, mine, first in conn.execute(
                "SELECT emoji, max(owner = ?), min(first_id) FROM reactions"
                " WHERE room = ? AND target = ? GROUP BY emoji",
                (change.owner, room, target),
            )
        }
    mine, first = emojis.get(change.text, (0, 0))
    if not decide(change, own=own, text=text, emojis=emojis.keys(), reacted=bool(mine)):
        return Changed(None, own=own)
    (last,) = conn.execute("SELECT last_id FROM rooms WHERE name = ?", (room,)).fetchone()
    event_id = last + 1
    conn.execute("UPDATE rooms SET last_id = ? WHERE name = ?", (event_id, room))
    event_text = _update(conn, change, event_id, first or event_id)
    row = (room, event_id, change.name, event_text, change.wsid, change.sent_ms)
    conn.execute(_EVENT_INSERT, (*row, change.sender, key, change.kind, target, change.owner))
    return Changed(log_event((*row, None, None, None, None, None, change.kind, target, 0)), own=own)


def _update(conn: sqlite3.Connection, change: Change, event_id: int, first: int) -> str:
    """Bring the target's current state up to date with the change (event ``event_id``; a
    reaction's emoji came at ``first``); the event row's text."""
    where = (change.room, change.target)
    if change.kind == EDIT:
        conn.execute(
            "UPDATE messages SET original = coalesce(original, body), body = ?, edited_ms = ?"
            " WHERE room = ? AND id = ?",
            (change.text, change.sent_ms, *where),
        )
    elif change.kind == DELETE:
        conn.execute(
            "UPDATE messages SET deleted = 1, body = '', original = NULL, attachments = NULL"
            " WHERE room = ? AND id = ?",
            where,
        )
        conn.execute(
            "UPDATE messages INDEXED BY messages_target SET body = ''"
            " WHERE room = ? AND target = ? AND kind = 'edit'",
            where,
        )
        conn.execute("DELETE FROM reactions WHERE room = ? AND target = ?", where)
        return ""
    elif change.kind == REACT:
        conn.execute(
            "INSERT INTO reactions (room, target, emoji, owner, name, id, first_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*where, change.text, change.owner, change.name, event_id, first),
        )
    else:
        conn.execute(
            "DELETE FROM reactions WHERE room = ? AND target = ? AND emoji = ? AND owner = ?",
            (*where, change.text, change.owner),
        )
    return change.text
