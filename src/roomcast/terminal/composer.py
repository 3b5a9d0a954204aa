"""The composer: a multi-line text box where Enter sends and Shift+Enter, Alt+Enter or Ctrl+J
starts a new line."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea

#: Keys that put a new line in the text instead of sending it. Terminals that report modifiers
#: (the kitty keyboard protocol, modifyOtherKeys) send shift+enter and alt+enter; the others send
#: a bare enter for both, so Ctrl+J (a line feed) works everywhere.
NEWLINE_KEYS = ("shift+enter", "alt+enter", "ctrl+j")


class Composer(TextArea):
    """A TextArea that posts ``Submitted`` with its text on Enter and then empties itself."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(",".join(NEWLINE_KEYS), "newline", "new line", show=False),
    ]

    class Submitted(Message):
        """Enter was pressed; ``value`` is the text as typed (new lines kept)."""

        def __init__(self, composer: Composer, value: str) -> None:
            super().__init__()
            self.composer = composer
            self.value = value

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, placeholder="message, or /help")

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self, self.text))
            return
        await super()._on_key(event)

    def action_newline(self) -> None:
        """Shift+Enter, Alt+Enter, Ctrl+J: a new line where the cursor is."""
        self.insert("\n")
