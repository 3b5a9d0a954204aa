"""The node's notification loop: queued notifications that fell due are POSTed to the webhook,
at least once, unless their line was read in time.

Every ``INTERVAL`` seconds the loop claims the due notifications under this node's lease (the
store gives each to one claim at a time across nodes), and for each: finishes it as read in
time when the account's read marker passed its line; else POSTs it, signed, with its ID as the
``Idempotency-Key``. A 2xx answer delivers it; anything else (another status, a timeout, a
network error) schedules a retry with exponential backoff and jitter, until ``RETRY_WINDOW_MS``
after it first fell due, when it has failed. A lease that ends before the outcome is recorded
(a node that died mid-POST) lets another claim send it again, with the same key: the receiver
deduplicates on it.

The HTTP client is given (a ``Webhook``), so this layer knows no HTTP library.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Final, Protocol

from roomcast.chat.notifications import webhook_body, webhook_headers
from roomcast.clock import Clock
from roomcast.ops.config import Settings
from roomcast.ops.metrics import Metrics
from roomcast.store import Store, owner_key
from roomcast.store.people import DELIVERED, FAILED, PENDING, READ_IN_TIME, Notification

log = logging.getLogger(__name__)

INTERVAL: Final = 1.0
LEASE_MS: Final = 30_000
BATCH: Final = 16
# A POST is given up after this long: all of a batch's run side by side, well within the lease.
POST_TIMEOUT: Final = 10.0
FIRST_RETRY_MS: Final = 5_000
MAX_RETRY_MS: Final = 3_600_000
# A retry comes up to this share of its delay early, so failures do not retry in lockstep.
JITTER: Final = 0.2
RETRY_WINDOW_MS: Final = 24 * 3_600_000
# The pending gauge is read from the store this often (seconds), not on every round.
COUNTS_INTERVAL: Final = 5.0


class Webhook(Protocol):
    """The HTTP client the loop POSTs with."""

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """POST ``body`` to ``url``; the answer's status (a network error raises)."""

    async def close(self) -> None:
        """Release the client's connections."""


def retry_delay_ms(attempts: int, rand: float) -> int:
    """The wait before the retry after ``attempts`` failed attempts: 5 s, 10 s, 20 s ... at most
    an hour, less up to ``JITTER`` of it by ``rand`` (0 <= rand < 1)."""
    nominal = min(MAX_RETRY_MS, FIRST_RETRY_MS << min(attempts - 1, 20))
    return int(nominal * (1 - JITTER * rand))


def next_attempt_ms(due_ms: int, attempts: int, now_ms: int, rand: float) -> int | None:
    """When to try again after ``attempts`` failed at ``now_ms``; None once the retry window
    (counted from ``due_ms``) has passed. The last retry falls at the window's end."""
    deadline = due_ms + RETRY_WINDOW_MS
    if now_ms >= deadline:
        return None
    return min(now_ms + retry_delay_ms(attempts, rand), deadline)


def _where(url: str) -> str:
    """The URL's scheme and host, for logs: its path or query may hold a token."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


class Notifier:
    """Delivers this node's share of the notification queue until stopped."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        webhook: Webhook,
        metrics: Metrics,
        clock: Clock,
        *,
        owner: str | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._url = settings.notify_webhook_url
        self._secret = settings.notify_webhook_secret
        self._store = store
        self._webhook = webhook
        self._metrics = metrics
        self._clock = clock
        self._rand = rand
        self.owner = owner or secrets.token_hex(6)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._counted_at = float("-inf")

    def start(self) -> None:
        """Run the loop in the background."""
        log.info("notifications go to %s (node %s)", _where(self._url), self.owner)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self, timeout: float) -> None:
        """Let the round under way finish (at most ``timeout`` seconds), then end the loop."""
        self._stopping.set()
        if self._task is not None:
            done, _ = await asyncio.wait({self._task}, timeout=timeout)
            if not done:  # its leases end and another round sends them again
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
        await self._webhook.close()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.round()
            except Exception:
                log.exception("notification round failed; trying again in %s s", INTERVAL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), INTERVAL)

    async def round(self) -> int:
        """Claim the due notifications and attempt each; how many were claimed."""
        claimed = await self._store.claim_notifications(
            self._clock.now_ms(), self.owner, LEASE_MS, BATCH
        )
        if claimed:
            await asyncio.gather(*(self._attempt(n) for n in claimed))
        if claimed or self._clock.monotonic() - self._counted_at >= COUNTS_INTERVAL:
            counts = await self._store.notification_counts()
            self._metrics.notifications_pending = counts.get(PENDING, 0)
            self._counted_at = self._clock.monotonic()
        return len(claimed)

    async def _attempt(self, notification: Notification) -> None:
        try:
            read = await self._store.read_marker(
                owner_key(notification.account_id, ""), notification.room
            )
            if read >= notification.message_id:
                await self._store.finish_notification(
                    notification.id, READ_IN_TIME, notification.attempts, 0
                )
                return
            attempts = notification.attempts + 1
            if await self._post(notification, attempts):
                await self._store.finish_notification(notification.id, DELIVERED, attempts, 0)
                self._metrics.notifications_delivered += 1
                return
            now_ms = self._clock.now_ms()
            retry_ms = next_attempt_ms(notification.due_ms, attempts, now_ms, self._rand())
            if retry_ms is None:
                log.warning("notification %s failed after %d attempts", notification.id, attempts)
                await self._store.finish_notification(notification.id, FAILED, attempts, 0)
                self._metrics.notifications_failed += 1
            else:
                await self._store.finish_notification(notification.id, PENDING, attempts, retry_ms)
        except Exception:
            # The store did not answer: the lease ends and a later round tries again.
            log.exception("notification %s: could not record its outcome", notification.id)

    def _reason(self, exc: Exception) -> str:
        """What went wrong, for the log: never the URL's path or query, never the secret."""
        text = str(exc).replace(self._url, _where(self._url))
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

    async def _post(self, notification: Notification, attempts: int) -> bool:
        """POST the notification once; whether the webhook took it (a 2xx answer)."""
        body = webhook_body(notification)
        headers = webhook_headers(notification.id, body, self._secret)
        try:
            async with asyncio.timeout(POST_TIMEOUT):
                status = await self._webhook.post(self._url, body, headers)
        except Exception as exc:
            log.warning(
                "notification %s, attempt %d: the webhook is unreachable: %s",
                notification.id,
                attempts,
                self._reason(exc),
            )
            return False
        if 200 <= status < 300:
            return True
        log.warning(
            "notification %s, attempt %d: the webhook answered %d",
            notification.id,
            attempts,
            status,
        )
        return False
