"""The person calls and events of the client library against a live server: an account's
connections share its nickname and one userlist entry, a read on one reaches the others, a
mention notifies the account's connections, a direct conversation adds a room to the other's
rooms and notifies them, a block stops it; and across a reconnect, a read made while away goes
out and an account renamed meanwhile keeps its new name."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest

from accounts import signed_in
from client.support import arrived, next_of, until
from conftest import ServerProcess
from roomcast.client import (
    ChatError,
    Connected,
    Disconnected,
    Event,
    Joined,
    Message,
    NickChanged,
    Notify,
    Read,
    Rooms,
    RoomState,
    Users,
    connect,
)


def notified(events: list[Event]) -> list[Notify]:
    return [e for e in events if isinstance(e, Notify)]


def messages(events: list[Event]) -> list[Message]:
    return [e for e in events if isinstance(e, Message)]


def listing(events: list[Event], room: str) -> list[Rooms]:
    """The ``Rooms`` events among ``events`` that list ``room``."""
    return [e for e in events if isinstance(e, Rooms) and room in [s.room for s in e.rooms]]


async def refused(request: Awaitable[Any]) -> str:
    """The code of the ``ChatError`` that ``request`` raises."""
    with pytest.raises(ChatError) as raised:
        await request
    return raised.value.code


async def test_an_accounts_connections_share_its_nickname_and_one_userlist_entry(
    server: ServerProcess,
) -> None:
    ada = await signed_in(server, "ada")
    async with connect(ada, room="p") as one, connect(ada, room="p") as two:
        for chat in (one, two):
            connected = await next_of(chat, Connected)
            assert (connected.nick, connected.user) == ("ada", "ada")
            await next_of(chat, Joined)
        async with connect(server.ws_url, nick="gwen", room="p") as guest:
            assert (await next_of(guest, Connected)).user is None
            users = await next_of(guest, Users, lambda u: "gwen" in u.names)
            assert sorted(users.names) == ["ada", "gwen"]
            assert await two.set_nick("adalove") == "adalove"
            assert await next_of(one, NickChanged) == NickChanged("adalove", "ada")
            assert one.nick == two.nick == "adalove"
            users = await next_of(guest, Users, lambda u: "adalove" in u.names)
            assert sorted(users.names) == ["adalove", "gwen"]


async def test_a_read_on_one_connection_reaches_the_others(server: ServerProcess) -> None:
    ada = await signed_in(server, "ada")
    async with connect(server.ws_url, nick="gwen", room="p") as guest:
        first, second = await guest.send("one"), await guest.send("two")
        async with connect(ada, room="p") as one:
            await next_of(one, Joined)
            async with connect(ada, room="q") as two:
                await next_of(two, Joined)
                one.read("p", first)
                assert await next_of(two, Read) == Read("p", first)  # not in "p": still told
                assert not [e for e in await arrived(one) if isinstance(e, Read)]
                async with connect(ada, room="q") as three:
                    rooms = await next_of(three, Rooms)
                    assert rooms.rooms == (
                        RoomState("p", second, first, 1, 0, False),  # one line by others unread
                        RoomState("q", 0, 0, 0, 0, False),
                    )
                    assert three.person_rooms == rooms.rooms
                    assert three.rooms == ["q"]  # listed, not joined
                    assert (await three.join("p")).read_id == first


async def test_a_mention_notifies_the_accounts_connections(server: ServerProcess) -> None:
    ada = await signed_in(server, "ada")
    async with (
        connect(ada, room="m") as here,
        connect(ada, room="elsewhere") as away,
        connect(server.ws_url, nick="gwen", room="m") as guest,
    ):
        await next_of(here, Joined)
        await next_of(away, Joined)
        line = await guest.send("hello @ada")
        notify = Notify("mention", "m", line, "gwen", "hello @ada")
        assert await next_of(away, Notify) == notify
        events = await until(here, lambda ev: notified(ev) and messages(ev))
        assert notified(events) == [notify]
        assert [m.mentions for m in messages(events)] == [("ada",)]
        await here.send("note to self, @ada")  # one's own line notifies nobody of one's own
        again = await guest.send("@ada again")
        assert await next_of(away, Notify) == Notify("mention", "m", again, "gwen", "@ada again")


async def test_a_direct_conversation_notifies_and_a_block_stops_it(server: ServerProcess) -> None:
    ada_url, bob_url = await signed_in(server, "ada"), await signed_in(server, "bob")
    async with connect(ada_url, room="lobby") as ada, connect(bob_url, room="lobby") as bob:
        await next_of(bob, Joined)
        room = await ada.direct("bob")
        assert room.startswith("dm.")
        assert room in ada.rooms  # direct() joined it
        line = await ada.send("psst", room=room)
        events = await until(bob, lambda ev: notified(ev) and listing(ev, room))
        assert notified(events) == [Notify("direct", room, line, "ada", "psst")]
        assert [s.direct for s in listing(events, room)[-1].rooms if s.room == room] == [True]
        assert room in [s.room for s in bob.person_rooms]
        assert room not in bob.rooms  # bob joins what he asks for
        assert await bob.direct(["ada"]) == room  # the same people, the same room: joined
        backlog = await next_of(bob, Message, lambda m: m.room == room)
        assert (backlog.text, backlog.backlog) == ("psst", True)

        assert await bob.block("ada") == ("ada",)
        assert await refused(ada.send("more", room=room)) == "forbidden"
        assert await refused(ada.direct("bob")) == "forbidden"
        await ada.send("hey @bob", room="lobby")
        await next_of(bob, Message, lambda m: m.text == "hey @bob")
        assert await bob.unblock("ada") == ()
        again = await ada.send("back", room=room)
        # The next notification is this line's: the mention made while blocked had none.
        assert await next_of(bob, Notify) == Notify("direct", room, again, "ada", "back")


async def test_guests_and_unknown_names_are_refused(server: ServerProcess) -> None:
    ada_url = await signed_in(server, "ada")
    await signed_in(server, "bob")
    async with connect(ada_url, room="r") as ada, connect(server.ws_url, room="r") as guest:
        assert await refused(guest.direct("ada")) == "login_required"
        assert await refused(guest.block("ada")) == "login_required"
        assert await refused(ada.direct("nobody")) == "not_found"
        assert await refused(ada.block("nobody")) == "not_found"
        assert await refused(ada.unblock("bob")) == "not_found"  # not blocked
        assert ada.rooms == ["r"]


async def test_a_read_made_while_away_goes_out_and_a_rename_meanwhile_stays(
    server: ServerProcess,
) -> None:
    ada = await signed_in(server, "ada")
    async with (
        connect(ada, room="r", reconnect_delay=4.0, max_reconnect_delay=4.0) as slow,
        connect(ada, room="s", reconnect_delay=0.1, max_reconnect_delay=0.2) as quick,
    ):
        await next_of(quick, Joined)
        async with connect(server.ws_url, nick="gwen", room="r") as guest:
            line = await guest.send("read me while away")
        await next_of(slow, Message, lambda m: m.id == line)
        server.kill()
        server.start()
        await next_of(slow, Disconnected)
        slow.read("r", line)  # no connection for 2-4 s: held
        assert (await next_of(quick, Connected, lambda c: c.resumed, timeout=15)).nick == "ada"
        assert await quick.set_nick("adab") == "adab"
        back = await next_of(slow, Connected, lambda c: c.resumed, timeout=15)
        assert back.nick == "adab"  # it did not ask for its old name again
        assert sorted(s.room for s in (await next_of(slow, Rooms)).rooms) == ["r", "s"]
        assert await next_of(quick, Read) == Read("r", line)
        # A rename back to "ada" by slow's reconnect would have reached quick before the Read.
        assert slow.nick == quick.nick == "adab"
