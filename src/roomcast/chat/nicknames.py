"""Nicknames: claiming one (unique across all nodes, and never another user's account name),
renaming, guest names, and the names that sessions had, so a reconnect gets its own back.

A guest's nickname is claimed in the presence by its connection. A signed-in account's is the
person's: its account name, or the nickname it chose, kept in the store and reserved there like
an account name, so every connection of the account (each tab, each device) has the same one
and no claim is needed.
"""

from __future__ import annotations

import contextlib
import secrets
from collections import OrderedDict
from typing import Protocol

from roomcast.chat.state import Member
from roomcast.store import Account
from roomcast.wire import protocol
from roomcast.wire.protocol import ErrorCode, ProtocolError, Ref

# Sessions whose last nickname is remembered after they disconnect, so a reconnect gets it back.
_REMEMBERED_SESSIONS = 10_000


class AccountNames(Protocol):
    """The store's accounts by the ``nick_key`` of their names, and their chosen nicknames."""

    async def account_by_key(self, key: str) -> Account | None: ...

    async def account_nick(self, account_id: str) -> str | None: ...

    async def set_account_nick(
        self, account_id: str, nick: str | None, key: str | None
    ) -> bool: ...


class NickClaims(Protocol):
    """The presence's nickname ownership, across all nodes."""

    async def claim_nick(self, key: str, owner: str) -> bool: ...

    async def release_nick(self, key: str, owner: str) -> None: ...

    async def nick_owner(self, key: str) -> str | None: ...


class Nicknames:
    """Who is called what on this node, checked against every node and the accounts."""

    def __init__(self, accounts: AccountNames, claims: NickClaims) -> None:
        self._accounts = accounts
        self._claims = claims
        self._remembered: OrderedDict[str, str] = OrderedDict()

    async def name_new(self, member: Member, wanted: str | None) -> ProtocolError | None:
        """Give a new connection its nickname: the one it asks for, else its session's earlier
        one, else its account's name, else a guest name; the mistake in ``wanted``, if any."""
        identity = member.identity
        if identity.account_id is not None:
            return await self._name_account(member, wanted)
        remembered = self._remembered.get(member.session)
        mistake: ProtocolError | None = None
        if not wanted and not remembered and identity.name is not None:
            # An account's own name is its nickname unless it asks for another.
            with contextlib.suppress(ProtocolError):
                member.nick = await self.claim(member, protocol.validate_nick(identity.name))
        if wanted:
            try:
                member.nick = await self.claim(member, protocol.validate_nick(wanted))
            except ProtocolError as exc:
                mistake = exc
        elif remembered:
            # The session's own earlier name (a guest name too) comes back if it is still free.
            with contextlib.suppress(ProtocolError):
                member.nick = await self.claim(member, remembered)
        if not member.nick:
            member.nick = await self._claim_guest(member)
        return mistake

    async def claim(self, member: Member, name: str) -> str:
        """Take a valid nickname for ``member``, or raise ``nick_taken``/``nick_registered``."""
        key = protocol.nick_key(name)
        await self._check_registered(member, key, name, None)
        if not await self._claims.claim_nick(key, member.wsid):
            raise ProtocolError(ErrorCode.NICK_TAKEN, f"nickname {name!r} is taken")
        return name

    async def _name_account(self, member: Member, wanted: str | None) -> ProtocolError | None:
        """A signed-in connection: the account's nickname; ``wanted`` chooses another."""
        account_id = member.identity.account_id
        assert account_id is not None
        name = member.identity.name or account_id
        member.nick = await self._accounts.account_nick(account_id) or name
        if wanted and wanted != member.nick:
            try:
                await self.rename(member, wanted, None)
            except ProtocolError as exc:
                return exc
        return None

    async def rename(self, member: Member, wanted: str, ref: Ref | None) -> str | None:
        """Give ``member`` the nickname ``wanted``; the name it replaced (which another
        connection of the account may have set meanwhile), None when it had ``wanted`` already.
        For a signed-in account the name becomes the account's chosen nickname (the caller tells
        the account's other connections)."""
        try:
            name = protocol.validate_nick(wanted)
        except ProtocolError as exc:
            raise ProtocolError(exc.code, exc.message, ref) from None
        old = member.nick
        if name == old:
            return None
        if member.identity.account_id is not None:
            await self._choose(member, name, ref)
            replaced, member.nick = member.nick, name
            return replaced
        old_key, new_key = protocol.nick_key(old), protocol.nick_key(name)
        if new_key != old_key:
            await self._check_registered(member, new_key, name, ref)
            if not await self._claims.claim_nick(new_key, member.wsid):
                raise ProtocolError(ErrorCode.NICK_TAKEN, f"nickname {name!r} is taken", ref)
        member.nick = name
        if new_key != old_key:
            await self._claims.release_nick(old_key, member.wsid)
        return old

    def remember(self, member: Member) -> None:
        """``member`` is disconnecting: its session gets its nickname back if it reconnects."""
        self._remembered[member.session] = member.nick
        self._remembered.move_to_end(member.session)
        if len(self._remembered) > _REMEMBERED_SESSIONS:
            self._remembered.popitem(last=False)

    async def release(self, member: Member) -> None:
        """``member`` disconnected: free its nickname for anyone (a guest's: an account's stays
        the account's)."""
        if member.identity.account_id is None:
            await self._claims.release_nick(protocol.nick_key(member.nick), member.wsid)

    async def _choose(self, member: Member, name: str, ref: Ref | None) -> None:
        """Keep ``name`` as the account's chosen nickname (its own name: none), or refuse it."""
        account_id = member.identity.account_id
        assert account_id is not None
        key = protocol.nick_key(name)
        if name == member.identity.name:
            await self._accounts.set_account_nick(account_id, None, None)
            return
        await self._check_registered(member, key, name, ref)
        taken = ProtocolError(ErrorCode.NICK_TAKEN, f"nickname {name!r} is taken", ref)
        if await self._claims.nick_owner(key) is not None:
            raise taken  # a guest has it now
        if not await self._accounts.set_account_nick(account_id, name, key):
            raise taken

    async def _check_registered(self, member: Member, key: str, name: str, ref: Ref | None) -> None:
        """Refuse a nickname that is (or looks like) another user's registered account name."""
        account = await self._accounts.account_by_key(key)
        if account is not None and account.id != member.identity.account_id:
            raise ProtocolError(
                ErrorCode.NICK_REGISTERED, f"nickname {name!r} belongs to a registered user", ref
            )

    async def _claim_guest(self, member: Member) -> str:
        digits = 4
        while True:
            for _ in range(8):
                name = protocol.GUEST_PREFIX + secrets.token_hex(digits // 2 + 1)[:digits]
                if await self._claims.claim_nick(protocol.nick_key(name), member.wsid):
                    return name
            digits += 2
