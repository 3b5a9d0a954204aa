"""The composer: a multi-line text box where Enter sends and Shift+Enter, Alt+Enter or Ctrl+J
starts a new line; Up when it is empty asks to edit one's last line, which Escape cancels; Tab
completes a /command or a nickname."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea

from roomcast.terminal.complete import complete

#: Keys that put a new line in the text instead of sending it. Terminals that report modifiers
#: (the kitty keyboard protocol, modifyOtherKeys) send shift+enter and alt+enter; the others send
#: a bare enter for both, so Ctrl+J (a line feed) works everywhere.
NEWLINE_KEYS = ("shift+enter", "alt+enter", "ctrl+j")


class Composer(TextArea):
    """A TextArea that posts ``Submitted`` with its text on Enter; ``editing`` is the message
    whose text it holds for an edit (None: a new line)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_edit", "cancel the edit", show=False),
        Binding("tab", "complete", "complete", show=False),
    ]

    class Submitted(Message):
        """Enter was pressed; ``value`` is the text as typed (new lines kept), ``editing`` the
        message it replaces the text of (None: a new line)."""

        def __init__(self, composer: Composer, value: str, editing: int | None) -> None:
            super().__init__()
            self.composer = composer
            self.value = value
            self.editing = editing

    class EditLast(Message):
        """Up in an empty composer: the app is to offer one's last line for editing."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, placeholder="message, or /help")
        self.editing: int | None = None
        #: The nicknames Tab completes (the current room's people).
        self.names: tuple[str, ...] = ()
        #: The /commands Tab completes (those offered in the current room).
        self.commands: list[str] = []

    def hold_for_edit(self, target: int, text: str) -> None:
        """Hold ``text`` of message ``target`` for editing; Enter saves it, Escape cancels."""
        self.editing = target
        self.load_text(text)
        self.move_cursor(self.document.end)
        self.border_title = f"editing line {target} (Enter saves, Escape cancels)"

    def reset(self) -> None:
        """Empty, and no longer editing."""
        self.editing = None
        self.border_title = None
        self.clear()

    async def _on_key(self, event: events.Key) -> None:
        # Handled here, not by a binding: a binding's action runs later, so in a burst of keys
        # (a fast typist, a script) the new line would land after the letters that follow it.
        if event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.insert("\n")
            return
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self, self.text, self.editing))
            self.reset()
            return
        if event.key == "up" and not self.text and self.editing is None:
            event.stop()
            event.prevent_default()
            self.post_message(self.EditLast())
            return
        await super()._on_key(event)

    def action_cancel_edit(self) -> None:
        """Escape: drop the edit (the line keeps its text)."""
        if self.editing is not None:
            self.reset()

    def action_complete(self) -> None:
        """Tab: the word before the cursor completed; the choices shown when several fit."""
        row, column = self.cursor_location
        before = self.document.get_line(row)[:column]
        word = before.rsplit(" ", 1)[-1]
        if word.startswith("/") and before == word and row == 0:
            done, fits = complete(word[1:], self.commands)
            done = "/" + done
        else:
            done, fits = complete(word, self.names)
        if done != word:
            self.replace(done, (row, column - len(word)), (row, column))
        elif len(fits) > 1:
            self.notify(" ".join(fits), title="Tab")
