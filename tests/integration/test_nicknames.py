"""Nicknames live on the server: guests, uniqueness, the rules, and the tutorial's Author field."""

from __future__ import annotations

import asyncio
import re
import secrets
import unicodedata

import pytest

from accounts import connect, joined, register, unique
from conftest import ServerProcess
from helpers import unb64

from .support import ChatClient, Names


async def rename(client: ChatClient, name: str) -> dict[str, object]:
    """Ask for ``name``; return the Nick confirmation or the Error."""
    return await client.request({"Type": "Nick", "Name": name}, "Nick")


async def test_guest_gets_guest_xxxx_until_it_picks_a_name(
    live: ServerProcess, names: Names
) -> None:
    room = names.room()
    async with (
        await ChatClient.open(live.ws_url, room=room) as guest,
        await ChatClient.open(live.ws_url, room=room) as other_guest,
    ):
        assert re.fullmatch(r"guest-[0-9a-z]{4,}", guest.nick), guest.nick
        assert guest.nick != other_guest.nick
        listed = await guest.expect(
            "userlist", lambda f: {u["Name"] for u in f["Users"]} == {guest.nick, other_guest.nick}
        )
        assert listed["Room"] == room
        await guest.say("hi")
        assert (await other_guest.expect("Chat"))["Author"] == guest.nick


async def test_nick_query_parameter_names_the_connection(live: ServerProcess, names: Names) -> None:
    wanted = names.nick("Zoë")
    async with await ChatClient.open(live.ws_url, room=names.room(), nick=wanted) as client:
        assert client.nick == wanted
        await client.say("named")
        assert (await client.expect("Chat"))["Author"] == wanted


async def test_nicknames_are_unique_case_insensitively(live: ServerProcess, names: Names) -> None:
    taken = names.nick("Alice")
    async with (
        await ChatClient.open(live.ws_url, room=names.room(), nick=taken) as owner,
        await ChatClient.open(live.ws_url, room=names.room()) as other,
    ):
        for variant in (taken, taken.upper(), taken.lower(), taken.swapcase()):
            answer = await rename(other, variant)
            assert (answer["Type"], answer["Code"]) == ("Error", "nick_taken"), variant
        # A taken name in the URL: the connection is admitted as a guest and told why.
        late = await ChatClient.open(live.ws_url, room=names.room(), nick=taken.upper())
        assert late.nick.startswith("guest-")
        assert (await late.expect("Error"))["Code"] == "nick_taken"
        await late.close()
        # The owner may change the case of its own name.
        answer = await rename(owner, taken.upper())
        assert (answer["Type"], answer["Name"]) == ("Nick", taken.upper())


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Ǆ", "ǅ"),  # U+01C4 and its titlecase U+01C5 fold to the same name
        ("Ǆ", "ǆ"),  # ... and so does the lowercase U+01C6
        ("José", "Jose\u0301"),  # precomposed é against e + combining acute
        ("Jose\u0301", "JOSÉ"),  # decomposed first, then upper-case precomposed
        ("Åsa", "A\u030asa"),  # Å (U+00C5) against A + combining ring above
        ("Straße", "STRASSE"),  # full case folding: ß folds to ss
    ],
)
async def test_uniqueness_is_after_nfc_and_case_folding(
    live: ServerProcess, names: Names, first: str, second: str
) -> None:
    suffix = names.nick("")
    async with (
        await ChatClient.open(live.ws_url, room=names.room()) as one,
        await ChatClient.open(live.ws_url, room=names.room()) as two,
    ):
        claimed = await rename(one, first + suffix)
        assert claimed["Type"] == "Nick", claimed
        assert claimed["Name"] == unicodedata.normalize("NFC", first + suffix)
        answer = await rename(two, second + suffix)
        assert (answer["Type"], answer.get("Code")) == ("Error", "nick_taken"), answer


async def test_names_are_stored_in_nfc(live: ServerProcess, names: Names) -> None:
    decomposed = "Zoe\u0308" + names.nick("")
    async with await ChatClient.open(live.ws_url, room=names.room()) as client:
        answer = await rename(client, decomposed)
        assert answer["Name"] == unicodedata.normalize("NFC", decomposed)
        await client.say("hello")
        assert (await client.expect("Chat"))["Author"] == answer["Name"]
        users = await client.expect("userlist", lambda f: len(f["Users"]) == 1 and "Zoë" in str(f))
        assert users["Users"] == [{"Name": answer["Name"]}]


