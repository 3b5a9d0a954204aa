"""How a SQLite search shares out the lines it evaluates beyond the index."""

from __future__ import annotations

import pytest

from roomcast.store.sqlite.search import tail_shares


@pytest.mark.parametrize(
    ("behind", "budget", "shares"),
    [
        ([], 100, []),
        ([7000], 20_000, [7000]),  # one burst: all of it
        ([30_000], 20_000, [20_000]),  # the newest that fit
        ([5, 50_000, 10], 1000, [5, 985, 10]),  # what the small ones leave goes to the big one
        ([400, 400, 400], 900, [300, 300, 300]),  # an even share when none fits
        ([100, 700, 700], 900, [100, 400, 400]),
        ([0, 3], 10, [0, 3]),
    ],
)
def test_the_tail_takes_what_fits_and_shares_the_rest(
    behind: list[int], budget: int, shares: list[int]
) -> None:
    got = tail_shares(behind, budget)
    assert got == shares
    assert sum(got) <= budget
