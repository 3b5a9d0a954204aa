"""The requests waiting for their answer: each frame gets a ``Ref`` unique to this client, and
stays here (to be re-sent after a reconnect) until an answer with that ``Ref`` arrives.

Imports only ``roomcast.client.events`` (for ``ChatError``).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from dataclasses import dataclass
from typing import Any

from roomcast.client.events import ChatError


@dataclass(slots=True)
class _Request:
    """A frame waiting for its answer."""

    frame: dict[str, Any]
    future: asyncio.Future[Any]


class PendingRequests:
    """The unanswered requests by ``Ref``, in the order they were made."""

    def __init__(self) -> None:
        self._requests: dict[str, _Request] = {}
        self._ref_prefix = secrets.token_hex(4)
        self._counter = itertools.count(1)

    def add(self, frame: dict[str, Any]) -> asyncio.Future[Any]:
        """Give ``frame`` a fresh ``Ref`` (unless it has one: a line sent again keeps its own)
        and return the future its answer resolves."""
        ref = frame.setdefault("Ref", f"{self._ref_prefix}-{next(self._counter)}")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._requests[ref] = _Request(frame, future)
        return future

    def frames(self) -> list[dict[str, Any]]:
        """The frames still unanswered, oldest first (to write again on a new connection)."""
        return [request.frame for request in self._requests.values()]

    def answer(self, frame: dict[str, Any]) -> None:
        """Resolve the request ``frame`` answers (by its ``Ref``), if any."""
        ref = frame.get("Ref")
        request = self._requests.pop(ref, None) if isinstance(ref, str) else None
        if request is not None and not request.future.done():
            request.future.set_result(frame)

    def refuse(self, frame: dict[str, Any]) -> bool:
        """Fail the request an ``Error`` frame answers with ``ChatError``; False when the error
        answers no request of this client."""
        ref = frame.get("Ref")
        request = self._requests.pop(ref, None) if isinstance(ref, str) else None
        if request is None:
            return False
        if not request.future.done():
            wait = frame.get("RetryAfter")
            request.future.set_exception(
                ChatError(
                    frame.get("Code", "error"),
                    frame.get("Message", ""),
                    float(wait) if isinstance(wait, int | float) else None,
                )
            )
        return True

    def fail_all(self, error: Exception) -> None:
        """Fail every unanswered request with ``error`` (the client closed for good)."""
        requests, self._requests = self._requests, {}
        for request in requests.values():
            if not request.future.done():
                request.future.set_exception(error)
