"""The server admin page and its API: only server admins get in; the numbers it reports are the
server's real ones; what an admin does there happens, on every store, and is audited."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp

from accounts import Person, call, closed_with, connect, login, register, session_cookie, unique
from conftest import ServerProcess
from helpers import Client

from .support import API_KEY, auth
from .test_metrics_and_logs import _silent_reader

Overview = dict[str, Any]


def admin_server(server_factory: Any, admin: str, *args: str) -> ServerProcess:
    return server_factory(  # type: ignore[no-any-return]
        "--admins", admin, "--userlist-interval", "0.02", *args, env={"ROOMCAST_API_KEY": API_KEY}
    )


async def overview_until(
    server: ServerProcess, done: Callable[[Overview], bool], timeout: float = 10.0
) -> Overview:
    """Poll the overview as the page does until ``done`` holds; the last one otherwise."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        reply = await call("GET", f"{server.http_url}/api/admin/overview", headers=auth())
        assert reply.status == 200, reply.body
        numbers: Overview = reply.json()
        if done(numbers) or asyncio.get_running_loop().time() > deadline:
            return numbers
        await asyncio.sleep(0.25)


async def test_only_server_admins_get_in(server_factory: Any) -> None:
    root = unique("root")
    server = admin_server(server_factory, root)
    base = server.http_url
    admin, user = await register(base, root), await register(base, unique("user"))
    html = {"Accept": "text/html,application/xhtml+xml"}
    api_paths = ("/api/admin/overview", "/api/admin/accounts", "/api/admin/rooms")
    async with await Client.connect(server.ws_url, room="lobby") as guest:  # a guest session
        session = (await guest.expect("Status"))["Session"]
        for who in ({}, {"Cookie": f"roomcast_session={session}"}, user.headers()):
            page = await call("GET", f"{base}/admin", headers={**html, **who})
            assert page.status == 403
            assert b'id="login-form"' in page.body  # the browser gets the login form
            assert page.headers["Content-Type"].startswith("text/html")
            refused = await call("GET", f"{base}/admin", headers=who)
            assert (refused.status, refused.json()["error"]["code"]) == (403, "forbidden")
            for path in api_paths:
                reply = await call("GET", base + path, headers=who)
                assert (reply.status, reply.json()["error"]["code"]) == (403, "forbidden"), path
    bad_token = {"Authorization": "Bearer rc_not-a-token"}
    page = await call("GET", f"{base}/admin", headers={**html, **bad_token})
    assert page.status == 403
    for who in (admin.headers(), auth()):
        page = await call("GET", f"{base}/admin", headers={**html, **who})
        assert page.status == 200
        assert b'src="/static/admin.js"' in page.body
        for path in api_paths:
            assert (await call("GET", base + path, headers=who)).status == 200, path


async def test_the_numbers_are_the_servers_own(server_factory: Any) -> None:
    server = admin_server(
        server_factory, "root", "--write-buffer-high-water", "65536", "--max-text-chars", "100000"
    )
    first, second = "count-a", "count-b"
    clients = [await Client.connect(server.ws_url, room=first) for _ in range(3)]
    clients += [await Client.connect(server.ws_url, room=second) for _ in range(2)]
    try:
        for client in clients:
            await client.expect("Joined")
        numbers = await overview_until(
            server, lambda o: o["connections"] == 5 and o["members"] == 5
        )
        assert (numbers["connections"], numbers["members"]) == (5, 5)
        assert numbers["rooms"] == {first: 3, second: 2}
        (node,) = numbers["nodes"]
        assert node["rooms"] == {first: 3, second: 2}
        assert node["store"]["healthy"]
        assert node["broker"]["healthy"]
        assert 0 <= node["store"]["latency_ms"] < 2000
        assert 0 <= node["broker"]["latency_ms"] < 2000
        before = node["messages_received"]
        for n in range(4):
            await clients[0].say(f"a{n}")
        for n in range(3):
            await clients[3].say(f"b{n}")
        for client in clients:  # every line reached every member of its room
            for _ in range(4 if client in clients[:3] else 3):
                await client.expect("Chat")
        numbers = await overview_until(server, lambda o: o["messages_per_second"] > 0)
        (node,) = numbers["nodes"]
        assert node["messages_received"] - before == 7
        assert node["messages_delivered"] == 4 * 3 + 3 * 2
        assert numbers["messages_per_second"] > 0  # 7 lines in the last 2 s window
        rooms = await call("GET", f"{server.http_url}/api/admin/rooms", headers=auth())
        listed = {r["name"]: (r["members"], r["last_id"]) for r in rooms.json()["rooms"]}
        assert listed[first] == (3, 4)
        assert listed[second] == (2, 3)
        assert numbers["slow_consumers_dropped"] == 0
        sloth = await _silent_reader(server.port)
        try:
            async with aiohttp.ClientSession(headers=auth()) as session:
                for _ in range(100):
                    post = session.post(
                        f"{server.http_url}/api/rooms/flood/messages", json={"text": "x" * 100_000}
                    )
                    async with post as reply:
                        assert reply.status == 201
                    numbers = await overview_until(server, lambda o: True)
                    if numbers["slow_consumers_dropped"]:
                        break
        finally:
            sloth.close()
        assert numbers["slow_consumers_dropped"] == 1
    finally:
        for client in clients:
            await client.close()
    numbers = await overview_until(server, lambda o: o["connections"] == 0)
    assert (numbers["connections"], numbers["members"], numbers["rooms"]) == (0, 0, {})


