"""``@record``: value classes that compare and hash by their fields and take no new attributes."""

from __future__ import annotations

import dataclasses

import pytest

from roomcast.record import record


@record
class Point:
    x: int
    y: int = 0


def test_records_are_values() -> None:
    assert Point(1, 2) == Point(1, 2)
    assert Point(1) == Point(1, 0)
    assert Point(1, 2) != Point(2, 1)
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert len({Point(1, 2), Point(1, 2), Point(2, 1)}) == 2
    assert repr(Point(1, 2)) == "Point(x=1, y=2)"


def test_records_are_slotted() -> None:
    point = Point(1, 2)
    assert not hasattr(point, "__dict__")
    with pytest.raises(AttributeError):
        point.z = 3  # type: ignore[attr-defined]


def test_replace_makes_a_new_record() -> None:
    point = Point(1, 2)
    moved = dataclasses.replace(point, y=5)
    assert (point, moved) == (Point(1, 2), Point(1, 5))
