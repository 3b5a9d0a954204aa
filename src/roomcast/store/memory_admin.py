"""The memory store's part for the server admin page: listing accounts and setting their flags,
signing an account out everywhere, the audit log with its filters, and the nodes' numbers."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod

from roomcast.store.base import NO_FILTER, Account, AuditEntry, AuditQuery, Credential


class MemoryAdmin(ABC):
    """``MemoryStore``'s admin methods, over the accounts and credentials it keeps."""

    _accounts: dict[str, Account]
    _credentials: dict[str, Credential]

    def __init__(self) -> None:
        super().__init__()
        self._audit: list[AuditEntry] = []
        self._node_stats: dict[str, tuple[int, str]] = {}

    @abstractmethod
    def _check_open(self) -> None: ...

    async def delete_credentials(self, account_id: str, kind: str) -> int:
        self._check_open()
        gone = [
            c.id
            for c in self._credentials.values()
            if c.account_id == account_id and c.kind == kind
        ]
        for credential_id in gone:
            del self._credentials[credential_id]
        return len(gone)

    async def accounts(self, search: str, limit: int) -> list[Account]:
        self._check_open()
        found = sorted(
            (a for a in self._accounts.values() if search in a.key), key=lambda a: (a.key, a.id)
        )
        return found[:limit]

    async def set_account_flags(
        self, account_id: str, *, disabled: bool | None = None, admin: bool | None = None
    ) -> Account | None:
        self._check_open()
        account = self._accounts.get(account_id)
        if account is None:
            return None
        changed = dataclasses.replace(
            account,
            disabled=account.disabled if disabled is None else disabled,
            admin=account.admin if admin is None else admin,
        )
        self._accounts[account_id] = changed
        return changed

    async def add_audit(self, entry: AuditEntry) -> None:
        self._check_open()
        self._audit.append(entry)

    async def audit_log(
        self, room: str | None, limit: int, query: AuditQuery = NO_FILTER
    ) -> list[AuditEntry]:
        self._check_open()
        entries = (e for e in reversed(self._audit) if room is None or e.room == room)
        return [e for e in entries if query.admits(e)][:limit]

    async def put_node_stats(self, node: str, seen_ms: int, stats: str) -> None:
        self._check_open()
        self._node_stats[node] = (seen_ms, stats)

    async def node_stats(self, since_ms: int) -> list[tuple[str, int, str]]:
        self._check_open()
        for node in [n for n, (seen, _) in self._node_stats.items() if seen < since_ms]:
            del self._node_stats[node]
        return sorted((node, seen, stats) for node, (seen, stats) in self._node_stats.items())
