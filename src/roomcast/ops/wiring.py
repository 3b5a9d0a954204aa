"""The wiring of a node's chat domain: the one place that builds the hub and its collaborators.

The server, the micro benchmarks and the tests that want a whole node call ``build_hub``; it
gives the hub, the authenticator and moderation one clock, and moderation the registry as its
view of the local rooms.
"""

from __future__ import annotations

from collections.abc import Callable

from roomcast.auth import Authenticator
from roomcast.broker import Broker
from roomcast.chat.hub import Hub
from roomcast.chat.registry import Registry
from roomcast.chat.state import Fanout
from roomcast.clock import Clock
from roomcast.moderation.service import Moderation
from roomcast.ops.config import Settings
from roomcast.ops.metrics import Metrics
from roomcast.presence import Presence
from roomcast.store import Store


def build_hub(
    settings: Settings,
    store: Store,
    broker: Broker,
    presence: Presence,
    *,
    fanout: Callable[[], Fanout],
    metrics: Metrics,
    clock: Clock,
) -> Hub:
    """Wire a node's chat domain: one clock for the hub, the authenticator and moderation."""
    auth = Authenticator(settings, store, clock=clock)
    registry = Registry(
        broker,
        presence,
        fanout=fanout,
        userlist_interval=settings.userlist_interval,
        userlist_max=settings.userlist_max,
    )
    moderation = Moderation(
        store,
        presence,
        broker,
        registry,
        clock=clock,
        is_admin=auth.is_admin,
        kick_seconds=settings.kick_seconds,
    )
    return Hub(
        settings,
        store,
        broker,
        presence,
        registry=registry,
        auth=auth,
        moderation=moderation,
        clock=clock,
        metrics=metrics,
    )
