"""One contract for every Broker: the memory and the Redis broker pass the same tests.

Tests about several nodes need a broker that spans processes (``multi_node``); the memory broker
is one node by design and skips them. Redis connections are cut with ``CLIENT KILL`` on the real
server, by the names the broker gives its connections, so no other client is touched.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
import redis.asyncio as aioredis

from roomcast.broker import Broker
from roomcast.broker.memory import MemoryBroker
from roomcast.broker.redis import RedisBroker

from .conftest import REDIS_URL


@dataclass
class Recorder:
    """A ``BrokerListener`` that remembers every call."""

    delivered: list[tuple[str, int, bytes]] = field(default_factory=list)
    controls: list[tuple[str, bytes]] = field(default_factory=list)
    # Messages ("m<id>") and control events ("c<payload>") in the order they arrived.
    arrivals: list[str] = field(default_factory=list)
    presence: list[str] = field(default_factory=list)
    resubscriptions: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def deliver(self, room: str, message_id: int, payload: bytes) -> None:
        self.delivered.append((room, message_id, payload))
        self.arrivals.append(f"m{message_id}")
        self.changed.set()

    def control(self, room: str, payload: bytes) -> None:
        self.controls.append((room, payload))
        self.arrivals.append(f"c{payload.decode()}")
        self.changed.set()

    def presence_changed(self, room: str) -> None:
        self.presence.append(room)
        self.changed.set()

    def resubscribed(self) -> None:
        self.resubscriptions += 1
        self.changed.set()

    async def until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


Node = tuple[Broker, Recorder]


@dataclass
class BrokerKind:
    name: str
    multi_node: bool


@pytest.fixture(params=["memory", "redis"])
def kind(request: pytest.FixtureRequest) -> BrokerKind:
    return BrokerKind(request.param, multi_node=request.param != "memory")


@pytest.fixture
def prefix(kind: BrokerKind, request: pytest.FixtureRequest) -> str:
    """The deployment's Redis prefix (none for the memory broker)."""
    return str(request.getfixturevalue("redis_prefix")) if kind.name == "redis" else ""


@pytest.fixture
async def make_node(kind: BrokerKind, prefix: str) -> AsyncIterator[Callable[[], Awaitable[Node]]]:
    """Start brokers of ``kind`` that form one deployment; all are stopped at the end."""
    started: list[Broker] = []

    async def start() -> Node:
        broker: Broker = (
            MemoryBroker() if kind.name == "memory" else RedisBroker(REDIS_URL, prefix=prefix)
        )
        recorder = Recorder()
        await broker.start(recorder)
        started.append(broker)
        return broker, recorder

    yield start
    for broker in started:
        await broker.stop()


def skip_single_node(kind: BrokerKind) -> None:
    if not kind.multi_node:
        pytest.skip(f"the {kind.name} broker is one node by design")


async def settle() -> None:
    """Give a broker time to pass a message through its server, for checks that nothing came."""
    await asyncio.sleep(0.2)


async def kill_connections(broker: Broker, role: str) -> None:
    """Cut the broker's Redis connection(s) of ``role`` ("sub" or "pub") from the server side."""
    assert isinstance(broker, RedisBroker)
    client = aioredis.Redis.from_url(REDIS_URL)
    killed = 0
    for entry in await client.client_list():
        if entry["name"] == f"roomcast-{broker.node.decode()}-{role}":
            await client.client_kill_filter(_id=entry["id"])
            killed += 1
    await client.aclose()
    assert killed == 1


async def test_publish_reaches_the_subscribed_publisher_in_order(
    make_node: Callable[[], Awaitable[Node]],
) -> None:
    broker, seen = await make_node()
    broker.subscribe("lobby")
    await settle()
    for message_id in range(1, 6):
        broker.publish("lobby", message_id, b"payload %d" % message_id)
    await seen.until(lambda: len(seen.delivered) == 5)
    assert seen.delivered == [("lobby", i, b"payload %d" % i) for i in range(1, 6)]
    assert broker.healthy


async def test_nothing_arrives_for_rooms_not_subscribed(
    make_node: Callable[[], Awaitable[Node]],
) -> None:
    broker, seen = await make_node()
    broker.subscribe("lobby")
    broker.publish("elsewhere", 1, b"x")
    broker.subscribe("gone")
    broker.unsubscribe("gone")
    broker.publish("gone", 1, b"y")
    await settle()
    assert seen.delivered == []


async def test_stopped_broker_is_not_healthy_and_calls_nothing(
    make_node: Callable[[], Awaitable[Node]],
) -> None:
    broker, seen = await make_node()
    broker.subscribe("lobby")
    assert broker.healthy
    await broker.stop()
    assert not broker.healthy
    broker.publish("lobby", 1, b"x")
    await settle()
    assert seen.delivered == []


