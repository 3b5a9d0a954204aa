"""The client's pure modules, run in the browser: encoding, commands, links, backoff, state."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from conftest import ServerProcess

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    """One page for the whole module: these tests only import modules into it."""
    server = ServerProcess(tmp_path_factory.mktemp("modules")).start()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.http_url + "/")
        yield page
    finally:
        context.close()
        server.stop()


def run(page: Page, module: str, body: str, arg: Any = None) -> Any:
    """Evaluate ``body`` (an async function of ``(m, arg)``) with the module imported as m."""
    return page.evaluate(
        f"async (arg) => {{ const m = await import('/static/{module}'); "
        f"return await ({body})(m, arg); }}",
        arg,
    )


TEXTS = ["plain", "café", "日本語", "مرحبا", "👋🏽👨‍👩‍👧", "e\u0301", "𝔘", "x" * 70_000]


def test_message_encoding_is_base64_of_utf8(page: Page) -> None:
    encoded = run(page, "codec.js", "(m, texts) => texts.map(m.encodeText)", TEXTS)
    assert encoded == [base64.b64encode(t.encode()).decode() for t in TEXTS]
    decoded = run(page, "codec.js", "(m, all) => all.map(m.decodeText)", encoded)
    assert decoded == TEXTS
    # Bytes that are not UTF-8 do not throw; bad base64 gives an empty text.
    assert run(page, "codec.js", "(m) => m.decodeText(btoa('caf\\xe9'))") == "caf\ufffd"
    assert run(page, "codec.js", "(m) => m.decodeText('***')") == ""


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("hello", {"kind": "say", "text": "hello"}),
        ("  spaced  ", {"kind": "say", "text": "  spaced  "}),
        ("   ", {"kind": "empty"}),
        ("//etc/hosts", {"kind": "say", "text": "/etc/hosts"}),
        ("/me waves", {"kind": "me", "text": "waves"}),
        ("/ME   shouts", {"kind": "me", "text": "shouts"}),
        ("/nick  Ada Lovelace ", {"kind": "nick", "name": "Ada Lovelace"}),
        ("/join #ops", {"kind": "join", "room": "ops"}),
        ("/leave", {"kind": "leave", "room": None}),
        ("/leave ops", {"kind": "leave", "room": "ops"}),
        ("/msg bob  hi there ", {"kind": "msg", "name": "bob", "text": "hi there "}),
        ("/msg @bob", {"kind": "msg", "name": "bob", "text": ""}),
        ("/help", {"kind": "help"}),
        ("/nick", {"kind": "error", "message": "Usage: /nick NAME"}),
        ("/join two words", {"kind": "error", "message": "Usage: /join ROOM"}),
        ("/msg", {"kind": "error", "message": "Usage: /msg NAME [TEXT]"}),
    ],
)
def test_slash_command_parsing(page: Page, line: str, expected: dict[str, Any]) -> None:
    assert run(page, "commands.js", "(m, line) => m.parseInput(line)", line) == expected


def test_unknown_commands_are_errors(page: Page) -> None:
    result = run(page, "commands.js", "(m) => m.parseInput('/shrug')")
    assert result["kind"] == "error"
    assert "/shrug" in result["message"]


def test_names_complete_from_the_people_of_the_room(page: Page) -> None:
    people = ["bob", "Bea", "alice", "bobby", "Émile"]
    result = run(
        page,
        "complete.js",
        "(m, people) => ['b', 'BO', '', 'é', 'x'].map((prefix) => m.namesFor(prefix, people))",
        people,
    )
    assert result == [
        ["Bea", "bob", "bobby"],
        ["bob", "bobby"],
        ["alice", "Bea", "bob", "bobby", "Émile"],
        ["Émile"],
        [],
    ]
    # This user's own name is never offered.
    page.wait_for_selector("#people .me")
    own = run(page, "store.js", "(m) => m.state.nick")
    assert run(page, "complete.js", "(m, name) => m.namesFor('', [name])", own) == []


LINKIFY = """(m, text) => {
    const box = document.createElement("div");
    box.append(m.linkify(text));
    return [...box.childNodes].map((n) => n.nodeType === 3 ? ["text", n.data]
        : [n.tagName, n.textContent, n.getAttribute("href"), n.rel, n.target]);
}"""


@pytest.mark.parametrize(
    ("text", "nodes"),
    [
        ("no links here", [["text", "no links here"]]),
        (
            "see https://example.com/a_(b). ok",
            [
                ["text", "see "],
                [
                    "A",
                    "https://example.com/a_(b)",
                    "https://example.com/a_(b)",
                    "noopener noreferrer",
                    "_blank",
                ],
                ["text", ". ok"],
            ],
        ),
        (
            "(http://x.test/path)",
            [
                ["text", "("],
                ["A", "http://x.test/path", "http://x.test/path", "noopener noreferrer", "_blank"],
                ["text", ")"],
            ],
        ),
        ("javascript:alert(1)", [["text", "javascript:alert(1)"]]),
        ("data:text/html,<b>x</b>", [["text", "data:text/html,<b>x</b>"]]),
        ("<a href=https://evil.test>x</a>", None),
    ],
)
def test_only_http_urls_become_links(page: Page, text: str, nodes: list[Any] | None) -> None:
    result = run(page, "format.js", LINKIFY, text)
    if nodes is not None:
        assert result == nodes
    # Whatever the input, the text reads back unchanged and every element is a plain link.
    assert "".join(node[1] for node in result) == text
    assert {node[0] for node in result} <= {"text", "A"}


def test_room_names_are_checked_like_the_server_does(page: Page) -> None:
    names = ["lobby", "#ops", " Team-2.b ", "日本", "café", "bad name", "-x", "", "a" * 65]
    result = run(page, "format.js", "(m, names) => names.map(m.normaliseRoom)", names)
    assert result == ["lobby", "ops", "Team-2.b", "日本", "café", None, None, None, None]


def test_reconnect_backoff_grows_with_jitter_and_a_cap(page: Page) -> None:
    delays = run(
        page,
        "connection.js",
        """(m) => [0, 1, 2, 3, 4, 10, 40].map((attempt) => [
            m.backoffDelay(attempt, {random: () => 0}),
            m.backoffDelay(attempt, {random: () => 1}),
        ])""",
    )
    assert delays == [
        [250, 500],
        [500, 1000],
        [1000, 2000],
        [2000, 4000],
        [4000, 8000],
        [15000, 30000],
        [15000, 30000],
    ]


def test_a_restart_close_waits_its_hint(page: Page) -> None:
    delays = run(
        page,
        "connection.js",
        """(m) => [
            m.restartDelay(1012, '{"retry_after_ms":1000}', () => 0),
            m.restartDelay(1012, '{"retry_after_ms":1000}', () => 1),
            m.restartDelay(1012, '{"retry_after_ms":0}', () => 1),
            m.restartDelay(1012, '{"retry_after_ms":99999999}', () => 0),
            m.restartDelay(1001, '{"retry_after_ms":1000}', () => 0),
            m.restartDelay(1012, 'server shutting down', () => 0),
            m.restartDelay(1012, '{"retry_after_ms":-5}', () => 0),
            m.restartDelay(1012, '{"retry_after_ms":"5"}', () => 0),
        ]""",
    )
    assert delays == [1000, 1100, 10, 60000, None, None, None, None]


def test_store_tells_every_watcher_of_a_topic_in_order(page: Page) -> None:
    calls = run(
        page,
        "store.js",
        """(m) => {
            const calls = [];
            m.watch("test.topic", () => calls.push("first"));
            m.watch("test.topic", () => calls.push("second"));
            m.watch("test.other", () => calls.push("other"));
            m.changed("test.topic");
            m.changed("test.unwatched");
            return calls;
        }""",
    )
    assert calls == ["first", "second"]
    refs = run(page, "store.js", "(m) => [m.nextRef('m'), m.nextRef('m'), m.nextRef('j')]")
    assert len(set(refs)) == 3
    assert [ref.split(".")[0] for ref in refs] == ["m", "m", "j"]


def test_a_room_resumes_from_the_last_message_it_holds(page: Page) -> None:
    steps = run(
        page,
        "room.js",
        """(m) => {
            const room = new m.Room("x");
            const steps = [[room.resumeSince, room.canLoadOlder]];
            room.joinedLastId = 7;
            steps.push([room.resumeSince, room.canLoadOlder]);
            room.maxId = 9;
            room.minId = 3;
            steps.push([room.resumeSince, room.canLoadOlder]);
            room.hasMore = false;
            steps.push([room.resumeSince, room.canLoadOlder]);
            room.status = "joined";
            room.usersKnown = true;
            room.users = ["ada"];
            room.connectionLost();
            steps.push([room.status, room.usersBeforeDrop]);
            room.reset();
            steps.push([room.resumeSince, room.entries.size, room.list.childElementCount]);
            return steps;
        }""",
    )
    assert steps == [
        [None, False],
        [7, False],
        [9, True],
        [9, False],
        ["joining", ["ada"]],
        [7, 0, 0],
    ]


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KB"),
        (1536, "1.5 KB"),
        (10 * 1024, "10 KB"),
        (10 * 1024 * 1024, "10 MB"),
        (3 * 1024**3, "3.0 GB"),
        (-1, ""),
        (float("nan"), ""),
    ],
)
def test_file_sizes_are_for_people(page: Page, size: float, text: str) -> None:
    assert run(page, "format.js", "(m, size) => m.humanSize(size)", size) == text
