"""``@record``: the immutable value classes of the protocol and the stores.

To the type checker a record is a frozen dataclass: its fields cannot be assigned. At run time it
is a plain slotted dataclass with a field hash, because a frozen dataclass's ``__init__`` sets
each field through ``object.__setattr__``, which makes it four times slower to build (705 against
168 ns for six fields), and a chat line builds several records on its way through the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, dataclass_transform

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True)
def record(cls: type[_T]) -> type[_T]:
    return dataclass(slots=True, unsafe_hash=True)(cls)
