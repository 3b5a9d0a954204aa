"""One change to a message (edit, deletion, reaction) in one PostgreSQL transaction.

The target line's row is locked (``FOR UPDATE``), a re-sent ref looked for, and the rules of
``store.changes`` decide; then the room's ``last_id`` is bumped as an append bumps it (the row
lock is held to commit, so IDs stay gapless and commit in ID order across nodes), the event row
is inserted and the line's state (text, original, edit time, deletion) and the ``reactions``
table follow it. A change's ``(sender, ref)`` is in the same unique index as a line's: a re-sent
ref is answered with the event it first made, whether a line or a change made it.
"""

from __future__ import annotations

from typing import Final

from roomcast.store.base import (
    DELETE,
    EDIT,
    REACT,
    UNREACT,
    Change,
    Changed,
    ChangeRefused,
    ref_key,
)
from roomcast.store.changes import decide
from roomcast.store.postgres.events import EVENT, event
from roomcast.store.postgres.sql import Conn
from roomcast.store.search import indexed_text
from roomcast.wire.protocol import ErrorCode

_EARLIER: Final = f"SELECT {EVENT} FROM messages WHERE sender = $1 AND ref = $2"
_TARGET: Final = (
    "SELECT owner, body, kind IS NULL AND NOT deleted AS live FROM messages"
    " WHERE room = $1 AND id = $2 FOR UPDATE"
)
# $1 room, $2 target, $3 asker: each emoji on the line, and whether the asker has it.
_EMOJIS: Final = (
    "SELECT emoji, bool_or(owner = $3) AS mine FROM reactions"
    " WHERE room = $1 AND target = $2 GROUP BY emoji"
)
_BUMP: Final = "UPDATE rooms SET last_id = last_id + 1 WHERE name = $1 RETURNING last_id"
_INSERT: Final = f"""
INSERT INTO messages (room, id, author, body, wsid, sent_ms, sender, ref, kind, target, owner)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING {EVENT}
"""
_EDIT: Final = (
    "UPDATE messages SET original = coalesce(original, body), body = $3, edited_ms = $4,"
    " words = to_tsvector('simple', $5) WHERE room = $1 AND id = $2"
)
# A deleted line's text goes, from its edit events too, and so do its reactions.
_DELETE: Final = (
    "UPDATE messages SET body = '', original = NULL, attachments = NULL, deleted = true,"
    " words = NULL"
    " WHERE room = $1 AND id = $2",
    "UPDATE messages SET body = '' WHERE room = $1 AND target = $2 AND kind = 'edit'",
    "DELETE FROM reactions WHERE room = $1 AND target = $2",
)
# $1 room, $2 target, $3 emoji, $4 owner, $5 name, $6 event ID: the emoji keeps its place
# among the line's reactions when others have it already.
_REACT: Final = """
INSERT INTO reactions (room, target, emoji, owner, name, id, since)
SELECT $1, $2, $3, $4, $5, $6, coalesce(min(since), $6) FROM reactions
WHERE room = $1 AND target = $2 AND emoji = $3
"""
_UNREACT: Final = (
    "DELETE FROM reactions WHERE room = $1 AND target = $2 AND emoji = $3 AND owner = $4"
)


async def change_on(conn: Conn, change: Change) -> Changed:
    """Make ``change`` in one transaction on ``conn``; ``ChangeRefused`` when it may not be."""
    key = ref_key(change.ref)
    room, target = change.room, change.target
    async with conn.transaction():
        # The ref after the lock: a node making the same change first has committed it by now.
        row = await conn.fetchrow(_TARGET, room, target)
        if key is not None:
            earlier = await conn.fetchrow(_EARLIER, change.sender, key)
            if earlier is not None:
                return Changed(event(earlier), duplicate=True)
        if row is None or not row["live"]:
            raise ChangeRefused(ErrorCode.NOT_FOUND, f"no message {target} in {room!r}")
        own = row["owner"] is not None and row["owner"] == change.owner
        emojis: dict[str, bool] = {}
        if change.kind in (REACT, UNREACT):
            for reaction in await conn.fetch(_EMOJIS, room, target, change.owner):
                emojis[reaction["emoji"]] = reaction["mine"]
        mine = emojis.get(change.text, False)
        if not decide(change, own=own, text=row["body"], emojis=emojis.keys(), reacted=mine):
            return Changed(None, own=own)
        event_id = await conn.fetchval(_BUMP, room)
        text = "" if change.kind == DELETE else change.text
        inserted = await conn.fetchrow(
            _INSERT, room, event_id, change.name, text, change.wsid, change.sent_ms,
            change.sender, key, change.kind, target, change.owner,
        )  # fmt: skip
        if change.kind == EDIT:
            await conn.execute(
                _EDIT, room, target, change.text, change.sent_ms, indexed_text(change.text)
            )
        elif change.kind == DELETE:
            for statement in _DELETE:
                await conn.execute(statement, room, target)
        elif change.kind == REACT:
            reactor = (change.text, change.owner, change.name)
            await conn.execute(_REACT, room, target, *reactor, event_id)
        else:
            await conn.execute(_UNREACT, room, target, change.text, change.owner)
    assert inserted is not None
    return Changed(event(inserted), own=own)
