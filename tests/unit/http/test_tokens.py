"""API tokens: created by a signed-in account, shown once, listed without secrets, revoked."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from .conftest import bearer, error_of, sign_up


async def test_a_token_is_created_used_listed_and_revoked(client: TestClient[Any, Any]) -> None:
    await sign_up(client, "alice")
    created = await client.post("/api/tokens", json={"label": "  my bot  "})
    assert created.status == 201
    token = await created.json()
    assert sorted(token) == ["created", "id", "label", "token"]
    assert token["label"] == "my bot"
    listed = await (await client.get("/api/tokens")).json()
    assert listed == {"tokens": [{k: token[k] for k in ("id", "label", "created")}]}
    client.session.cookie_jar.clear()
    me = await (await client.get("/api/me", headers=bearer(token["token"]))).json()
    assert me == {"name": "alice", "admin": False, "via": "token"}
    revoked = await client.delete(f"/api/tokens/{token['id']}", headers=bearer(token["token"]))
    assert revoked.status == 204
    status, code, _ = await error_of(await client.get("/api/me", headers=bearer(token["token"])))
    assert (status, code) == (401, "bad_token")


async def test_token_refusals(client: TestClient[Any, Any]) -> None:
    assert (await error_of(await client.post("/api/tokens", json={})))[:2] == (
        401,
        "login_required",
    )
    # The API key is an admin but no account: it has no tokens and cannot make one.
    assert await (await client.get("/api/tokens", headers=bearer())).json() == {"tokens": []}
    status, code, _ = await error_of(await client.post("/api/tokens", json={}, headers=bearer()))
    assert (status, code) == (403, "login_required")
    await sign_up(client, "alice")
    long_label = await client.post("/api/tokens", json={"label": "x" * 65})
    assert (await error_of(long_label))[:2] == (400, "too_long")
    unknown = await client.delete("/api/tokens/nope")
    assert await error_of(unknown) == (404, "not_found", "no such token")
