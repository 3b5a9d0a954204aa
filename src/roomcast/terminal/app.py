"""The full-screen client: a room list, the current room's messages and a composer, fed by
one ``ChatClient``; ``run`` is what ``roomcast chat`` calls in its full mode. The keys are
listed in ``keys``; the composer, completion, the room finder and how later changes reach a
shown line each have a module of their own."""

from __future__ import annotations

from collections import defaultdict
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import RichLog, Static

from roomcast.client import (
    ChatClient,
    ChatError,
    ClientClosed,
    Connected,
    Deleted,
    Disconnected,
    Edited,
    Message,
    Reaction,
    Read,
    RoomInfo,
    Rooms,
    ServerError,
    Users,
)
from roomcast.terminal.changes import DELETED, apply
from roomcast.terminal.commands import (
    MODERATION,
    BadCommand,
    Command,
    offered,
    parse,
    usage,
)
from roomcast.terminal.composer import Composer
from roomcast.terminal.finder import RoomFinder
from roomcast.terminal.keys import KEYS, read_alt_enter_as_new_line
from roomcast.terminal.lines import mentions_me, render
from roomcast.terminal.message_log import MessageLog
from roomcast.terminal.opening import CannotConnect, open_chat
from roomcast.terminal.options import ChatOptions
from roomcast.terminal.unread import Unread
from roomcast.wire.protocol import CLOSE_SIGNED_OUT

#: The client's own lines kept per room for redraws (older ones are dropped).
MAX_NOTES = 200
#: Seconds after a line is shown before the room's read marker goes out (one Read per such wait).
READ_PAUSE = 0.5
#: Cells of the room list, its border included (its ``width`` in ``ChatApp.CSS``).
ROOMS_WIDTH = 18


