"""Ctrl+K: a small picker of the joined rooms, filtered as one types (the letters in order,
not necessarily together); Enter goes to the highlighted room, or joins the typed name."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList


def fuzzy(typed: str, name: str) -> bool:
    """Whether the letters of ``typed`` appear in ``name`` in order (case-insensitively)."""
    rest = iter(name.lower())
    return all(letter in rest for letter in typed.lower())


class RoomFinder(ModalScreen[str | None]):
    """Dismissed with the room to show (joined or to join), or None on Escape."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_none", "close")]
    AUTO_FOCUS = "#typed"  # the app's own (its composer) is not on this screen
    DEFAULT_CSS = """
    RoomFinder { align: center middle; }
    RoomFinder > Vertical { width: 40; height: auto; max-height: 16; border: round gray; }
    RoomFinder OptionList { height: auto; max-height: 10; }
    """

    def __init__(self, rooms: list[str]) -> None:
        super().__init__()
        self.rooms = rooms

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(placeholder="room (Enter: go, or join)", id="typed")
            yield OptionList(*self.rooms, id="matches")

    def on_input_changed(self, changed: Input.Changed) -> None:
        matches = self.query_one(OptionList)
        matches.clear_options()
        matches.add_options([r for r in self.rooms if fuzzy(changed.value, r)])
        matches.highlighted = 0 if matches.option_count else None

    def on_input_submitted(self, submitted: Input.Submitted) -> None:
        matches = self.query_one(OptionList)
        if matches.highlighted is not None:
            self.dismiss(str(matches.get_option_at_index(matches.highlighted).prompt))
        else:
            self.dismiss(submitted.value.strip() or None)

    def on_option_list_option_selected(self, selected: OptionList.OptionSelected) -> None:
        self.dismiss(str(selected.option.prompt))

    def key_down(self) -> None:
        """Down in the typed name: the next match."""
        self.query_one(OptionList).action_cursor_down()

    def key_up(self) -> None:
        """Up in the typed name: the previous match."""
        self.query_one(OptionList).action_cursor_up()

    def action_dismiss_none(self) -> None:
        """Escape: nowhere."""
        self.dismiss(None)
