"""The SQLite store, in parts: ``store`` (the facade), ``writer`` (the commit path and every
write), ``journal`` (the message journal), ``conversation`` (changes to messages), ``rows`` (the
rows of ``messages`` as read), ``reads``, ``access``, ``rooms``, ``connection``, ``schema``
(migrations), ``checkpoint`` (the WAL checkpoint thread) and ``files`` (the files, in their own
database).

Its modules may import ``roomcast.store.base``, ``columns``, ``changes``, ``composed``,
``migrations``, ``uploads`` and ``roomcast.wire``. Other layers import the names below from this
package; only the store's own tests and benchmarks reach into its modules.
"""

from roomcast.store.sqlite.connection import Synchronous
from roomcast.store.sqlite.files import files_path
from roomcast.store.sqlite.journal import move_journal
from roomcast.store.sqlite.store import SQLiteStore

__all__ = ["SQLiteStore", "Synchronous", "files_path", "move_journal"]
