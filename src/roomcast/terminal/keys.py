"""Every key of the full-screen client and what it does, as F1 and /help list them, and the one
key Textual has to be taught (Alt+Enter sent as ESC CR)."""

from __future__ import annotations

from typing import cast

KEYS: tuple[tuple[str, str], ...] = (
    ("Enter", "send the line (or save the edit)"),
    ("Shift+Enter, Alt+Enter, Ctrl+J", "a new line in the composer"),
    ("Up (composer empty)", "edit your last line in this room"),
    ("Escape", "cancel the edit"),
    ("Tab", "complete a nickname, or a /command at the start"),
    ("PageUp, PageDown", "scroll the log; PageUp at the top loads older lines"),
    ("Ctrl+N, Alt+Down", "next room"),
    ("Ctrl+P, Alt+Up", "previous room"),
    ("Ctrl+K", "find a joined room, or join the typed name"),
    ("F1", "this list"),
    ("Ctrl+Q", "quit (as /quit)"),
)

#: What a terminal without a keyboard protocol (xterm, tmux, most others by default) sends for
#: Alt+Enter: ESC then CR.
ALT_ENTER = "\x1b\r"


def read_alt_enter_as_new_line() -> None:
    """Make Alt+Enter start a new line where the terminal sends it as ESC CR.

    Textual 8 reads ESC CR as a bare Enter (its table maps CR to Enter before the Alt is seen),
    so the line would be sent. Its table of sequences gets ESC CR as Ctrl+J, the composer's
    other new-line key; a Textual that knows the sequence already keeps its own reading.
    """
    from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
    from textual.keys import Keys

    table = cast("dict[str, object]", ANSI_SEQUENCES_KEYS)  # a dict, typed as a Mapping
    table.setdefault(ALT_ENTER, (Keys.ControlJ,))
