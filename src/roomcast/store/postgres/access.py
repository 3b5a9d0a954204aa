"""PostgreSQL access control: accounts, credentials (sessions and API tokens), room roles and
privacy, sanctions and the audit log (``AccessStore``), each call on one
pooled connection. An account is found by its name's key or by its chosen nickname's (people.py
keeps those), and no account's name takes another's chosen nickname."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

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
from roomcast.store.postgres.pool import Pool
from roomcast.store.postgres.sql import LOCK_NAME_KEY, NOW_MS, affected

_ACCOUNT_AS_A: Final = ", ".join(f"a.{column}" for column in ACCOUNT.split(", "))


class Access:
    """The ``AccessStore`` half of the PostgreSQL store."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    # -- AccountStore ---------------------------------------------------------------------------

    async def create_account(self, account: Account) -> bool:
        _, status = await self._pool.transaction(
            (LOCK_NAME_KEY, (account.key,)),
            (
                f"INSERT INTO accounts ({ACCOUNT}) SELECT $1, $2, $3, $4, $5::bigint, $6, $7"
                " WHERE NOT EXISTS (SELECT 1 FROM account_nicks WHERE key = $3)"
                " ON CONFLICT DO NOTHING",
                values(account),
            ),
        )
        return affected(status) == 1

    async def account_by_key(self, key: str) -> Account | None:
        """The account named ``key``, else the one whose chosen nickname it is."""
        rows = await self._pool.fetch(
            f"(SELECT {ACCOUNT} FROM accounts WHERE key = $1) UNION ALL"
            f" (SELECT {_ACCOUNT_AS_A} FROM account_nicks n JOIN accounts a ON a.id = n.account_id"
            " WHERE n.key = $1) LIMIT 1",
            key,
        )
        return account(rows[0]) if rows else None

    async def account_by_id(self, account_id: str) -> Account | None:
        rows = await self._pool.fetch(f"SELECT {ACCOUNT} FROM accounts WHERE id = $1", account_id)
        return account(rows[0]) if rows else None

    async def add_credential(self, credential: Credential) -> None:
        await self._pool.transaction(
            (
                f"INSERT INTO credentials ({CREDENTIAL}) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                values(credential),
            )
        )

    async def credential(self, secret_hash: str, now_ms: int) -> tuple[Credential, Account] | None:
        rows = await self._pool.fetch(
            f"SELECT {CREDENTIAL_AND_ACCOUNT}"
            " FROM credentials c JOIN accounts a ON a.id = c.account_id"
            " WHERE c.secret_hash = $1 AND (c.expires_ms IS NULL OR c.expires_ms > $2)",
            secret_hash,
            now_ms,
        )
        if not rows:
            return None
        row = tuple(rows[0])
        return Credential(*row[:7]), account(row[7:])

    async def credentials(self, account_id: str, kind: str) -> list[Credential]:
        rows = await self._pool.fetch(
            f"SELECT {CREDENTIAL} FROM credentials WHERE account_id = $1 AND kind = $2"
            f" AND (expires_ms IS NULL OR expires_ms > {NOW_MS}) ORDER BY created_ms, id",
            account_id,
            kind,
        )
        return [Credential(*row) for row in rows]

    async def delete_credential(self, credential_id: str, account_id: str) -> bool:
        (status,) = await self._pool.transaction(
            (
                "DELETE FROM credentials WHERE id = $1 AND account_id = $2",
                (credential_id, account_id),
            )
        )
        return affected(status) == 1

    async def delete_credentials(self, account_id: str, kind: str) -> int:
        (status,) = await self._pool.transaction(
            ("DELETE FROM credentials WHERE account_id = $1 AND kind = $2", (account_id, kind))
        )
        return affected(status)

    async def accounts(self, search: str, limit: int) -> list[Account]:
        rows = await self._pool.fetch(
            f"SELECT {ACCOUNT} FROM accounts WHERE strpos(key, $1) > 0"
            ' ORDER BY key COLLATE "C", id LIMIT $2',
            search,
            limit,
        )
        return [account(row) for row in rows]

    async def set_account_flags(
        self, account_id: str, *, disabled: bool | None = None, admin: bool | None = None
    ) -> Account | None:
        rows = await self._pool.fetch(
            "UPDATE accounts SET disabled = coalesce($1, disabled), admin = coalesce($2, admin)"
            f" WHERE id = $3 RETURNING {ACCOUNT}",
            disabled,
            admin,
            account_id,
        )
        return account(rows[0]) if rows else None

    # -- RoomAccessStore ------------------------------------------------------------------------

    async def room_access(self, name: str) -> RoomAccess:
        async with self._pool.connection() as conn:  # one connection for both queries
            rows = await conn.fetch(
                "SELECT topic, private, owner_id, owner_name FROM rooms"
                " WHERE name = $1 AND NOT deleted",
                name,
            )
            roles = await conn.fetch(
                "SELECT account_id, name, role FROM room_roles WHERE room = $1"
                ' ORDER BY name COLLATE "C"',
                name,
            )
        topic, private, owner_id, owner_name = tuple(rows[0]) if rows else ("", False, None, None)
        return RoomAccess(
            name,
            topic,
            bool(private),
            owner_id,
            owner_name,
            {r["account_id"]: r["name"] for r in roles if r["role"] == "moderator"},
            {r["account_id"]: r["name"] for r in roles if r["role"] == "member"},
        )

    async def claim_room(
        self, name: str, owner_id: str, owner_name: str, private: bool, topic: str
    ) -> bool:
        (status,) = await self._pool.transaction(
            (
                "INSERT INTO rooms AS r"
                " (name, last_id, created_ms, topic, private, owner_id, owner_name)"
                f" VALUES ($1, 0, {NOW_MS}, $2, $3, $4, $5)"
                " ON CONFLICT (name) DO UPDATE SET deleted = false, topic = excluded.topic,"
                " private = excluded.private, owner_id = excluded.owner_id,"
                " owner_name = excluded.owner_name WHERE r.deleted",
                (name, topic, private, owner_id, owner_name),
            )
        )
        return affected(status) == 1

    async def set_topic(self, name: str, topic: str) -> None:
        await self._pool.transaction(
            (
                "INSERT INTO rooms (name, last_id, created_ms, topic)"
                f" VALUES ($1, 0, {NOW_MS}, $2)"
                " ON CONFLICT (name) DO UPDATE SET topic = excluded.topic",
                (name, topic),
            )
        )

    async def set_role(self, room: str, account_id: str, name: str, role: str | None) -> None:
        create: tuple[str, Sequence[Any]] = (
            f"INSERT INTO rooms (name, last_id, created_ms) VALUES ($1, 0, {NOW_MS})"
            " ON CONFLICT (name) DO NOTHING",
            (room,),
        )
        if role is None:
            await self._pool.transaction(
                create,
                (
                    "DELETE FROM room_roles WHERE room = $1 AND account_id = $2",
                    (room, account_id),
                ),
            )
            return
        await self._pool.transaction(
            create,
            (
                "INSERT INTO room_roles (room, account_id, name, role) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (room, account_id) DO UPDATE"
                " SET name = excluded.name, role = excluded.role",
                (room, account_id, name, role),
            ),
        )

    async def add_sanction(self, sanction: Sanction) -> int:
        rows = await self._pool.fetch(
            f"INSERT INTO sanctions ({SANCTION.removesuffix(', id')})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            *values(sanction)[:-1],
        )
        return int(rows[0][0])

    async def sanctions(self, room: str, now_ms: int) -> list[Sanction]:
        rows = await self._pool.fetch(
            f"SELECT {SANCTION} FROM sanctions WHERE room = $1"
            " AND (until_ms IS NULL OR until_ms > $2) ORDER BY id",
            room,
            now_ms,
        )
        return [Sanction(*row) for row in rows]

    async def lift_sanctions(
        self, room: str, kind: str, *, account_id: str | None, name_key: str
    ) -> int:
        (status,) = await self._pool.transaction(
            (
                "DELETE FROM sanctions WHERE room = $1 AND kind = $2"
                " AND (account_id = $3 OR name_key = $4)",
                (room, kind, account_id, name_key),
            )
        )
        return affected(status)

    async def add_audit(self, entry: AuditEntry) -> None:
        await self._pool.transaction(
            (
                "INSERT INTO audit_log (time_ms, actor, action, room, target, detail)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                values(entry),
            )
        )

    async def audit_log(
        self, room: str | None, limit: int, query: AuditQuery = NO_FILTER
    ) -> list[AuditEntry]:
        rows = await self._pool.fetch(
            "SELECT time_ms, actor, action, room, target, detail FROM audit_log"
            " WHERE ($1::text IS NULL OR room = $1) AND ($2::text IS NULL OR actor = $2)"
            " AND ($3::text IS NULL OR action = $3) AND ($4::bigint IS NULL OR time_ms >= $4)"
            " AND ($5::bigint IS NULL OR time_ms < $5) ORDER BY id DESC LIMIT $6",
            room,
            query.actor,
            query.action,
            query.since_ms,
            query.until_ms,
            limit,
        )
        return [AuditEntry(*row) for row in rows]

    # -- NodeStatsStore -------------------------------------------------------------------------

    async def put_node_stats(self, node: str, seen_ms: int, stats: str) -> None:
        await self._pool.transaction(
            (
                "INSERT INTO node_stats (node, seen_ms, stats) VALUES ($1, $2, $3)"
                " ON CONFLICT (node)"
                " DO UPDATE SET seen_ms = excluded.seen_ms, stats = excluded.stats",
                (node, seen_ms, stats),
            )
        )

    async def node_stats(self, since_ms: int) -> list[tuple[str, int, str]]:
        async with self._pool.connection() as conn:
            await conn.execute("DELETE FROM node_stats WHERE seen_ms < $1", since_ms)
            rows = await conn.fetch("SELECT node, seen_ms, stats FROM node_stats ORDER BY node")
        return [(row["node"], row["seen_ms"], row["stats"]) for row in rows]
