"""PostgreSQL search (``SearchStore``): full-text search over the ``words`` of each live line.

``words`` is the ``tsvector`` (``simple`` configuration) of the line's folded text, under a GIN
index, kept in step by the writer in the statement that stores the line and by every edit and
deletion (migration 0006), so an acknowledged line is found at once, on every node. The query is
a ``tsquery`` built from the parsed query (``to_tsquery``: words quoted, phrases with ``<->``,
prefixes with ``:*``, exclusions with ``!``), so nothing of the client's text reaches the
``tsquery`` parser unquoted.

With a room, its newest matches below ``before`` are read by ID; across rooms, those among the
newest rows (``seq > X``: PostgreSQL ANDs the GIN and the btree bitmaps) are ranked by
``ts_rank``: the matches of the newest ``WINDOW`` rows are counted, the first window ranked is
the one expected to hold about ``RANKED`` (``search.narrowed``), and it is widened ``WIDEN``
times until more than ``limit`` are found. The readable rooms are a subquery of ``rooms`` and
``room_roles``.
"""

from __future__ import annotations

from typing import Final

from roomcast.store.postgres.events import LINE, LIVE
from roomcast.store.postgres.pool import Pool
from roomcast.store.postgres.reads import WITH_STATE, with_state
from roomcast.store.search import (
    DEFAULT_SEARCH_LIMIT,
    WIDEN,
    WINDOW,
    Query,
    Reader,
    SearchPage,
    Term,
    narrowed,
    page_of,
)

# $1 admin, $2 account: the rooms the reader may read.
_READABLE: Final = (
    "SELECT name FROM rooms WHERE NOT deleted AND ($1 OR NOT private OR owner_id = $2"
    " OR name IN (SELECT room FROM room_roles WHERE account_id = $2))"
)
# $3 the tsquery, $4 how many; then the filters' values.
_IN_ROOM: Final = (
    "SELECT room, id FROM messages WHERE words @@ to_tsquery('simple', $3) AND room = $5"
    f" AND room IN ({_READABLE}) AND {LIVE}{{}} ORDER BY id DESC LIMIT $4"
)
_ACROSS: Final = (
    "SELECT room, id FROM messages WHERE words @@ to_tsquery('simple', $3) AND seq > $5"
    f" AND room IN ({_READABLE}) AND {LIVE}{{}}"
    " ORDER BY ts_rank(words, to_tsquery('simple', $3)) DESC, seq DESC LIMIT $4"
)
# $1 the tsquery, $2 the window's size: the newest row's seq, and how many rows match among
# the newest $2.
_COUNT: Final = """
WITH top AS (SELECT coalesce(max(seq), 0) AS seq FROM messages)
SELECT top.seq, (SELECT count(*) FROM messages
                 WHERE words @@ to_tsquery('simple', $1) AND seq > top.seq - $2) FROM top
"""
# The lines a query of keys finds, live now, in their current state: one round trip.
_CURRENT: Final = f"""WITH found AS ({{}})
{WITH_STATE}
FROM (SELECT {", ".join("m." + c for c in LINE.split(", "))} FROM messages m
      JOIN found f ON f.room = m.room AND f.id = m.id WHERE m.kind IS NULL AND NOT m.deleted) p
"""


def tsquery(query: Query) -> str:
    """The ``to_tsquery`` text of ``query``: each word single-quoted (a word is letters and
    digits only, never a quote)."""

    def phrase(term: Term) -> str:
        quoted = [f"'{word}'" for word in term.words]
        if term.prefix:
            quoted[-1] += ":*"
        joined = " <-> ".join(quoted)
        return f"({joined})" if len(quoted) > 1 else joined

    required = " & ".join(phrase(term) for term in query.required)
    excluded = "".join(f" & !{phrase(term)}" for term in query.excluded)
    return required + excluded


class Search:
    """The ``SearchStore`` part of the PostgreSQL store."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def search(
        self,
        query: Query,
        reader: Reader,
        *,
        room: str | None = None,
        author: str | None = None,
        before: int | None = None,
        limit: int = DEFAULT_SEARCH_LIMIT,
    ) -> SearchPage:
        extra = ""
        values: list[object] = []
        if before is not None:
            values.append(before)
            extra += f" AND id < ${len(values) + 5}"
        if author is not None:
            values.append(author)
            extra += f" AND author = ${len(values) + 5}"
        common = (reader.admin, reader.account_id, tsquery(query), limit + 1)
        if room is not None:
            sql = _CURRENT.format(_IN_ROOM.format(extra))
            current = await self._pool.fetch(sql, *common, room, *values)
        else:
            (top, counted), *_ = await self._pool.fetch(_COUNT, common[2], WINDOW)
            size = narrowed(WINDOW, int(counted))
            sql = _CURRENT.format(_ACROSS.format(extra))
            while True:
                low = max(int(top) - size, 0)
                current = await self._pool.fetch(sql, *common, low, *values)
                if len(current) > limit or low == 0:
                    break
                size *= WIDEN
        return page_of(
            query,
            [with_state(row) for row in current],
            room=room,
            author=author,
            before=before,
            limit=limit,
        )
