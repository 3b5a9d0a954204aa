"""The notification loop against a tiny in-test queue (the stores' queues have their own contract
suite, and the integration tests run the loop on the real ones): delivery, read in time,
retries with backoff and the same key, giving up after a day, and a loop no failure stops."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Mapping
from typing import cast

import pytest

from roomcast.chat import notifier as notifier_module
from roomcast.chat.notifications import MENTION, notification_for, signature, webhook_body
from roomcast.chat.notifier import (
    RETRY_WINDOW_MS,
    Notifier,
    next_attempt_ms,
    retry_delay_ms,
)
from roomcast.ops.config import Settings
from roomcast.ops.metrics import Metrics
from roomcast.store import Store
from roomcast.store.people import DELIVERED, FAILED, PENDING, READ_IN_TIME, Notification
from roomcast.wire.encode import ChatMessage

from .conftest import FakeClock

SECRET = "webhook-secret-0123456789"
URL = "https://hooks.example/notify/t0ken?key=k3y"


class FakeQueue:
    """The four queue methods and read markers, as the stores' contract has them."""

    def __init__(self) -> None:
        self.rows: dict[str, Notification] = {}
        self.retry_at: dict[str, int] = {}
        self.leased_until: dict[str, int] = {}
        self.markers: dict[tuple[str, str], int] = {}
        self.finished: list[tuple[str, str, int, int]] = []
        self.claims_fail = 0

    async def enqueue_notification(self, notification: Notification) -> None:
        self.rows[notification.id] = notification

    async def claim_notifications(
        self, now_ms: int, owner: str, lease_ms: int, limit: int
    ) -> list[Notification]:
        if self.claims_fail:
            self.claims_fail -= 1
            raise ConnectionError("store down")
        due = [
            n
            for n in self.rows.values()
            if n.state == PENDING
            and n.due_ms <= now_ms
            and self.retry_at.get(n.id, 0) <= now_ms
            and self.leased_until.get(n.id, 0) <= now_ms
        ][:limit]
        for n in due:
            self.leased_until[n.id] = now_ms + lease_ms
        return due

    async def finish_notification(
        self, notification_id: str, state: str, attempts: int, next_ms: int
    ) -> None:
        self.finished.append((notification_id, state, attempts, next_ms))
        row = self.rows[notification_id]
        self.rows[notification_id] = dataclasses.replace(row, state=state, attempts=attempts)
        self.retry_at[notification_id] = next_ms
        self.leased_until.pop(notification_id, None)

    async def notification_counts(self) -> dict[str, int]:
        counts = dict.fromkeys((PENDING, DELIVERED, FAILED, READ_IN_TIME), 0)
        for n in self.rows.values():
            counts[n.state] += 1
        return counts

    async def read_marker(self, person: str, room: str) -> int:
        return self.markers.get((person, room), 0)


class FakeWebhook:
    """Answers each POST with the next of ``statuses`` (an exception is raised instead)."""

    def __init__(self, *statuses: int | Exception) -> None:
        self.statuses = list(statuses)
        self.posts: list[tuple[str, bytes, dict[str, str]]] = []
        self.closed = False

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        self.posts.append((url, body, dict(headers)))
        answer = self.statuses.pop(0) if self.statuses else 200
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def close(self) -> None:
        self.closed = True


def make(
    clock: FakeClock, webhook: FakeWebhook, queue: FakeQueue | None = None
) -> tuple[Notifier, FakeQueue, Metrics]:
    queue = queue or FakeQueue()
    metrics = Metrics()
    settings = Settings(notify_webhook_url=URL, notify_webhook_secret=SECRET)
    notifier = Notifier(
        settings, cast(Store, queue), webhook, metrics, clock, owner="node-a", rand=lambda: 0.0
    )
    return notifier, queue, metrics


def mention(clock: FakeClock, message_id: int = 7, delay_ms: int = 60_000) -> Notification:
    line = ChatMessage("lobby", message_id, "bob", "hi @alice", "w", clock.ms)
    return notification_for("id-alice", "alice", line, MENTION, delay_ms, clock.ms)


def test_the_backoff_doubles_from_5_s_to_an_hour_less_its_jitter() -> None:
    delays = [retry_delay_ms(n, 0.0) for n in range(1, 12)]
    assert delays[:5] == [5_000, 10_000, 20_000, 40_000, 80_000]
    assert delays[-1] == 3_600_000
    assert retry_delay_ms(10_000, 0.0) == 3_600_000
    assert retry_delay_ms(1, 0.5) == 4_500
    assert 4_000 <= retry_delay_ms(1, 0.999999) < 4_001


def test_retries_stop_a_day_after_it_fell_due() -> None:
    due = 1_000_000
    assert next_attempt_ms(due, 1, due + 10, 0.0) == due + 10 + 5_000
    near_end = due + RETRY_WINDOW_MS - 60_000
    assert next_attempt_ms(due, 30, near_end, 0.0) == due + RETRY_WINDOW_MS  # the last, at the end
    assert next_attempt_ms(due, 31, due + RETRY_WINDOW_MS, 0.0) is None


