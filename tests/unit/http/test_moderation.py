"""Moderation actions, deleting messages, sanctions in force and the audit log over REST."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from roomcast.ops.serve import Node

from .conftest import bearer, error_of, sign_up


async def owner_of_den(client: TestClient[Any, Any]) -> None:
    """eve has an account; alice (signed in) owns the room den."""
    await sign_up(client, "eve")
    client.session.cookie_jar.clear()
    await sign_up(client, "alice")
    assert (await client.post("/api/rooms", json={"room": "den"})).status == 201


async def test_a_ban_is_answered_listed_audited_and_lifted(client: TestClient[Any, Any]) -> None:
    await owner_of_den(client)
    ban = await client.post(
        "/api/rooms/den/moderation",
        json={"action": "ban", "name": "eve", "duration": 60, "reason": "spam"},
    )
    result = await ban.json()
    assert (result["action"], result["room"], result["name"]) == ("ban", "den", "eve")
    assert result["until"].endswith("Z")
    sanctions = (await (await client.get("/api/rooms/den/sanctions")).json())["sanctions"]
    assert [(s["kind"], s["name"], s["account"], s["by"]) for s in sanctions] == [
        ("ban", "eve", True, "alice")
    ]
    assert "ip" not in sanctions[0]
    as_admin = await client.get("/api/rooms/den/sanctions", headers=bearer())
    assert "ip" in (await as_admin.json())["sanctions"][0]
    entries = (await (await client.get("/api/audit?room=den")).json())["entries"]
    assert [(e["actor"], e["action"], e["target"]) for e in entries] == [
        ("alice", "ban", "eve"),
        ("alice", "create", "den"),
    ]
    lifted = await client.post("/api/rooms/den/moderation", json={"action": "unban", "name": "eve"})
    assert (await lifted.json())["until"] is None
    assert (await (await client.get("/api/rooms/den/sanctions")).json())["sanctions"] == []


async def test_moderation_bodies_are_checked(client: TestClient[Any, Any]) -> None:
    await owner_of_den(client)
    url = "/api/rooms/den/moderation"
    cases = [
        ({"action": "slap", "name": "eve"}, "action must be one of kick, ban, unban, mute, unmute"),
        (
            {"action": "ban", "name": "eve", "duration": 0},
            "duration must be 1 s to 10 years, in seconds",
        ),
        ({"action": "ban", "name": "eve", "duration": "1"}, "duration must be an integer"),
    ]
    for body, message in cases:
        assert await error_of(await client.post(url, json=body)) == (400, "bad_field", message)
    long_reason = {"action": "ban", "name": "eve", "reason": "r" * 201}
    assert (await error_of(await client.post(url, json=long_reason)))[:2] == (400, "too_long")
    nobody = await client.post(url, json={"action": "kick", "name": "zed"})
    assert (await error_of(nobody))[:2] == (404, "not_found")


async def test_deleting_a_message(client: TestClient[Any, Any], node: Node) -> None:
    await owner_of_den(client)
    message = await node.hub.post("den", "oops")
    for raw in ("0", "x", "%C2%B2", str(2**63)):
        reply = await client.delete(f"/api/rooms/den/messages/{raw}")
        assert await error_of(reply) == (
            400,
            "bad_param",
            "the message ID must be a positive integer",
        )
    assert (await client.delete(f"/api/rooms/den/messages/{message.id}")).status == 204
    assert await node.hub.store.page("den", None, 10) == []


async def test_sanctions_and_the_audit_log_are_for_moderators(
    client: TestClient[Any, Any],
) -> None:
    await owner_of_den(client)
    client.session.cookie_jar.clear()
    await client.post("/api/login", json={"name": "eve", "password": "correct horse battery"})
    assert await error_of(await client.get("/api/rooms/den/sanctions")) == (
        403,
        "forbidden",
        "only the room's moderators see its sanctions",
    )
    for query in ("?room=den", ""):
        assert await error_of(await client.get(f"/api/audit{query}")) == (
            403,
            "forbidden",
            "the audit log is for admins and room moderators",
        )
    assert (await error_of(await client.get("/api/audit?room=")))[:2] == (400, "room_invalid")
    for limit in ("501", "0", "²", "1&limit=2"):
        assert await error_of(await client.get(f"/api/audit?limit={limit}")) == (
            400,
            "bad_param",
            "limit must be an integer between 1 and 500",
        )
    everything = await client.get("/api/audit", headers=bearer())
    assert [e["action"] for e in (await everything.json())["entries"]] == ["create"]
