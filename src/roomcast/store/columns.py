"""Column lists shared by the SQL stores (SQLite and PostgreSQL), in the order rows are read."""

from typing import Final

MESSAGE: Final = "room, id, author, body, wsid, sent_ms"
ACCOUNT: Final = "id, name, key, password_hash, created_ms"
CREDENTIAL: Final = "id, kind, account_id, secret_hash, label, created_ms, expires_ms"
SANCTION: Final = (
    "room, kind, account_id, ip, name, name_key, until_ms, by_name, reason, created_ms, id"
)