async def test_a_due_notification_is_posted_signed_and_delivered(clock: FakeClock) -> None:
    webhook = FakeWebhook(204)
    notifier, queue, metrics = make(clock, webhook)
    made = mention(clock)
    await queue.enqueue_notification(made)
    assert await notifier.round() == 0  # not yet due
    assert webhook.posts == []
    assert metrics.notifications_pending == 1
    clock.advance(60)
    assert await notifier.round() == 1
    [(url, body, headers)] = webhook.posts
    assert url == URL
    assert body == webhook_body(made)
    assert json.loads(body)["excerpt"] == "hi @alice"
    assert headers["X-Roomcast-Signature"] == signature(SECRET, body)
    assert headers["Idempotency-Key"] == made.id
    assert queue.finished == [(made.id, DELIVERED, 1, 0)]
    assert (metrics.notifications_delivered, metrics.notifications_pending) == (1, 0)
    assert await notifier.round() == 0  # delivered once


async def test_a_line_read_in_time_is_not_posted(clock: FakeClock) -> None:
    webhook = FakeWebhook()
    notifier, queue, metrics = make(clock, webhook)
    read, unread = mention(clock, 7), mention(clock, 8)
    for made in (read, unread):
        await queue.enqueue_notification(made)
    queue.markers[("a:id-alice", "lobby")] = 7
    clock.advance(60)
    await notifier.round()
    assert [json.loads(body)["id"] for _, body, _ in webhook.posts] == [8]
    assert (read.id, READ_IN_TIME, 0, 0) in queue.finished
    assert metrics.notifications_delivered == 1


@pytest.mark.parametrize(
    "answer", [500, 302, 404, ConnectionRefusedError("refused"), TimeoutError()]
)
async def test_a_failed_post_is_retried_with_the_same_key_and_body(
    clock: FakeClock, answer: int | Exception
) -> None:
    webhook = FakeWebhook(answer, 200)
    notifier, queue, metrics = make(clock, webhook)
    made = mention(clock, delay_ms=0)
    await queue.enqueue_notification(made)
    await notifier.round()
    assert queue.finished == [(made.id, PENDING, 1, clock.ms + 5_000)]
    clock.advance(4.999)
    assert await notifier.round() == 0  # backing off
    clock.advance(0.001)
    assert await notifier.round() == 1
    first, second = webhook.posts
    assert first == second  # the same body, signature and Idempotency-Key
    assert queue.finished[-1] == (made.id, DELIVERED, 2, 0)
    assert (metrics.notifications_delivered, metrics.notifications_failed) == (1, 0)


async def test_a_post_that_hangs_is_given_up(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Hanging(FakeWebhook):
        async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
            await asyncio.sleep(3600)
            return 200

    monkeypatch.setattr(notifier_module, "POST_TIMEOUT", 0.05)
    notifier, queue, _ = make(clock, Hanging())
    made = mention(clock, delay_ms=0)
    await queue.enqueue_notification(made)
    await notifier.round()
    assert queue.finished == [(made.id, PENDING, 1, clock.ms + 5_000)]


async def test_after_a_day_of_failures_it_has_failed(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    webhook = FakeWebhook(*[503] * 100)
    notifier, queue, metrics = make(clock, webhook)
    made = mention(clock, delay_ms=0)
    await queue.enqueue_notification(made)
    with caplog.at_level(logging.WARNING):
        while queue.rows[made.id].state == PENDING:
            await notifier.round()
            clock.ms = max(clock.ms, queue.retry_at[made.id])
    assert queue.rows[made.id].state == FAILED
    assert clock.ms == made.due_ms + RETRY_WINDOW_MS  # the last attempt, at the window's end
    assert 30 <= len(webhook.posts) <= 40  # 5 s doubling to an hour, over a day
    assert metrics.notifications_failed == 1
    assert metrics.notifications_delivered == 0
    assert "answered 503" in caplog.text
    assert SECRET not in caplog.text


async def test_logs_name_the_webhook_host_never_its_path_or_the_secret(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    webhook = FakeWebhook(OSError(f"cannot reach {URL}"))
    notifier, queue, _ = make(clock, webhook)
    await queue.enqueue_notification(mention(clock, delay_ms=0))
    with caplog.at_level(logging.INFO):
        notifier.start()
        await asyncio.sleep(0.05)
        await notifier.stop(1.0)
    assert "https://hooks.example" in caplog.text
    assert "t0ken" not in caplog.text
    assert "k3y" not in caplog.text
    assert SECRET not in caplog.text
    assert webhook.closed


async def test_the_loop_outlives_a_store_outage(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notifier_module, "INTERVAL", 0.01)
    webhook = FakeWebhook()
    queue = FakeQueue()
    queue.claims_fail = 3
    notifier, _, metrics = make(clock, webhook, queue)
    await queue.enqueue_notification(mention(clock, delay_ms=0))
    notifier.start()
    for _ in range(200):
        if metrics.notifications_delivered:
            break
        await asyncio.sleep(0.01)
    await notifier.stop(1.0)
    assert queue.claims_fail == 0
    assert len(webhook.posts) == 1
    assert metrics.notifications_delivered == 1