@pytest.mark.parametrize("length", [1, 2, 31, 32])
async def test_lengths_1_to_32_are_accepted(live: ServerProcess, names: Names, length: int) -> None:
    # Random CJK ideographs keep even one-character names unique on the shared server.
    wanted = "".join(chr(0x4E00 + secrets.randbelow(20000)) for _ in range(min(length, 2)))
    wanted = (wanted + names.nick("n").rjust(32, "x"))[:length]
    async with await ChatClient.open(live.ws_url, room=names.room()) as client:
        answer = await rename(client, wanted)
        assert (answer["Type"], answer.get("Name")) == ("Nick", wanted), answer
        assert len(wanted) == length


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ("", "nick_invalid"),
        ("   ", "nick_invalid"),
        ("x" * 33, "nick_invalid"),
        ("é" * 33, "nick_invalid"),
        ("bell\x07", "nick_invalid"),
        ("tab\there", "nick_invalid"),
        ("new\nline", "nick_invalid"),
        ("del\x7f", "nick_invalid"),
        ("c1\x85", "nick_invalid"),
        ("zero\u200bwidth", "nick_invalid"),
        ("joiner\u200d", "nick_invalid"),
        ("\ufeffbom", "nick_invalid"),
        ("\u202eevil", "nick_invalid"),  # right-to-left override
        ("iso\u2066late", "nick_invalid"),  # left-to-right isolate
        ("soft\u00adhyphen", "nick_invalid"),
        ("two  spaces", "nick_invalid"),
        ("line\u2028sep", "nick_invalid"),
        ("system", "nick_reserved"),
        ("System", "nick_reserved"),
        ("ADMIN", "nick_reserved"),
        ("Administrator", "nick_reserved"),
        ("root", "nick_reserved"),
        ("guest-1234", "nick_reserved"),
        ("GUEST-abcd", "nick_reserved"),
    ],
)
async def test_invalid_and_reserved_names_are_refused(
    live: ServerProcess, names: Names, bad: str, code: str
) -> None:
    async with await ChatClient.open(live.ws_url, room=names.room()) as client:
        answer = await rename(client, bad)
        assert answer["Type"] == "Error", answer
        assert answer["Code"] == code
        assert answer["Message"]
        # Nothing changed: the next line still carries the guest name.
        await client.say("unchanged")
        assert (await client.expect("Chat"))["Author"] == client.nick


async def test_author_renames_the_connection(live: ServerProcess, names: Names) -> None:
    room = names.room()
    chosen = names.nick("chosen")
    async with (
        await ChatClient.open(live.ws_url, room=room) as page,
        await ChatClient.open(live.ws_url, room=room) as watcher,
    ):
        await page.say("first line under a new name", chosen)
        chat = await watcher.expect("Chat")
        assert chat["Author"] == chosen
        nick = await page.expect("Nick")
        assert (nick["Name"], nick["Old"]) == (chosen, page.nick)
        await watcher.expect("userlist", lambda f: chosen in {u["Name"] for u in f["Users"]})
        # The same Author again is no rename and no Error.
        await page.say("second line", chosen)
        assert (await watcher.expect("Chat"))["Author"] == chosen
        await page.barrier()
        assert page.unclaimed("Error") == []
        assert page.unclaimed("Nick") == []


@pytest.mark.parametrize(
    ("author", "code"),
    [("system", "nick_reserved"), ("bad\u200bname", "nick_invalid"), ("x" * 40, "nick_invalid")],
)
async def test_invalid_author_errors_and_line_goes_out_under_current_nick(
    live: ServerProcess, names: Names, author: str, code: str
) -> None:
    room = names.room()
    current = names.nick("cur")
    async with (
        await ChatClient.open(live.ws_url, room=room, nick=current) as page,
        await ChatClient.open(live.ws_url, room=room) as watcher,
    ):
        await page.say("still delivered", author, Ref="r1")
        error = await page.expect("Error")
        assert error["Code"] == code
        assert error.get("Ref") == "r1"
        chat = await watcher.expect("Chat")
        assert (unb64(chat["Message"]), chat["Author"]) == ("still delivered", current)
        ack = await page.expect("Ack")
        assert ack["ID"] == chat["ID"]


