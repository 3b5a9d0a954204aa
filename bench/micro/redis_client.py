"""Redis pub/sub client cost: redis-py (with hiredis) against RESP over an asyncio transport.

Receiving: 200,000 messages of 250 bytes published by a second process; the figure is the CPU
time of the receiving process per message. Publishing: pipelined PUBLISH in batches of 10 and 100,
CPU per message. The last row is roomcast's own ``RedisBroker`` through its public API, the whole
path of a chat message: receiving parses and hands each message to a listener, publishing formats,
queues and batches each one (one event-loop iteration per batch) until Redis has answered all.
Needs Redis on 127.0.0.1:6379 and the dev extras (redis-py).

Run: .venv/bin/python bench/micro/redis_client.py (``roomcast`` as argument: the last row only)
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import hiredis
import redis.asyncio as aioredis
import uvloop

from roomcast.broker.redis import RedisBroker

COUNT = 200_000
PREFIX = "roomcast-bench:"
ROOM = "lobby"
CHANNEL = f"{PREFIX}r:{ROOM}"  # the channel of RedisBroker's room ROOM
PAYLOAD = b"M" + b"a" * 12 + b"123456 " + b"x" * 230


async def publish_all() -> None:
    client = aioredis.Redis()
    for _ in range(COUNT // 500):
        pipe = client.pipeline(transaction=False)
        for _ in range(500):
            pipe.publish(CHANNEL, PAYLOAD)
        await pipe.execute()
    await client.aclose()


def start_publisher() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, __file__, "publish"])


async def cpu_until_received(done: asyncio.Future[None]) -> float:
    """Start the publishing process; the CPU this process spends until ``done``."""
    await asyncio.sleep(0.1)  # the subscription is confirmed by now
    publisher = start_publisher()
    cpu = time.process_time()
    await done
    used = time.process_time() - cpu
    publisher.wait()
    return used


async def receive_redis_py() -> float:
    client = aioredis.Redis()
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(CHANNEL)
    publisher = start_publisher()
    cpu = time.process_time()
    got = 0
    while got < COUNT:
        if await pubsub.get_message(ignore_subscribe_messages=True, timeout=5) is not None:
            got += 1
    used = time.process_time() - cpu
    publisher.wait()
    await client.aclose()
    return used


class Subscriber(asyncio.Protocol):
    def __init__(self, done: asyncio.Future[None]) -> None:
        self.reader = hiredis.Reader()
        self.got = 0
        self.done = done

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            if reply[0] == b"message":
                self.got += 1
                if self.got == COUNT:
                    self.done.set_result(None)


async def receive_raw() -> float:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    transport, _ = await loop.create_connection(lambda: Subscriber(done), "127.0.0.1", 6379)
    transport.write(b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(CHANNEL), CHANNEL.encode()))
    used = await cpu_until_received(done)
    transport.close()
    return used


async def publish_redis_py(batch: int) -> float:
    client = aioredis.Redis()
    cpu = time.process_time()
    for _ in range(COUNT // batch):
        pipe = client.pipeline(transaction=False)
        for _ in range(batch):
            pipe.publish(CHANNEL, PAYLOAD)
        await pipe.execute()
    used = time.process_time() - cpu
    await client.aclose()
    return used


class Publisher(asyncio.Protocol):
    def __init__(self) -> None:
        self.reader = hiredis.Reader()
        self.waiting = 0
        self.idle: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while self.reader.gets() is not False:
            self.waiting -= 1
        if self.waiting == 0 and self.idle is not None:
            self.idle.set_result(None)
            self.idle = None


async def publish_raw(batch: int) -> float:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(Publisher, "127.0.0.1", 6379)
    head = b"*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n" % (len(CHANNEL), CHANNEL.encode())
    cpu = time.process_time()
    for _ in range(COUNT // batch):
        command = head + b"$%d\r\n%s\r\n" % (len(PAYLOAD), PAYLOAD)
        transport.write(b"".join([command] * batch))
        protocol.waiting += batch
        protocol.idle = loop.create_future()
        await protocol.idle
    used = time.process_time() - cpu
    transport.close()
    return used


class Counter:
    """A ``BrokerListener`` that counts deliveries until ``COUNT`` have arrived."""

    def __init__(self, done: asyncio.Future[None]) -> None:
        self.got = 0
        self.done = done

    def deliver(self, room: str, message_id: int, payload: bytes) -> None:
        self.got += 1
        if self.got == COUNT:
            self.done.set_result(None)

    def presence_changed(self, room: str) -> None:
        pass

    def resubscribed(self) -> None:
        pass


async def receive_broker() -> float:
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    broker = RedisBroker("redis://127.0.0.1:6379", prefix=PREFIX)
    await broker.start(Counter(done))
    broker.subscribe(ROOM)
    used = await cpu_until_received(done)
    await broker.stop()
    return used


async def publish_broker(batch: int) -> float:
    broker = RedisBroker("redis://127.0.0.1:6379", prefix=PREFIX)
    await broker.start(Counter(asyncio.get_running_loop().create_future()))
    payload = PAYLOAD[PAYLOAD.index(b" ") + 1 :]
    cpu = time.process_time()
    for start in range(0, COUNT, batch):
        if start:
            await asyncio.sleep(0)  # the batch before goes out
        for message_id in range(start, start + batch):
            broker.publish(ROOM, message_id, payload)
    await broker.stop()  # sends the last batch and returns once Redis has answered every one
    used = time.process_time() - cpu
    return used


async def main_broker() -> None:
    def per_message(seconds: float) -> str:
        return f"{seconds / COUNT * 1e6:.2f} us"

    print(
        f"| roomcast RedisBroker | {per_message(await receive_broker())}"
        f" | {per_message(await publish_broker(10))} | {per_message(await publish_broker(100))} |"
    )


async def main() -> None:
    def per_message(seconds: float) -> str:
        return f"{seconds / COUNT * 1e6:.2f} us"

    print("| client | receive, CPU per message | publish x10 | publish x100 |")
    print("|---|---|---|---|")
    print(
        f"| redis-py + hiredis | {per_message(await receive_redis_py())}"
        f" | {per_message(await publish_redis_py(10))}"
        f" | {per_message(await publish_redis_py(100))} |"
    )
    print(
        f"| RESP on asyncio + hiredis.Reader | {per_message(await receive_raw())}"
        f" | {per_message(await publish_raw(10))} | {per_message(await publish_raw(100))} |"
    )
    await main_broker()


if __name__ == "__main__":
    uvloop.install()
    runs = {"publish": publish_all, "roomcast": main_broker}
    asyncio.run(runs.get(sys.argv[1] if sys.argv[1:] else "", main)())
