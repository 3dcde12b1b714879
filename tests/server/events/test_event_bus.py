"""The live bus: each subscriber gets each event once, filtered; a subscriber that falls too far
behind is told to reconnect; with Redis an event reaches every process's subscribers, and while
Redis is away (a real connection cut, through a TCP relay) the bus keeps serving its own pages,
says so, and picks Redis up again when it is back."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import datetime, timezone

import pytest

from server.events.bus import SUBSCRIBER_QUEUE, EventBus, SubscriberTooSlow
from server.events.envelope import Event

pytestmark = pytest.mark.timeout(60)
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)


def stock_event(event_id: int, store_id: int = 1) -> Event:
    return Event(event_id, "stock.changed", NOW, {"store_id": store_id, "sku": "round-classic-black", "on_hand": 1})


async def drain(subscription, timeout_s: float = 0.05) -> list[int]:
    ids = []
    while True:
        try:
            ids.append((await asyncio.wait_for(subscription.get(), timeout_s)).id)
        except TimeoutError:
            return ids


async def until(check, timeout_s: float = 10.0, what: str = "it") -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout_s} s")
        await asyncio.sleep(0.02)


class RedisRelay:
    """A TCP relay in front of the real Redis that the test can cut and restore, as a network
    failure or a Redis restart would."""

    def __init__(self, target_port: int = 6379) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        self._writers.clear()
        await self._server.wait_closed()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        redis_reader, redis_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers += [client_writer, redis_writer]

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        await asyncio.gather(pipe(client_reader, redis_writer), pipe(redis_reader, client_writer))


def test_each_subscriber_gets_each_event_once_filtered_to_what_it_asked_for():
    async def go():
        bus = EventBus()
        everything = bus.subscribe()
        store_two = bus.subscribe(lambda e: e.store_id == 2)
        await bus.publish([stock_event(1, 1), stock_event(2, 2), stock_event(1, 1)])  # 1 twice: given once
        bus.deliver_here(stock_event(3, 2))
        got = await drain(everything), await drain(store_two)
        store_two.close()
        await bus.publish([stock_event(4, 2)])
        return got, bus.subscribers

    (everything, store_two), subscribers = asyncio.run(go())
    assert everything == [1, 2, 3] and store_two == [2, 3] and subscribers == 1


def test_a_subscriber_that_falls_too_far_behind_is_told_to_reconnect():
    async def go():
        bus = EventBus()
        slow = bus.subscribe()
        await bus.publish([stock_event(i) for i in range(1, SUBSCRIBER_QUEUE + 5)])
        received = 0
        with pytest.raises(SubscriberTooSlow):
            while True:
                await slow.get()
                received += 1
        return received, bus.dropped_subscribers

    received, dropped = asyncio.run(go())
    assert received == SUBSCRIBER_QUEUE and dropped == 1


def test_with_redis_an_event_published_in_one_process_reaches_every_process_once(redis_url):
    channel = f"tryon:test:{uuid.uuid4().hex[:8]}"

    async def go():
        here, there = EventBus(redis_url, channel), EventBus(redis_url, channel)
        await here.start()
        await there.start()
        try:
            on_here, on_there = here.subscribe(), there.subscribe()
            await here.publish([stock_event(1), stock_event(2)])
            await there.publish([stock_event(3)])
            await until(lambda: on_here.waiting == 3 and on_there.waiting == 3, what="3 events each")
            return await drain(on_here), await drain(on_there)
        finally:
            await here.stop()
            await there.stop()

    on_here, on_there = asyncio.run(go())
    assert sorted(on_here) == sorted(on_there) == [1, 2, 3]


def test_while_redis_is_away_the_bus_serves_its_own_pages_warns_and_reconnects(redis_url, caplog):
    channel = f"tryon:test:{uuid.uuid4().hex[:8]}"

    async def go():
        relay = RedisRelay()
        await relay.open()
        bus, other = EventBus(relay.url, channel), EventBus(redis_url, channel)
        await bus.start()
        await other.start()
        try:
            page = bus.subscribe()
            assert bus.redis_connected
            await relay.cut()
            await until(lambda: not bus.redis_connected, what="noticing the cut")
            await bus.publish([stock_event(1)])  # Redis is away: this process's pages still get it
            during = await drain(page)
            await relay.open()  # Redis is back, on the same address
            await until(lambda: bus.redis_connected, what="subscribing again")
            await other.publish([stock_event(2)])  # from another process, through Redis
            await until(lambda: page.waiting == 1, what="the other process's event")
            return during, await drain(page)
        finally:
            await bus.stop()
            await other.stop()

    with caplog.at_level(logging.WARNING, logger="tryon.events"):
        during, after = asyncio.run(go())
    assert during == [1] and after == [2]
    messages = [r.getMessage() for r in caplog.records]
    assert any("is not answering" in m or "subscription ended" in m for m in messages), messages
    assert any("subscribed to Redis again" in m for m in messages), messages
