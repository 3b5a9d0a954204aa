"""The full-screen client: a room list, the current room's messages and a composer, fed by
one ``ChatClient``; ``run`` is what ``roomcast chat`` calls in its full mode."""

from __future__ import annotations

from collections import defaultdict

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, RichLog, Static

from roomcast.client import ChatClient, ChatError, Disconnected, Message, ServerError, connect
from roomcast.terminal.lines import mentions_me, render
from roomcast.terminal.options import ChatOptions


class ChatApp(App[int]):
    """One connection's rooms on screen; Enter sends, /join and /quit are understood."""

    CSS = "#rooms { width: 18; border-right: solid gray; } #log { width: 1fr; }"

    def __init__(self, options: ChatOptions) -> None:
        super().__init__()
        self.options = options
        self.room = options.rooms[0]
        self.chat: ChatClient | None = None
        self.messages: dict[str, list[Message]] = defaultdict(list)
        self.unread: dict[str, int] = defaultdict(int)

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(id="rooms")
            yield RichLog(id="log", wrap=True)
        yield Input(id="composer", placeholder="message, or /help")

    async def on_mount(self) -> None:
        self.chat = await connect(self.options.url, nick=self.options.nick, room=self.room)
        for extra in self.options.rooms[1:]:
            await self.chat.join(extra)
        self.run_worker(self._pump(), exclusive=True)
        self._show_rooms()

    async def _pump(self) -> None:
        assert self.chat is not None
        async for event in self.chat:
            if isinstance(event, Message):
                self._receive(event)
            elif isinstance(event, ServerError):
                self.notice(f"server error {event.code}: {event.message}")
            elif isinstance(event, Disconnected):
                self.notice("offline, reconnecting…")

    def _receive(self, message: Message) -> None:
        self.messages[message.room].append(message)
        nick = self.chat.nick if self.chat else None
        if message.room == self.room:
            self.query_one(RichLog).write(render(message, nick, self.options.color))
        else:
            self.unread[message.room] += 1
        if mentions_me(message, nick) and self.options.bell:
            self.bell()
        self._show_rooms()

    def _show_rooms(self) -> None:
        rooms = self.chat.rooms if self.chat else list(self.options.rooms)
        lines = [
            f"{'>' if r == self.room else ' '} {r}"
            + (f" ({self.unread[r]})" if self.unread[r] else "")
            for r in rooms
        ]
        self.query_one("#rooms", Static).update("\n".join(lines))

    def notice(self, text: str) -> None:
        """A line of the client's own (an error, a state) in the log."""
        self.query_one(RichLog).write(
            Text(f"* {text}", style="italic" if self.options.color else "")
        )

    async def on_input_submitted(self, submitted: Input.Submitted) -> None:
        line = submitted.value.strip()
        submitted.input.value = ""
        if not line or self.chat is None:
            return
        if not line.startswith("/"):
            await self.chat.send(line, room=self.room)
            return
        name, _, rest = line[1:].partition(" ")
        try:
            if name == "quit":
                self.exit(0)
            elif name == "join" and rest.strip():
                await self.chat.join(rest.strip())
                self.room = rest.strip()
                self.query_one(RichLog).clear()
                self._show_rooms()
            else:
                self.notice(f"unknown command or bad arguments: /{name} (try /join ROOM, /quit)")
        except ChatError as error:
            self.notice(f"{error.code}: {error}")

    async def on_unmount(self) -> None:
        if self.chat is not None:
            await self.chat.aclose()


def run(options: ChatOptions) -> int:
    """Run the full-screen client until /quit; the exit code."""
    return ChatApp(options).run() or 0
