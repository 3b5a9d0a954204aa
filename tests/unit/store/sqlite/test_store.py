"""The SQLite store's facade: its parts, and opening and closing them in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from roomcast.store.base import NewMessage, StoreUnavailable
from roomcast.store.sqlite.store import SQLiteStore


async def test_appends_go_straight_to_the_writer(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "chat.db"))
    assert store.path == tmp_path / "chat.db"
    assert store.submit == store._writer.submit
    assert store.append == store._writer.append


async def test_close_commits_what_was_submitted_and_may_be_repeated(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "sub" / "chat.db")
    await store.open()
    pending = store.append(NewMessage("lobby", "alice", "last words", "w1", 1))
    await store.close()
    assert (await pending).message.id == 1
    await store.close()
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.page("lobby", None, 10)
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.append(NewMessage("lobby", "alice", "too late", "w1", 2))
    reopened = SQLiteStore(tmp_path / "sub" / "chat.db")
    await reopened.open()
    try:
        assert [m.text for m in await reopened.page("lobby", None, 10)] == ["last words"]
    finally:
        await reopened.close()
