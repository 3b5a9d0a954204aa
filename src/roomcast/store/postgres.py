"""PostgreSQL message store: history shared by every node of a deployment.

Message IDs are assigned by PostgreSQL in the statement that inserts the messages: the room's row
in ``rooms`` is bumped with ``INSERT .. ON CONFLICT DO UPDATE .. RETURNING last_id``, which holds
the row's lock until commit, so the IDs of a room are strictly increasing and gapless across all
nodes and commit in ID order (a reader never sees ID 7 before ID 6 is visible).

One writer task per node drains the queue of appends: whatever queued up while a commit ran is
committed next, as one statement (client refs first checked in one query), so a busy node pays one
round trip and one WAL flush per batch. Outcomes are reported in submission order.

Failures: when PostgreSQL cannot be reached, or a statement fails, every append of the batch fails
with ``StoreUnavailable`` and reads raise it; the pool reconnects by itself on later calls. A batch
that lost a race (a unique ``(sender, ref)`` taken by another node, a deadlock) is retried.

The driver is asyncpg: half the client CPU of psycopg 3 per append and per read in this workload
(docs/decisions.md, "Scale-out drivers"). Schema migrations live in ``migrations/postgres`` and are
applied at ``open()`` under an advisory lock, so nodes starting together apply each once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import deque
from collections.abc import Sequence
from typing import Any, Final

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from roomcast.store.base import (
    Account,
    AppendDone,
    Appended,
    AppendsAsFutures,
    AuditEntry,
    Credential,
    NewMessage,
    Outcomes,
    RoomAccess,
    RoomSummary,
    Sanction,
    StoreUnavailable,
    Submission,
    failed,
    ref_key,
    report,
    report_all,
)
from roomcast.store.columns import ACCOUNT as _ACCOUNT
from roomcast.store.columns import CREDENTIAL as _CREDENTIAL
from roomcast.store.columns import MESSAGE as _COLUMNS
from roomcast.store.columns import SANCTION as _SANCTION
from roomcast.store.migrations import Migration, migrations
from roomcast.wire.protocol import ChatMessage

log = logging.getLogger(__name__)

_MAX_BATCH: Final = 2000
_RETRIES: Final = 3
_NOW_MS: Final = "(extract(epoch FROM now()) * 1000)::bigint"
# Any value will do, as long as every node uses the same one.
_MIGRATION_LOCK: Final = 0x726F6F6D63617374  # "roomcast"

# Errors that mean "not now": the server is unreachable, restarting, overloaded or refused.
_UNAVAILABLE: Final = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)
# Errors that mean "another node raced this batch": run it again.
_RACED: Final = (
    asyncpg.UniqueViolationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
)

# $1..$7: room, author, body, wsid, sent_ms, sender, ref of each new message, in submission order.
# Returns each room's last ID after the batch; the k-th message of a room that got n messages
# has ID last_id - n + k.
_APPEND: Final = """
WITH batch AS (
  SELECT m.*, row_number() OVER (PARTITION BY m.room ORDER BY m.ord) AS k
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[])
       WITH ORDINALITY AS m(room, author, body, wsid, sent_ms, sender, ref, ord)
), counts AS (
  SELECT room, count(*) AS n, min(sent_ms) AS created FROM batch GROUP BY room
), bumped AS (
  INSERT INTO rooms AS r (name, last_id, created_ms)
  SELECT room, n, created FROM counts ORDER BY room COLLATE "C"
  ON CONFLICT (name) DO UPDATE SET last_id = r.last_id + excluded.last_id, deleted = false
  RETURNING name, last_id
), inserted AS (
  INSERT INTO messages (room, id, author, body, wsid, sent_ms, sender, ref)
  SELECT b.room, bumped.last_id - c.n + b.k, b.author, b.body, b.wsid, b.sent_ms, b.sender, b.ref
  FROM batch b JOIN counts c ON c.room = b.room JOIN bumped ON bumped.name = b.room
)
SELECT name, last_id FROM bumped
"""

_FIND_REFS: Final = f"""
SELECT m.sender, m.ref, {", ".join("m." + c for c in _COLUMNS.split(", "))}
FROM messages m JOIN unnest($1::text[], $2::text[]) AS k(sender, ref)
  ON m.sender = k.sender AND m.ref = k.ref
