"""SQLite access control: accounts, credentials (sessions and API tokens), room roles and privacy,
sanctions and the audit log (``AccessStore``).

A login or a moderation action reads on the event loop's thread (``Reads.query``) and writes on
the writer's thread and connection, in a transaction between two commits (``Writer.run``):
neither opens a connection.
"""

from __future__ import annotations

import sqlite3
import time

from roomcast.store.base import (
    NO_FILTER,
    Account,
    AuditEntry,
    AuditQuery,
    Credential,
    RoomAccess,
    Sanction,
)
from roomcast.store.columns import (
    ACCOUNT,
    CREDENTIAL,
    CREDENTIAL_AND_ACCOUNT,
    SANCTION,
    account,
    values,
)
from roomcast.store.sqlite.reads import Reads
from roomcast.store.sqlite.writer import Writer


class Access:
    """The ``AccessStore`` half of the SQLite store."""

    def __init__(self, reads: Reads, writer: Writer) -> None:
        self._reads = reads
        self._writer = writer

    # -- AccountStore ---------------------------------------------------------------------------

    async def create_account(self, account: Account) -> bool:
        def create(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                f"INSERT INTO accounts ({ACCOUNT}) SELECT ?, ?, ?, ?, ?, ?, ?"
                " WHERE NOT EXISTS (SELECT 1 FROM account_nicks WHERE key = ?)"
                " ON CONFLICT DO NOTHING",
                (*values(account), account.key),
            )
            return cursor.rowcount == 1

        return await self._writer.run(create)

    async def account_by_key(self, key: str) -> Account | None:
        rows = await self._reads.query(
            f"SELECT {ACCOUNT} FROM accounts"
            " WHERE key = ?1 OR id = (SELECT account_id FROM account_nicks WHERE key = ?1)"
            " LIMIT 1",
            (key,),
        )
        return account(rows[0]) if rows else None

    async def account_by_id(self, account_id: str) -> Account | None:
        rows = await self._reads.query(
            f"SELECT {ACCOUNT} FROM accounts WHERE id = ?", (account_id,)
        )
        return account(rows[0]) if rows else None

    async def add_credential(self, credential: Credential) -> None:
        await self._writer.run(
            lambda conn: conn.execute(
                f"INSERT INTO credentials ({CREDENTIAL}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                values(credential),
            )
        )

    async def credential(self, secret_hash: str, now_ms: int) -> tuple[Credential, Account] | None:
        rows = await self._reads.query(
            f"SELECT {CREDENTIAL_AND_ACCOUNT}"
            " FROM credentials c JOIN accounts a ON a.id = c.account_id"
            " WHERE c.secret_hash = ? AND (c.expires_ms IS NULL OR c.expires_ms > ?)",
            (secret_hash, now_ms),
        )
        if not rows:
            return None
        return Credential(*rows[0][:7]), account(rows[0][7:])

    async def credentials(self, account_id: str, kind: str) -> list[Credential]:
        rows = await self._reads.query(
            f"SELECT {CREDENTIAL} FROM credentials WHERE account_id = ? AND kind = ?"
            " AND (expires_ms IS NULL OR expires_ms > ?) ORDER BY created_ms, id",
            (account_id, kind, time.time_ns() // 1_000_000),
        )
        return [Credential(*row) for row in rows]

    async def delete_credential(self, credential_id: str, account_id: str) -> bool:
        def delete(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "DELETE FROM credentials WHERE id = ? AND account_id = ?",
                (credential_id, account_id),
            )
            return cursor.rowcount == 1

        return await self._writer.run(delete)

    async def delete_credentials(self, account_id: str, kind: str) -> int:
        def delete(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "DELETE FROM credentials WHERE account_id = ? AND kind = ?", (account_id, kind)
            )
            return cursor.rowcount

        return await self._writer.run(delete)

    async def accounts(self, search: str, limit: int) -> list[Account]:
        rows = await self._reads.query(
            f"SELECT {ACCOUNT} FROM accounts WHERE instr(key, ?) > 0 ORDER BY key, id LIMIT ?",
            (search, limit),
            inline=False,  # a search passes over every account
        )
        return [account(row) for row in rows]

    async def set_account_flags(
        self, account_id: str, *, disabled: bool | None = None, admin: bool | None = None
    ) -> Account | None:
        def change(conn: sqlite3.Connection) -> Account | None:
            row = conn.execute(
                "UPDATE accounts SET disabled = coalesce(?, disabled), admin = coalesce(?, admin)"
                f" WHERE id = ? RETURNING {ACCOUNT}",
                (disabled, admin, account_id),
            ).fetchone()
            return None if row is None else account(row)

        return await self._writer.run(change)

    # -- RoomAccessStore ------------------------------------------------------------------------

    async def room_access(self, name: str) -> RoomAccess:
        rows = await self._reads.query(
            "SELECT topic, private, owner_id, owner_name FROM rooms WHERE name = ? AND deleted = 0",
            (name,),
        )
        roles = await self._reads.query(
            "SELECT account_id, name, role FROM room_roles WHERE room = ? ORDER BY name", (name,)
        )
        topic, private, owner_id, owner_name = rows[0] if rows else ("", 0, None, None)
        return RoomAccess(
            name,
            topic,
            bool(private),
            owner_id,
            owner_name,
            {account: who for account, who, role in roles if role == "moderator"},
            {account: who for account, who, role in roles if role == "member"},
        )

    async def claim_room(
        self, name: str, owner_id: str, owner_name: str, private: bool, topic: str
    ) -> bool:
        def claim(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "INSERT INTO rooms"
                " (name, last_id, created_ms, topic, private, owner_id, owner_name) VALUES"
                " (?, 0, ?, ?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET deleted = 0, topic = excluded.topic,"
                " private = excluded.private, owner_id = excluded.owner_id,"
                " owner_name = excluded.owner_name WHERE deleted = 1",
                (name, time.time_ns() // 1_000_000, topic, int(private), owner_id, owner_name),
            )
            return cursor.rowcount == 1

        return await self._writer.run(claim)

    async def set_topic(self, name: str, topic: str) -> None:
        await self._writer.run(
            lambda conn: conn.execute(
                "INSERT INTO rooms (name, last_id, created_ms, topic) VALUES (?, 0, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET topic = excluded.topic",
                (name, time.time_ns() // 1_000_000, topic),
            )
        )

    async def set_role(self, room: str, account_id: str, name: str, role: str | None) -> None:
        def assign(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO rooms (name, last_id, created_ms) VALUES (?, 0, ?)"
                " ON CONFLICT (name) DO NOTHING",
                (room, time.time_ns() // 1_000_000),
            )
            if role is None:
                conn.execute(
                    "DELETE FROM room_roles WHERE room = ? AND account_id = ?", (room, account_id)
                )
            else:
                conn.execute(
                    "INSERT INTO room_roles (room, account_id, name, role) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (room, account_id) DO UPDATE"
                    " SET name = excluded.name, role = excluded.role",
                    (room, account_id, name, role),
                )

        await self._writer.run(assign)

    async def add_sanction(self, sanction: Sanction) -> int:
        def add(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                f"INSERT INTO sanctions ({SANCTION.removesuffix(', id')})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values(sanction)[:-1],
            )
            return int(cursor.lastrowid or 0)

        return await self._writer.run(add)

    async def sanctions(self, room: str, now_ms: int) -> list[Sanction]:
        rows = await self._reads.query(
            f"SELECT {SANCTION} FROM sanctions WHERE room = ?"
            " AND (until_ms IS NULL OR until_ms > ?) ORDER BY id",
            (room, now_ms),
        )
        return [Sanction(*row) for row in rows]

    async def lift_sanctions(
        self, room: str, kind: str, *, account_id: str | None, name_key: str
    ) -> int:
        def lift(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "DELETE FROM sanctions WHERE room = ? AND kind = ?"
                " AND (account_id = ? OR name_key = ?)",
                (room, kind, account_id, name_key),
            )
            return cursor.rowcount

        return await self._writer.run(lift)

    async def add_audit(self, entry: AuditEntry) -> None:
        await self._writer.run(
            lambda conn: conn.execute(
                "INSERT INTO audit_log (time_ms, actor, action, room, target, detail)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                values(entry),
            )
        )

    async def audit_log(
        self, room: str | None, limit: int, query: AuditQuery = NO_FILTER
    ) -> list[AuditEntry]:
        rows = await self._reads.query(
            "SELECT time_ms, actor, action, room, target, detail FROM audit_log"
            " WHERE (?1 IS NULL OR room = ?1) AND (?2 IS NULL OR actor = ?2)"
            " AND (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR time_ms >= ?4)"
            " AND (?5 IS NULL OR time_ms < ?5) ORDER BY id DESC LIMIT ?6",
            (room, query.actor, query.action, query.since_ms, query.until_ms, limit),
            inline=False,  # may pass over much of the log to find one room's entries
        )
        return [AuditEntry(*row) for row in rows]

    # -- NodeStatsStore -------------------------------------------------------------------------

    async def put_node_stats(self, node: str, seen_ms: int, stats: str) -> None:
        await self._writer.run(
            lambda conn: conn.execute(
                "INSERT INTO node_stats (node, seen_ms, stats) VALUES (?, ?, ?) ON CONFLICT (node)"
                " DO UPDATE SET seen_ms = excluded.seen_ms, stats = excluded.stats",
                (node, seen_ms, stats),
            )
        )

    async def node_stats(self, since_ms: int) -> list[tuple[str, int, str]]:
        def read(conn: sqlite3.Connection) -> list[tuple[str, int, str]]:
            conn.execute("DELETE FROM node_stats WHERE seen_ms < ?", (since_ms,))
            rows = conn.execute("SELECT node, seen_ms, stats FROM node_stats ORDER BY node")
            return [(str(node), int(seen), str(stats)) for node, seen, stats in rows]

        return await self._writer.run(read)
