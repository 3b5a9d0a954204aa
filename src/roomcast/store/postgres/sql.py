"""What the PostgreSQL store's parts share: the connection type, how asyncpg's errors sort, a
command's row count, the server's clock in SQL and the lock on a name key."""

from __future__ import annotations

from typing import Final

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from roomcast.store.base import StoreUnavailable

# A connection of its own or one borrowed from the pool.
Conn = asyncpg.Connection | PoolConnectionProxy

# Errors that mean "not now": the server is unreachable, restarting, overloaded or refused.
UNAVAILABLE: Final = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)
# Errors raised by a write statement already sent when its reply never came (the connection
# closed mid-operation, a timeout after the send): it may have been committed. An error the
# server answered with, or a connection found closed before the send, means it was not.
IN_DOUBT: Final = (
    OSError,
    TimeoutError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.ConnectionFailureError,
)


def unavailable(exc: BaseException) -> StoreUnavailable:
    """The ``StoreUnavailable`` of one of ``UNAVAILABLE``, saying what happened (a timeout has
    no text of its own)."""
    what = str(exc) or f"no answer in time ({type(exc).__name__})"
    return StoreUnavailable(f"the message store is unavailable: {what}")


# Errors that mean "another node raced this batch": run it again.
RACED: Final = (
    asyncpg.UniqueViolationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
)


def affected(status: str) -> int:
    """The row count of a command status such as ``INSERT 0 3`` or ``UPDATE 1``."""
    return int(status.rsplit(" ", 1)[-1])


# Now, in milliseconds since the epoch, as PostgreSQL's clock has it.
NOW_MS: Final = "(extract(epoch FROM now()) * 1000)::bigint"

# Taken (to commit) by whoever gives a name key to an account, as its name or its chosen
# nickname: the checks that no other account has it, across both tables, cannot race.
LOCK_NAME_KEY: Final = "SELECT pg_advisory_xact_lock(1919905645, hashtext($1))"  # b"room"