WHERE m.ref IS NOT NULL
"""

_Conn = asyncpg.Connection | PoolConnectionProxy


class PostgresStore(AppendsAsFutures):
    """A ``MessageStore`` in PostgreSQL, for any number of nodes.

    ``dsn`` is a libpq-style URL; extra query parameters such as ``search_path`` are passed to
    the server as settings.
    """

    def __init__(
        self,
        dsn: str,
        *,
        pool_size: int = 4,
        max_pending: int = 50_000,
        connect_timeout: float = 3.0,
        command_timeout: float = 5.0,
    ) -> None:
        self.dsn = dsn
        self._pool_size = pool_size
        self._max_pending = max_pending
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._pool: asyncpg.Pool | None = None
        self._queue: deque[Submission] = deque()
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closed = False

    # -- lifecycle ------------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect, apply migrations and start the writer; ``StoreUnavailable`` if unreachable."""
        try:
            self._pool = await asyncpg.create_pool(
                self.dsn,
                min_size=0,  # connect on demand: no background reconnect noise
                max_size=self._pool_size,
                timeout=self._connect_timeout,
                command_timeout=self._command_timeout,
            )
            async with self._pool.acquire() as conn:
                await apply_migrations(conn)
        except _UNAVAILABLE as exc:
            if self._pool is not None:
                self._pool.terminate()
            raise StoreUnavailable(f"cannot open the PostgreSQL store: {exc}") from exc
        self._closed = False
        self._wakeup = asyncio.Event()
        self._writer = asyncio.create_task(self._write_loop(), name="roomcast-postgres-write")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wakeup.set()
        if self._writer is not None:
            await self._writer
        if self._pool is not None:
            try:
                await asyncio.wait_for(self._pool.close(), self._command_timeout)
            except TimeoutError:
                self._pool.terminate()

    # -- writes ---------------------------------------------------------------------------------

    def submit(self, message: NewMessage, done: AppendDone) -> None:
        if self._closed or self._writer is None:
            report(done, StoreUnavailable("the store is closed"))
        elif len(self._queue) >= self._max_pending:
            report(done, StoreUnavailable("the store is overloaded; try again"))
        else:
            self._queue.append((done, message))
            self._wakeup.set()

    async def _write_loop(self) -> None:
        while True:
            if not self._queue:
                if self._closed:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            batch = [self._queue.popleft() for _ in range(min(len(self._queue), _MAX_BATCH))]
            try:
                outcome = await self._commit(batch)
            except Exception as exc:  # never let the writer die: fail the batch, go on
                log.exception("PostgreSQL append failed")
                error = StoreUnavailable(f"the message store failed: {exc}")
                outcome = failed(batch, error)
            report_all(outcome)

    async def _commit(self, batch: list[Submission]) -> Outcomes:
        assert self._pool is not None
        failure: BaseException | None = None
        for _ in range(_RETRIES):
            try:
                async with self._pool.acquire(timeout=self._connect_timeout) as conn:
                    return await self._commit_on(conn, batch)
            except _RACED as exc:
                failure = exc
            except _UNAVAILABLE as exc:
                failure = exc
                break
        log.error("PostgreSQL commit of %d messages failed: %s", len(batch), failure)
        error = StoreUnavailable(f"the message store is unavailable: {failure}")
        return failed(batch, error)

    async def _commit_on(self, conn: _Conn, batch: list[Submission]) -> Outcomes:
        """Store the batch in one statement; messages whose ref was seen come back as duplicates."""
        keys = [ref_key(new.ref) for _, new in batch]
        earlier: dict[tuple[str | None, str], Appended] = {}
        wanted = [(new.sender, key) for (_, new), key in zip(batch, keys, strict=True) if key]
        if wanted:
            senders, refs = zip(*wanted, strict=True)
            for row in await conn.fetch(_FIND_REFS, list(senders), list(refs)):
                earlier[(row[0], row[1])] = Appended(ChatMessage(*row[2:]), duplicate=True)
        fresh: list[tuple[int, NewMessage]] = []  # (index in batch, message)
        first_of_ref: dict[tuple[str | None, str], int] = {}
        for index, ((_, new), key) in enumerate(zip(batch, keys, strict=True)):
            if key is not None:
                if (new.sender, key) in earlier or (new.sender, key) in first_of_ref:
                    continue
                first_of_ref[(new.sender, key)] = index
            fresh.append((index, new))
        ids: dict[int, int] = {}
        if fresh:
            columns: list[list[Any]] = [[], [], [], [], [], [], []]
            for index, new in fresh:
                for column, value in zip(
                    columns,
                    (
                        new.room,
                        new.author,
                        new.text,
                        new.wsid,
                        new.sent_ms,
                        new.sender,
                        keys[index],
                    ),
                    strict=True,
                ):
                    column.append(value)
            last_ids = {row[0]: int(row[1]) for row in await conn.fetch(_APPEND, *columns)}
            counts: dict[str, int] = {}
            for _, new in fresh:
                counts[new.room] = counts.get(new.room, 0) + 1
            seen: dict[str, int] = {}
            for index, new in fresh:
                seen[new.room] = k = seen.get(new.room, 0) + 1
                ids[index] = last_ids[new.room] - counts[new.room] + k
        outcome: Outcomes = []
        for index, ((done, new), key) in enumerate(zip(batch, keys, strict=True)):
            if index in ids:
                message = ChatMessage(
                    new.room, ids[index], new.author, new.text, new.wsid, new.sent_ms
                )
                outcome.append((done, Appended(message, duplicate=False)))
                continue
            assert key is not None
            known = earlier.get((new.sender, key))
            if known is None:
                first = batch[first_of_ref[(new.sender, key)]][1]
                known = Appended(
                    ChatMessage(
                        first.room,
                        ids[first_of_ref[(new.sender, key)]],
                        first.author,
                        first.text,
                        first.wsid,
                        first.sent_ms,
                    ),
                    duplicate=True,
                )
            outcome.append((done, known))
        return outcome

    # -- reads ----------------------------------------------------------------------------------

    async def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        if self._closed or self._pool is None:
            raise StoreUnavailable("the store is closed")
        try:
            async with self._pool.acquire(timeout=self._connect_timeout) as conn:
                rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
                return rows
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"the message store is unavailable: {exc}") from exc

    async def page(self, room: str, before: int | None, limit: int) -> list[ChatMessage]:
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM messages WHERE room = $1 AND id < $2"
            " ORDER BY id DESC LIMIT $3",
            room,
            before if before is not None else 2**63 - 1,
            limit,
        )
        return [ChatMessage(*row) for row in reversed(rows)]

    async def after(self, room: str, after_id: int, limit: int) -> list[ChatMessage]:
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM messages WHERE room = $1 AND id > $2 ORDER BY id LIMIT $3",
            room,
            after_id,
            limit,
        )
        return [ChatMessage(*row) for row in rows]

    async def last_id(self, room: str) -> int:
        rows = await self._fetch("SELECT last_id FROM rooms WHERE name = $1", room)
        return int(rows[0][0]) if rows else 0

    async def rooms(self) -> list[RoomSummary]:
        rows = await self._fetch(
            "SELECT name, last_id, topic, private FROM rooms WHERE NOT deleted"
            ' ORDER BY name COLLATE "C"'
        )
        return [RoomSummary(*row) for row in rows]

    async def room(self, name: str) -> RoomSummary | None:
        rows = await self._fetch(
            "SELECT name, last_id, topic, private FROM rooms WHERE name = $1 AND NOT deleted",
            name,
        )
        return RoomSummary(*rows[0]) if rows else None

    # -- administration -------------------------------------------------------------------------

    async def _transaction(self, *statements: tuple[str, Sequence[Any]]) -> list[str]:
        """Run statements in one transaction; their status strings ("INSERT 0 1", ...)."""
        if self._closed or self._pool is None:
            raise StoreUnavailable("the store is closed")
        try:
            async with (
                self._pool.acquire(timeout=self._connect_timeout) as conn,
                conn.transaction(),
            ):
                return [await conn.execute(sql, *args) for sql, args in statements]
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"the message store is unavailable: {exc}") from exc

    async def create_room(self, name: str, topic: str = "") -> bool:
        (status,) = await self._transaction(
            (
                "INSERT INTO rooms AS r (name, last_id, created_ms, topic)"
                " VALUES ($1, 0, (extract(epoch FROM now()) * 1000)::bigint, $2)"
                " ON CONFLICT (name) DO UPDATE SET deleted = false, topic = excluded.topic"
                " WHERE r.deleted",
                (name, topic),
            )
        )
        return _affected(status) == 1

    async def delete_room(self, name: str) -> bool:
        if self._closed or self._pool is None:
            raise StoreUnavailable("the store is closed")
        try:
            async with (
                self._pool.acquire(timeout=self._connect_timeout) as conn,
                conn.transaction(),
            ):
                status = await conn.execute(
                    "UPDATE rooms SET deleted = true, topic = '', private = false,"
                    " owner_id = NULL, owner_name = NULL WHERE name = $1 AND NOT deleted",
                    name,
                )
                if _affected(status) != 1:
                    return False
                for table in ("messages", "room_roles", "sanctions"):
                    await conn.execute(f"DELETE FROM {table} WHERE room = $1", name)
                return True
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"the message store is unavailable: {exc}") from exc

    async def import_messages(self, messages: Sequence[ChatMessage]) -> int:
        highest: dict[str, tuple[int, int]] = {}
        for m in messages:
            last, first_ms = highest.get(m.room, (0, m.sent_ms))
            highest[m.room] = (max(last, m.id), min(first_ms, m.sent_ms))
        rooms = sorted(highest)
        _, inserted = await self._transaction(
            (
                # Rooms first, in name order, as appends lock them: no deadlock between the two.
                "INSERT INTO rooms AS r (name, last_id, created_ms)"
                " SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])"
                " ON CONFLICT (name) DO UPDATE"
                " SET last_id = greatest(r.last_id, excluded.last_id), deleted = false",
                (rooms, [highest[r][0] for r in rooms], [highest[r][1] for r in rooms]),
            ),
            (
                f"INSERT INTO messages ({_COLUMNS})"
                " SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[],"
                " $5::text[], $6::bigint[]) ON CONFLICT (room, id) DO NOTHING",
                [
                    [m.room for m in messages],
                    [m.id for m in messages],
                    [m.author for m in messages],
                    [m.text for m in messages],
                    [m.wsid for m in messages],
                    [m.sent_ms for m in messages],
                ],
            ),
        )
        return _affected(inserted)

    # -- accounts, credentials, roles, sanctions, audit -----------------------------------------

    async def create_account(self, account: Account) -> bool:
        (status,) = await self._transaction(
            (
                f"INSERT INTO accounts ({_ACCOUNT}) VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT DO NOTHING",
                _row(account),
            )
        )
        return _affected(status) == 1

    async def account_by_key(self, key: str) -> Account | None:
        rows = await self._fetch(f"SELECT {_ACCOUNT} FROM accounts WHERE key = $1", key)
        return Account(*rows[0]) if rows else None

    async def account_by_id(self, account_id: str) -> Account | None:
        rows = await self._fetch(f"SELECT {_ACCOUNT} FROM accounts WHERE id = $1", account_id)
        return Account(*rows[0]) if rows else None

    async def add_credential(self, credential: Credential) -> None:
        await self._transaction(
            (
                f"INSERT INTO credentials ({_CREDENTIAL}) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                _row(credential),
            )
        )

    async def credential(self, secret_hash: str, now_ms: int) -> tuple[Credential, Account] | None:
        rows = await self._fetch(
            f"SELECT {', '.join('c.' + c for c in _CREDENTIAL.split(', '))},"
            f" {', '.join('a.' + c for c in _ACCOUNT.split(', '))}"
            " FROM credentials c JOIN accounts a ON a.id = c.account_id"
            " WHERE c.secret_hash = $1 AND (c.expires_ms IS NULL OR c.expires_ms > $2)",
            secret_hash,
            now_ms,
        )
        if not rows:
            return None
        row = tuple(rows[0])
        return Credential(*row[:7]), Account(*row[7:])

    async def credentials(self, account_id: str, kind: str) -> list[Credential]:
        rows = await self._fetch(
            f"SELECT {_CREDENTIAL} FROM credentials WHERE account_id = $1 AND kind = $2"
            f" AND (expires_ms IS NULL OR expires_ms > {_NOW_MS}) ORDER BY created_ms, id",
            account_id,
            kind,
        )
        return [Credential(*row) for row in rows]

    async def delete_credential(self, credential_id: str, account_id: str) -> bool:
        (status,) = await self._transaction(
            (
                "DELETE FROM credentials WHERE id = $1 AND account_id = $2",
                (credential_id, account_id),
            )
        )
        return _affected(status) == 1

    async def room_access(self, name: str) -> RoomAccess:
        rows = await self._fetch(
            "SELECT topic, private, owner_id, owner_name FROM rooms"
            " WHERE name = $1 AND NOT deleted",
            name,
        )
        roles = await self._fetch(
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
        (status,) = await self._transaction(
            (
                "INSERT INTO rooms AS r"
                " (name, last_id, created_ms, topic, private, owner_id, owner_name)"
                f" VALUES ($1, 0, {_NOW_MS}, $2, $3, $4, $5)"
                " ON CONFLICT (name) DO UPDATE SET deleted = false, topic = excluded.topic,"
                " private = excluded.private, owner_id = excluded.owner_id,"
                " owner_name = excluded.owner_name WHERE r.deleted",
                (name, topic, private, owner_id, owner_name),
            )
        )
        return _affected(status) == 1

    async def set_topic(self, name: str, topic: str) -> None:
        await self._transaction(
            (
                "INSERT INTO rooms (name, last_id, created_ms, topic)"
                f" VALUES ($1, 0, {_NOW_MS}, $2)"
                " ON CONFLICT (name) DO UPDATE SET topic = excluded.topic",
                (name, topic),
            )
        )

    async def set_role(self, room: str, account_id: str, name: str, role: str | None) -> None:
        create: tuple[str, Sequence[Any]] = (
            f"INSERT INTO rooms (name, last_id, created_ms) VALUES ($1, 0, {_NOW_MS})"
            " ON CONFLICT (name) DO NOTHING",
            (room,),
        )
        if role is None:
            await self._transaction(
                create,
                (
                    "DELETE FROM room_roles WHERE room = $1 AND account_id = $2",
                    (room, account_id),
                ),
            )
            return
        await self._transaction(
            create,
            (
                "INSERT INTO room_roles (room, account_id, name, role) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (room, account_id) DO UPDATE"
                " SET name = excluded.name, role = excluded.role",
                (room, account_id, name, role),
            ),
        )

    async def add_sanction(self, sanction: Sanction) -> int:
        rows = await self._fetch(
            f"INSERT INTO sanctions ({_SANCTION.removesuffix(', id')})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            *_row(sanction)[:-1],
        )
        return int(rows[0][0])

    async def sanctions(self, room: str, now_ms: int) -> list[Sanction]:
        rows = await self._fetch(
            f"SELECT {_SANCTION} FROM sanctions WHERE room = $1"
            " AND (until_ms IS NULL OR until_ms > $2) ORDER BY id",
            room,
            now_ms,
        )
        return [Sanction(*row) for row in rows]

    async def lift_sanctions(
        self, room: str, kind: str, *, account_id: str | None, name_key: str
    ) -> int:
        (status,) = await self._transaction(
            (
                "DELETE FROM sanctions WHERE room = $1 AND kind = $2"
                " AND (account_id = $3 OR name_key = $4)",
                (room, kind, account_id, name_key),
            )
        )
        return _affected(status)

    async def delete_message(self, room: str, message_id: int) -> bool:
        (status,) = await self._transaction(
            ("DELETE FROM messages WHERE room = $1 AND id = $2", (room, message_id))
        )
        return _affected(status) == 1

    async def add_audit(self, entry: AuditEntry) -> None:
        await self._transaction(
            (
                "INSERT INTO audit_log (time_ms, actor, action, room, target, detail)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                _row(entry),
            )
        )

    async def audit_log(self, room: str | None, limit: int) -> list[AuditEntry]:
        rows = await self._fetch(
            "SELECT time_ms, actor, action, room, target, detail FROM audit_log"
            " WHERE $1::text IS NULL OR room = $1 ORDER BY id DESC LIMIT $2",
            room,
            limit,
        )
        return [AuditEntry(*row) for row in rows]


def _row(value: Any) -> tuple[Any, ...]:
    """The fields of a store dataclass, in declaration order, as statement arguments."""
    return tuple(getattr(value, f.name) for f in dataclasses.fields(value))


def _affected(status: str) -> int:
    """The row count of a command status such as ``INSERT 0 3`` or ``UPDATE 1``."""
    return int(status.rsplit(" ", 1)[-1])


# -- migrations ---------------------------------------------------------------------------------


async def apply_migrations(conn: _Conn) -> list[Migration]:
    """Bring the schema up to date in one transaction; the migrations that were applied."""
    applied: list[Migration] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        if not await conn.fetchval("SELECT to_regclass('roomcast_schema') IS NOT NULL"):
            # Only the first start creates it: later ones need no CREATE privilege.
            await conn.execute(
                "CREATE TABLE roomcast_schema ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
        current = await conn.fetchval("SELECT coalesce(max(version), 0) FROM roomcast_schema")
        known = migrations("postgres")
        if known and current > known[-1].version:
            log.warning(
                "the PostgreSQL schema is at version %d, newer than this roomcast knows (%d)",
                current,
                known[-1].version,
            )
        for migration in known:
            if migration.version > current:
                log.info("applying PostgreSQL migration %04d %s", migration.version, migration.name)
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO roomcast_schema (version, name) VALUES ($1, $2)",
                    migration.version,
                    migration.name,
                )
                applied.append(migration)
    return applied


async def migrate(dsn: str, *, timeout: float = 10.0) -> tuple[list[Migration], int]:
    """Apply pending migrations to the database at ``dsn``: (applied, version now).

    Raises ``StoreUnavailable`` when the database cannot be reached.
    """
    try:
        conn = await asyncpg.connect(dsn, timeout=timeout)
    except _UNAVAILABLE as exc:
        raise StoreUnavailable(f"cannot reach PostgreSQL: {exc}") from exc
    try:
        applied = await apply_migrations(conn)
        version = int(await conn.fetchval("SELECT max(version) FROM roomcast_schema"))
    except _UNAVAILABLE as exc:
        raise StoreUnavailable(f"migration failed: {exc}") from exc
    finally:
        await conn.close()
    return applied, version