async def test_what_an_admin_does_happens_and_is_audited(server_factory: Any) -> None:
    root = unique("root")
    server = admin_server(server_factory, root)
    base = server.http_url
    admin = await register(base, root)
    carla: Person = await register(base, unique("carla"))

    async def accounts(search: str) -> list[dict[str, Any]]:
        reply = await call(
            "GET", f"{base}/api/admin/accounts?search={search}", headers=admin.headers()
        )
        assert reply.status == 200
        return reply.json()["accounts"]  # type: ignore[no-any-return]

    (found,) = await accounts(carla.name.upper())
    assert (found["name"], found["disabled"], found["admin"]) == (carla.name, False, False)
    (me,) = await accounts(root)
    assert me["admin_by_setting"] is True
    account = f"{base}/api/admin/accounts/{found['id']}"
    async with await connect(server.ws_url, person=carla, room="lobby") as connected:
        await connected.expect("Joined")
        reply = await call("PATCH", account, body={"disabled": True}, headers=admin.headers())
        assert (reply.status, reply.json()["disabled"]) == (200, True)
        assert await closed_with(connected) == 4003
    assert (await login(base, carla.name)).status == 403
    assert (await login(base, carla.name, "wrong password!")).status == 401  # no hint without it
    me_now = await call("GET", f"{base}/api/me", headers=carla.headers())
    assert me_now.json()["name"] is None  # the old session proves nothing now
    reply = await call(
        "PATCH", account, body={"disabled": False, "admin": True}, headers=admin.headers()
    )
    assert (reply.json()["disabled"], reply.json()["admin"]) == (False, True)
    carla = Person(carla.name, session_cookie(await login(base, carla.name)))
    assert (await call("GET", f"{base}/api/admin/overview", headers=carla.headers())).status == 200
    async with await connect(server.ws_url, person=carla, room="lobby") as connected:
        await connected.expect("Joined")
        reply = await call("POST", f"{account}/signout", headers=admin.headers())
        assert (reply.status, reply.json()["sessions"]) == (200, 2)  # registered, logged in
        assert await closed_with(connected) == 4003
    assert (await call("GET", f"{base}/api/admin/overview", headers=carla.headers())).status == 403
    own = f"{base}/api/admin/accounts/{me['id']}"
    refused = await call("PATCH", own, body={"disabled": True}, headers=admin.headers())
    assert (refused.status, refused.json()["error"]["code"]) == (409, "own_account")
    # Rooms: set a topic through the room API, delete through the admin API.
    made = await call(
        "POST", f"{base}/api/rooms/doomed/messages", body={"text": "x"}, headers=auth()
    )
    assert made.status == 201
    topic = await call(
        "PUT",
        f"{base}/api/rooms/doomed/topic",
        body={"topic": "soon gone"},
        headers=admin.headers(),
    )
    assert topic.status == 200
    assert (
        await call("DELETE", f"{base}/api/admin/rooms/DOOMED", headers=admin.headers())
    ).status == 204
    assert (
        await call("DELETE", f"{base}/api/admin/rooms/doomed", headers=admin.headers())
    ).status == 404
    listed = await call("GET", f"{base}/api/admin/rooms", headers=admin.headers())
    assert "doomed" not in {r["name"] for r in listed.json()["rooms"]}
    log = await call("GET", f"{base}/api/audit?actor={root}", headers=admin.headers())
    actions = [(e["action"], e["target"]) for e in log.json()["entries"]]
    assert actions == [
        ("delete_room", "doomed"),
        ("topic", "doomed"),
        ("sign_out", carla.name),
        ("make_admin", carla.name),
        ("enable", carla.name),
        ("disable", carla.name),
    ]
    only = await call("GET", f"{base}/api/audit?action=disable", headers=admin.headers())
    assert [e["target"] for e in only.json()["entries"]] == [carla.name]
