"""The PostgreSQL store, in parts: ``store`` (the facade), ``pool`` (the connection pool they
share), ``writer`` (the commit path), ``reads``, ``access``, ``rooms``, ``people`` (person-level
state), ``schema`` (migrations) and ``sql`` (the connection type, error classes, row counts, the
server's clock, the name-key lock).

Its modules may import ``roomcast.store.base``, ``columns``, ``composed``, ``migrations``,
``people``, ``roomcast.wire.protocol`` and asyncpg. Other layers import the names below from
this package.
"""

from roomcast.store.postgres.schema import apply_migrations, migrate
from roomcast.store.postgres.store import PostgresStore

__all__ = ["PostgresStore", "apply_migrations", "migrate"]