async def test_taken_author_errors_and_line_goes_out_under_current_nick(
    live: ServerProcess, names: Names
) -> None:
    room = names.room()
    owner_nick = names.nick("owner")
    async with (
        await ChatClient.open(live.ws_url, room=names.room(), nick=owner_nick) as _owner,
        await ChatClient.open(live.ws_url, room=room) as page,
        await ChatClient.open(live.ws_url, room=room) as watcher,
    ):
        await page.say("impostor line", owner_nick.upper())
        assert (await page.expect("Error"))["Code"] == "nick_taken"
        chat = await watcher.expect("Chat")
        assert chat["Author"] == page.nick
        assert unb64(chat["Message"]) == "impostor line"


async def test_a_name_is_free_again_once_its_owner_leaves(
    live: ServerProcess, names: Names
) -> None:
    room = names.room()
    wanted = names.nick("free")
    async with await ChatClient.open(live.ws_url, room=room) as watcher:
        owner = await ChatClient.open(live.ws_url, room=room, nick=wanted)
        await owner.close()
        await watcher.expect(
            "userlist", lambda f: [u["Name"] for u in f["Users"]] == [watcher.nick]
        )
        answer = await rename(watcher, wanted.upper())
        assert (answer["Type"], answer["Name"]) == ("Nick", wanted.upper())


async def test_a_rename_frees_the_old_name(live: ServerProcess, names: Names) -> None:
    old, new = names.nick("old"), names.nick("new")
    async with (
        await ChatClient.open(live.ws_url, room=names.room(), nick=old) as one,
        await ChatClient.open(live.ws_url, room=names.room()) as two,
    ):
        assert (await rename(one, new))["Type"] == "Nick"
        answer = await rename(two, old)
        assert (answer["Type"], answer["Name"]) == ("Nick", old)
        answer = await rename(two, new)
        assert answer["Code"] == "nick_taken"


async def test_rename_updates_userlists_of_every_room(live: ServerProcess, names: Names) -> None:
    first, second = names.room(), names.room()
    new = names.nick("multi")
    async with (
        await ChatClient.open(live.ws_url, room=first) as roamer,
        await ChatClient.open(live.ws_url, room=first) as in_first,
        await ChatClient.open(live.ws_url, room=second) as in_second,
    ):
        await roamer.request({"Type": "Join", "Room": second}, "Joined")
        assert (await rename(roamer, new))["Type"] == "Nick"
        for watcher in (in_first, in_second):
            users = await watcher.expect(
                "userlist", lambda f: new in {u["Name"] for u in f["Users"]}
            )
            assert roamer.nick not in {u["Name"] for u in users["Users"]}


async def test_two_tabs_renaming_at_once_tell_each_tab_its_true_old_name(
    live: ServerProcess,
) -> None:
    """Review: every Nick frame's Old is the name that tab had just before (the Name of the last
    Nick it got), also when both tabs of an account rename at the same moment."""
    alice = await register(live.http_url, unique("alice"))
    room = unique("tabs")
    async with (
        await connect(live.ws_url, person=alice, room=room) as one,
        await connect(live.ws_url, person=alice, room=room) as two,
    ):
        for tab in (one, two):
            await joined(tab, room)
        first, second = unique("xa"), unique("ya")
        await asyncio.gather(
            one.send({"Type": "Nick", "Name": first, "Ref": 1}),
            two.send({"Type": "Nick", "Name": second, "Ref": 2}),
        )
        for tab, ref in ((one, 1), (two, 2)):
            await tab.expect("Nick", lambda f, r=ref: f.get("Ref") == r)
        for tab in (one, two):
            await tab.send({"Type": "Ping", "Ref": "after"})
            await tab.expect("Pong")
            nicks = [f.get("was", f) for f in tab.frames if f.get("was", f)["Type"] == "Nick"]
            names = [alice.name] + [f["Name"] for f in nicks]
            assert [f["Old"] for f in nicks] == names[:-1], nicks
