"""Stores: the interfaces (base.py), and how a ``--db`` URL picks an implementation.

Implementations: ``memory`` (one module), ``sqlite/`` and ``postgres/`` (packages of parts behind
the ``composed`` facade). The package may import ``roomcast.record`` and ``roomcast.wire``, and
no other layer; other layers import the interfaces and records from here, and an implementation
only to name it (``SQLiteStore``, ``move_journal``, ``PostgresStore``, ``migrate``).
"""

from __future__ import annotations

from pathlib import Path

from roomcast.store.base import (
    MAX_PENDING_BYTES,
    AccessStore,
    Account,
    AccountStore,
    Appended,
    AuditEntry,
    AuditQuery,
    Change,
    Changed,
    ChangeRefused,
    Credential,
    HistoryAdmin,
    HistoryReads,
    MessageStore,
    NewMessage,
    OutcomeUnknown,
    RoomAccess,
    RoomAccessStore,
    RoomSummary,
    Sanction,
    Store,
    StoreUnavailable,
    owner_key,
)

__all__ = [
    "AccessStore",
    "Account",
    "AccountStore",
    "Appended",
    "AuditEntry",
    "AuditQuery",
    "Change",
    "ChangeRefused",
    "Changed",
    "Credential",
    "HistoryAdmin",
    "HistoryReads",
    "MessageStore",
    "NewMessage",
    "OutcomeUnknown",
    "RoomAccess",
    "RoomAccessStore",
    "RoomSummary",
    "Sanction",
    "Store",
    "StoreUnavailable",
    "open_store",
    "owner_key",
]


def open_store(
    url: str,
    *,
    synchronous: str = "NORMAL",
    search_index: bool = True,
    timeout: float = 5.0,
    queue_bytes: int = MAX_PENDING_BYTES,
) -> Store:
    """Build the store a ``--db`` value names (not yet opened).

    ``memory://`` keeps history in memory only; ``sqlite:///path`` or a plain file path uses
    SQLite; ``postgresql://user@host/db`` (or ``postgres://``) uses PostgreSQL, shared by nodes.
    ``search_index`` False: SQLite keeps no search index (searches then see only the newest lines,
    see ``sqlite/search.py``); PostgreSQL keeps its index itself. ``timeout``: seconds a
    PostgreSQL statement may take, and a line its wait for an outcome (a hung server fails them
    then). ``queue_bytes``: bytes of lines and changes the writer's queue holds at most.
    """
    if url == "memory://" or url == ":memory:":
        from roomcast.store.memory import MemoryStore

        return MemoryStore()
    if url.startswith(("postgresql://", "postgres://")):
        from roomcast.store.postgres import PostgresStore

        return PostgresStore(url, command_timeout=timeout, max_pending_bytes=queue_bytes)
    if "://" in url and not url.startswith("sqlite://"):
        scheme = url.split("://", 1)[0]
        raise ValueError(
            f"unsupported database URL scheme {scheme!r}; use sqlite://, postgresql:// or memory://"
        )
    from roomcast.store.sqlite import SQLiteStore

    # sqlite:///relative/path and sqlite:////absolute/path, as in SQLAlchemy.
    path = url.removeprefix("sqlite://").removeprefix("/") if url.startswith("sqlite://") else url
    level = synchronous.upper()
    if level not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ValueError(
            f"sqlite synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}"
        )
    return SQLiteStore(
        Path(path),
        synchronous=level,  # type: ignore[arg-type]
        search_index=search_index,
        max_pending_bytes=queue_bytes,
    )