async def test_every_subscribed_node_gets_each_message_once_in_order(
    kind: BrokerKind, make_node: Callable[[], Awaitable[Node]]
) -> None:
    skip_single_node(kind)
    (one, seen_one), (two, seen_two), (three, seen_three) = [await make_node() for _ in range(3)]
    one.subscribe("lobby")
    two.subscribe("lobby")
    three.subscribe("elsewhere")
    await settle()
    for message_id in range(1, 101):
        (one if message_id % 2 else two).publish("lobby", message_id, b"m%d" % message_id)
    expected = [("lobby", i, b"m%d" % i) for i in range(1, 101)]
    for seen in (seen_one, seen_two):
        await seen.until(lambda seen=seen: len(seen.delivered) >= 100)
    await settle()
    # Each node sees its own in order and the other's in order; together, each exactly once.
    for seen in (seen_one, seen_two):
        assert sorted(seen.delivered) == expected
        for parity in (0, 1):
            ids = [i for _, i, _ in seen.delivered if i % 2 == parity]
            assert ids == sorted(ids)
    assert seen_three.delivered == []


async def test_announce_tells_the_other_nodes(
    kind: BrokerKind, make_node: Callable[[], Awaitable[Node]]
) -> None:
    skip_single_node(kind)
    (one, seen_one), (two, seen_two), (three, seen_three) = [await make_node() for _ in range(3)]
    for broker in (one, two):
        broker.subscribe("lobby")
    three.subscribe("elsewhere")
    await settle()
    one.announce("lobby")
    await seen_two.until(lambda: seen_two.presence == ["lobby"])
    await settle()
    assert seen_one.presence == []  # the announcing node knows already
    assert seen_three.presence == []


async def test_lost_subscription_reports_unhealthy_then_resubscribes(
    kind: BrokerKind, make_node: Callable[[], Awaitable[Node]]
) -> None:
    skip_single_node(kind)
    (one, seen_one), (two, _) = [await make_node() for _ in range(2)]
    one.subscribe("lobby")
    await settle()
    health: list[bool] = []

    async def sample_health() -> None:
        # The reconnect takes about a millisecond: sample on every turn of the loop, since the
        # subscriber awaits the network at least twice (connect, then PING) while it is down.
        while True:
            health.append(one.healthy)
            await asyncio.sleep(0)

    sampler = asyncio.create_task(sample_health())
    await kill_connections(one, "sub")
    await seen_one.until(lambda: seen_one.resubscriptions == 1)
    sampler.cancel()
    assert health[0]
    assert False in health
    assert one.healthy
    two.publish("lobby", 1, b"after")
    await seen_one.until(lambda: seen_one.delivered == [("lobby", 1, b"after")])


async def test_publications_survive_a_lost_publishing_connection(
    kind: BrokerKind, make_node: Callable[[], Awaitable[Node]]
) -> None:
    skip_single_node(kind)
    (one, _), (two, seen_two) = [await make_node() for _ in range(2)]
    two.subscribe("lobby")
    await settle()
    await kill_connections(one, "pub")
    for message_id in range(1, 51):
        one.publish("lobby", message_id, b"m")
    await seen_two.until(lambda: len({i for _, i, _ in seen_two.delivered}) == 50)
    assert [i for _, i, _ in seen_two.delivered] == sorted(i for _, i, _ in seen_two.delivered)


async def test_control_events_reach_every_node_of_the_room_once_the_publisher_too(
    kind: BrokerKind, make_node: Callable[[], Awaitable[Node]]
) -> None:
    nodes = [await make_node() for _ in range(3 if kind.multi_node else 1)]
    for broker, _ in nodes[:2]:
        broker.subscribe("lobby")
    if kind.multi_node:
        nodes[2][0].subscribe("elsewhere")
    await settle()
    publisher = nodes[0][0]
    for n in range(1, 4):
        publisher.publish_control("lobby", b'{"op":"refresh","n":%d}' % n)
    publisher.publish_control("nobody-here", b'{"op":"reload"}')
    expected = [("lobby", b'{"op":"refresh","n":%d}' % n) for n in range(1, 4)]
    for _, seen in nodes[:2]:
        await seen.until(lambda seen=seen: len(seen.controls) >= 3)
    await settle()
    for _, seen in nodes[:2]:
        assert seen.controls == expected
        assert seen.delivered == []
    if kind.multi_node:
        assert nodes[2][1].controls == []


async def test_control_events_keep_their_place_among_the_messages(
    kind: BrokerKind, make_node: Callable[[], Awaitable[Node]]
) -> None:
    skip_single_node(kind)
    (one, _), (two, seen_two) = [await make_node() for _ in range(2)]
    one.subscribe("lobby")
    two.subscribe("lobby")
    await settle()
    one.publish("lobby", 1, b"first")
    one.publish_control("lobby", b"delete-1")
    one.publish("lobby", 2, b"second")
    await seen_two.until(lambda: len(seen_two.arrivals) == 3)
    assert seen_two.arrivals == ["m1", "cdelete-1", "m2"]