class ChatApp(App[int]):
    """One connection's rooms on screen: lines paged in from history, typed lines sent or
    edited, /commands run (the moderating ones where the room's role allows)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n,alt+down", "next_room", "next room", priority=True),
        Binding("ctrl+p,alt+up", "previous_room", "previous room", priority=True),
        Binding("ctrl+k", "find_room", "find a room", priority=True),
        Binding("f1", "help", "keys", priority=True),
        Binding("pageup", "page_up", "older", priority=True),
        Binding("pagedown", "page_down", "newer", priority=True),
    ]
    ENABLE_COMMAND_PALETTE = False
    AUTO_FOCUS = "#composer"  # typing goes to the composer from the start, not the log
    CSS = """
    #status { height: 1; padding: 0 1; text-style: bold; }
    #rooms { width: 18; height: 100%; border-right: solid gray; }
    #log { width: 1fr; }
    #people { width: 16; height: 100%; border-left: solid gray; }
    #composer { height: auto; max-height: 8; }
    """

    def __init__(self, options: ChatOptions) -> None:
        super().__init__()
        self.options = options
        self.room = options.rooms[0]
        self.chat: ChatClient | None = None
        self.messages: dict[str, list[Message]] = defaultdict(list)
        self.unread = Unread()
        self._read_timer: Timer | None = None
        self.people: dict[str, tuple[str, ...]] = {}
        #: The members of each room in all (more than ``people`` lists in a big room).
        self.counts: dict[str, int] = {}
        #: This client's role and the topic in each room, as the server's Room frames say.
        self.rooms_info: dict[str, RoomInfo] = {}
        #: Rooms whose oldest message is on screen already (the server said no more).
        self.complete: set[str] = set()
        self.offline = False
        #: The people of each direct conversation, which is shown by their names.
        self.members: dict[str, tuple[str, ...]] = {}
        #: The client's own lines in each room, each after the ID of the message it followed
        #: (0: before any), so that a redraw keeps them where they were.
        self.notes: dict[str, list[tuple[int, Text]]] = defaultdict(list)

    def compose(self) -> ComposeResult:
        yield Static(id="status", markup=False)
        with Horizontal():
            yield Static(id="rooms")
            yield MessageLog(id="log")
            yield Static(id="people")
        yield Composer(id="composer")

    async def on_mount(self) -> None:
        try:
            self.chat = await open_chat(self.options)
            for extra in self.options.rooms[1:]:
                await self.chat.join(extra)
        except ChatError as error:
            self.exit(1, return_code=1, message=f"roomcast chat: cannot join: {error}")
            return
        except CannotConnect as error:
            self.exit(1, return_code=1, message=f"roomcast chat: {error}")
            return
        self.run_worker(self._pump(), exclusive=True)
        self._show_rooms()
        self._show_status()

    def on_message_log_rewrap(self) -> None:
        """The log has a new width (the terminal was resized): its lines wrapped again."""
        self._refresh_log()

    async def _pump(self) -> None:
        assert self.chat is not None
        async for event in self.chat:
            if not self.is_running:  # shutting down: the screen is being taken away
                return
            if isinstance(event, Message):
                self._receive(event)
            elif isinstance(event, Edited | Deleted | Reaction):
                if apply(self.messages[event.room], event) and event.room == self.room:
                    self._refresh_log()
            elif isinstance(event, RoomInfo):
                self._room_info(event)
            elif isinstance(event, Rooms):
                self._person_rooms(event)
            elif isinstance(event, Read):
                self.unread.read_elsewhere(event, newest_id(self.messages[event.room]))
                self._show_rooms()
            elif isinstance(event, Users):
                self.people[event.room] = event.names
                self.counts[event.room] = event.count
                self._show_people()
            elif isinstance(event, ServerError):
                self.notice(f"server error {event.code}: {event.message}")
            elif isinstance(event, Disconnected) and not event.reconnecting:
                self.exit(1, return_code=1, message=f"roomcast chat: {closed_for_good(event)}")
                return
            elif isinstance(event, Disconnected):
                self.offline = True
                self.notice("offline: reconnecting, what you send goes when back")
                self._show_status()
            elif isinstance(event, Connected) and event.resumed:
                self.offline = False
                self.notice("back online")
                self._show_status()

    def _receive(self, message: Message) -> None:
        self.messages[message.room].append(message)
        mentioned = mentions_me(message, self._me)
        if message.room == self.room:
            self.query_one(RichLog).write(self._line(message))
            if self._read_timer is None:
                self._read_timer = self.set_timer(READ_PAUSE, self._mark_read)
        elif message.author != self._me:
            self.unread.arrived(message, mentioned)
        if mentioned and self.options.bell and not message.backlog:
            self.bell()
        self._show_rooms()

    def _mark_read(self) -> None:
        """The shown room read to its newest line, for the person's other tabs and devices."""
        self._read_timer = None
        marker = self.unread.to_mark(self.room, newest_id(self.messages[self.room]))
        chat = self.chat
        if marker is not None and chat is not None and not chat.closed and self.room in chat.rooms:
            chat.read(self.room, marker)

    def _person_rooms(self, listed: Rooms) -> None:
        """The person's rooms (as every device of it has them): joined here too, their counts
        the server's."""
        self.unread.listed(listed, self.room)
        self.members.update({s.room: s.members for s in listed.rooms if s.members})
        for state in listed.rooms:
            if self.chat is not None and state.room not in self.chat.rooms:
                self.run_worker(self._join_listed(self.chat, state.room))
        self._show_rooms()

    async def _join_listed(self, chat: ChatClient, room: str) -> None:
        """Join one of the person's rooms beside the shown one (which stays shown)."""
        try:
            await chat.join(room)
        except (ChatError, ClientClosed) as error:
            self.notice(f"cannot join {room}: {error}")
        self._show_rooms()

    def _line(self, message: Message) -> Text:
        """``message`` rendered, with the line it replies to when that line is here."""
        known = self.messages[message.room]
        quoted = next((m for m in known if m.id == message.reply_to), None)
        return render(message, self._me, self.options.color, quoted)

    def _show_rooms(self) -> None:
        rooms = self.chat.rooms if self.chat else list(self.options.rooms)
        rows = []
        for room in rooms:
            # One row a room, however long its name: the name cut with an ellipsis, the counts
            # kept whole.
            counts = self.unread.label(room)
            name = Text(title(room, self.members, self._me))
            name.truncate(max(1, ROOMS_WIDTH - 3 - cell_len(counts)), overflow="ellipsis")
            rows.append(Text(f"{'>' if room == self.room else ' '} ").append(name).append(counts))
        self.query_one("#rooms", Static).update(Text("\n", no_wrap=True).join(rows))

    def _show_status(self) -> None:
        """The top line: the room and its topic, who this client is, and whether it is online."""
        info = self.rooms_info.get(self.room)
        state = "OFFLINE, reconnecting" if self.offline else (self._me or "")
        shown = title(self.room, self.members, self._me)
        topic = f" · {info.topic}" if info and info.topic else ""
        self.query_one("#status", Static).update(f"{shown}{topic} · {state}")

    def _show_people(self) -> None:
        names = self.people.get(self.room, ())
        count = self.counts.get(self.room, 0)
        # A big room's list holds its first names only (the server's userlist_max): say how many.
        heading = (f"{count:,} people",) if count > len(names) else ()
        self.query_one("#people", Static).update("\n".join((*heading, *names)))
        self.query_one(Composer).names = names
        self.query_one(Composer).commands = offered(self._role())

    def _room_info(self, info: RoomInfo) -> None:
        old = self.rooms_info.get(info.room)
        self.rooms_info[info.room] = info
        if info.members:
            self.members[info.room] = info.members
            self._show_rooms()
        if info.topic and (old is None or old.topic != info.topic):
            self.notice(f"topic of {info.room}: {info.topic}")
        self._show_people()
        self._show_status()

    def _latest_id(self) -> int | None:
        """The ID of the room's latest live line (what /react without an ID reacts to)."""
        live = [m.id for m in self.messages[self.room] if m.text != DELETED]
        if not live:
            self.notice(f"nothing in {self.room} to react to")
        return live[-1] if live else None

    @property
    def _me(self) -> str | None:
        """This client's nickname (None before it is connected)."""
        return self.chat.nick if self.chat else None

    def _role(self) -> str:
        info = self.rooms_info.get(self.room)
        return info.role if info else "none"

    def notice(self, text: str, scroll_end: bool | None = None) -> None:
        """A line of the client's own (an error, a state) in the log, kept across redraws."""
        line = Text(f"* {text}", style="italic" if self.options.color else "")
        notes = self.notes[self.room]
        notes.append((newest_id(self.messages[self.room]), line))
        del notes[:-MAX_NOTES]
        self.query_one(RichLog).write(line, scroll_end=scroll_end)

    async def on_composer_submitted(self, submitted: Composer.Submitted) -> None:
        line = submitted.value.strip()
        if submitted.editing is not None and line and self.chat is not None:
            self.run_worker(self._edit(self.chat, self.room, submitted.editing, line))
        elif line and self.chat is not None:
            # In a worker: while offline the library holds the send (same Ref) until it is back.
            self.run_worker(self._dispatch(self.chat, line, self.room))

    def on_composer_edit_last(self) -> None:
        """Up in the empty composer: one's last line here, to edit."""
        nick = self._me
        mine = [m for m in self.messages[self.room] if m.author == nick and m.text != DELETED]
        if mine:
            self.query_one(Composer).hold_for_edit(mine[-1].id, mine[-1].text)
        else:
            self.notice(f"nothing of yours in {self.room} to edit")

    async def _edit(self, chat: ChatClient, room: str, target: int, text: str) -> None:
        try:
            await chat.edit(room, target, text)
        except (ChatError, ClientClosed) as error:
            self.notice(str(error))

    async def _dispatch(self, chat: ChatClient, line: str, room: str) -> None:
        try:
            if line.startswith("/"):
                await self._command(chat, parse(line))
            else:
                if self.offline:
                    self.notice(f"held until back online: {line}")
                await chat.send(line, room=room)
        except BadCommand as bad:
            self.notice(str(bad))
        except ChatError as error:
            self.notice(str(error))
        except ClientClosed:
            self.notice(f"not done, the connection is closed: {line}")

    async def _command(self, chat: ChatClient, command: Command) -> None:
        name, words, text = command.name, command.words, command.text
        if name == "quit":
            self.exit(0)
        elif name == "help":
            self.action_help()
        elif name in MODERATION and name not in offered(self._role()):
            self.notice(f"/{name} needs a moderator's role in {self.room} (yours: {self._role()})")
        elif name == "topic":
            await chat.set_topic(self.room, text)
        elif name in ("kick", "ban", "unban", "mute", "unmute"):
            lasting = command.duration
            await chat.moderate(name, self.room, words[0], reason=text, duration=lasting)
            until = f" for {lasting} s" if lasting is not None else ""
            self.notice(f"{name}: {words[0]} in {self.room}{until}")
        elif name == "search":
            found = await chat.search(text)
            self.notice(f"{len(found)} found for {text!r}")
            for line in found:
                self.notice(f"{line.room} #{line.id} {line.author}: {line.text}")
        elif name == "join":
            await chat.join(text)
            self._switch(text)
        elif name == "leave":
            await chat.leave(text or self.room)
            if chat.rooms:
                self._switch(chat.rooms[0])
        elif name == "nick":
            self.notice(f"you are now {await chat.set_nick(text)}")
            self._show_status()
        elif name == "me":
            await chat.send(f"/me {text}", room=self.room)
        elif name == "msg":
            room = await chat.direct(words[0])
            await chat.send(text, room=room)
        elif name == "react":
            target = int(words[0]) if words else self._latest_id()
            if target is not None:
                await chat.react(self.room, target, text)
        elif name == "reply":
            await chat.send(text, room=self.room, reply_to=int(words[0]))

    def action_help(self) -> None:
        """F1 and /help: every command and every key, in the log."""
        self.notice("commands: " + ", ".join(usage(n) for n in offered(self._role())))
        for key, what in KEYS:
            self.notice(f"{key}: {what}")

    def action_find_room(self) -> None:
        """Ctrl+K: the room finder; its answer shown (joined first when new)."""
        rooms = self.chat.rooms if self.chat else []
        self.push_screen(RoomFinder(rooms), self._found)

    def _found(self, room: str | None) -> None:
        if room is None or self.chat is None:
            return
        if room in self.chat.rooms:
            self._switch(room)
        else:
            self.run_worker(self._dispatch(self.chat, f"/join {room}", self.room))

    def _switch(self, room: str) -> None:
        """Show ``room``: its lines in the log, its unread count cleared."""
        self.room = room
        self.unread.seen(room)
        self._mark_read()
        self._redraw(scroll_end=True)
        self._show_rooms()
        self._show_people()
        self._show_status()

    def _redraw(self, scroll_end: bool) -> None:
        """The current room's lines in the log again, from its first known one."""
        log = self.query_one(RichLog)
        log.clear()
        if self.room in self.complete:
            log.write(Text(f"* the start of {self.room}"), scroll_end=scroll_end)
        following: dict[int, list[Text]] = defaultdict(list)
        for after, note in self.notes[self.room]:
            following[after].append(note)
        for note in following.pop(0, []):
            log.write(note, scroll_end=scroll_end)
        for message in self.messages[self.room]:
            log.write(self._line(message), scroll_end=scroll_end)
            for note in following.get(message.id, []):
                log.write(note, scroll_end=scroll_end)

    def _refresh_log(self) -> None:
        """The current room's lines drawn again after a change, the view where it was."""
        log = self.query_one(RichLog)
        at_end, y = log.is_vertical_scroll_end, log.scroll_y
        self._redraw(scroll_end=at_end)
        if not at_end:
            log.call_after_refresh(log.scroll_to, y=y, animate=False)

    def action_page_up(self) -> None:
        """PageUp: a page back in the log; at its top, the room's older history."""
        log = self.query_one(RichLog)
        if log.scroll_y > 0:
            log.scroll_page_up(animate=False)
        elif self.chat is not None and self.room not in self.complete:
            self.run_worker(self._older(self.chat, self.room), group="history", exclusive=True)

    def action_page_down(self) -> None:
        """PageDown: a page on in the log."""
        self.query_one(RichLog).scroll_page_down(animate=False)

    async def _older(self, chat: ChatClient, room: str) -> None:
        """Put the page before the oldest line known above it, the view kept where it was."""
        known = self.messages[room]
        try:
            page = await chat.history(room, before=known[0].id if known else None)
        except (ChatError, ClientClosed) as error:
            self.notice(str(error))
            return
        ids = {m.id for m in known}
        known[:0] = [m for m in page.messages if m.id not in ids]
        if not page.more:
            self.complete.add(room)
        if room != self.room:
            return
        log = self.query_one(RichLog)
        before = len(log.lines)
        self._redraw(scroll_end=False)
        # After the refresh, as RichLog's own scrolls to the end are: the last word is this one.
        log.call_after_refresh(log.scroll_to, y=len(log.lines) - before, animate=False)

    def _step(self, by: int) -> None:
        rooms = self.chat.rooms if self.chat else []
        if self.room in rooms:
            self._switch(rooms[(rooms.index(self.room) + by) % len(rooms)])

    def action_next_room(self) -> None:
        """Ctrl+N: the next room."""
        self._step(1)

    def action_previous_room(self) -> None:
        """Ctrl+P: the previous room."""
        self._step(-1)

    async def on_unmount(self) -> None:
        if self._read_timer is not None:
            self._read_timer.stop()
        if self.chat is not None:
            await self.chat.aclose()


def title(room: str, members: dict[str, tuple[str, ...]], me: str | None) -> str:
    """How ``room`` is named on screen: a direct conversation (one with ``members``) by its
    people other than ``me``."""
    others = [name for name in members.get(room, ()) if name != me]
    return "@" + ",".join(others) if others else room


def newest_id(known: list[Message]) -> int:
    """The ID of the newest of a room's ``known`` lines (0: none)."""
    return known[-1].id if known else 0


def closed_for_good(event: Disconnected) -> str:
    """What to tell a person whose connection the server closed and will not take back."""
    said = f"{event.code}: {event.reason}" if event.reason else str(event.code)
    again = "; sign in again (--login NAME)" if event.code == CLOSE_SIGNED_OUT else ""
    return f"the server closed the connection for good ({said}){again}"


def run(options: ChatOptions) -> int:
    """Run the full-screen client until /quit; the exit code."""
    read_alt_enter_as_new_line()
    app = ChatApp(options)
    app.run()
    return app.return_code or 0
