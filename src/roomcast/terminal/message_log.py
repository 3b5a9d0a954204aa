"""The message log: a ``RichLog`` that asks for its lines again when its width changes, since a
``RichLog`` wraps each line once, at the width it had when the line was written."""

from __future__ import annotations

from textual.events import Resize
from textual.message import Message
from textual.widgets import RichLog


class MessageLog(RichLog):
    """Posts ``Rewrap`` when its width changes after the first layout."""

    class Rewrap(Message):
        """The log's width changed: its lines are to be written again."""

    def __init__(self, *, id: str | None = None) -> None:
        # min_width=1: lines wrap at the log's own width (RichLog's default, 78, clipped them)
        super().__init__(id=id, wrap=True, min_width=1)
        self._laid_out_width = 0

    def on_resize(self, event: Resize) -> None:
        super().on_resize(event)
        width, self._laid_out_width = self._laid_out_width, event.size.width
        if width and width != event.size.width:
            self.post_message(self.Rewrap())
