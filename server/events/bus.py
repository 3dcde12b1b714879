"""The live bus: every dispatched event reaches the subscribers (SSE streams) of this process,
and with Redis those of every server process and machine sharing the channel.

With Redis, events go out through Redis only and come back to each process, this one included,
through its subscription, so a subscriber sees each event once whichever process dispatched it.
While Redis is down, events still reach this process's own subscribers; other processes' pages
miss them (live pages catch up through Last-Event-ID, see server/api/events.py) and the
subscription reconnects with a logged warning. Nothing here raises into the server.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from server.events.envelope import Event

log = logging.getLogger("tryon.events")
SUBSCRIBER_QUEUE = 1000  # events a slow subscriber may fall behind before it is dropped
RECENT_IDS = 4096  # event ids remembered so that no subscriber is given one twice
REDIS_TIMEOUT_S = 2.0
RECONNECT_MIN_S, RECONNECT_MAX_S = 0.5, 10.0
HEALTH_CHECK_S = 15  # pings an idle subscription, to notice a silently dead connection


class SubscriberTooSlow(Exception):
    """The subscriber's queue filled up; it has missed events and should reconnect."""


class Subscription:
    """One subscriber's events, filtered by `admits`, in the order this process received them."""

    def __init__(self, bus: EventBus, admits: Callable[[Event], bool]) -> None:
        self._bus = bus
        self.admits = admits
        self._queue: asyncio.Queue[Event] = asyncio.Queue(SUBSCRIBER_QUEUE)
        self.overflowed = False

    def offer(self, event: Event) -> None:
        if self.overflowed or not self.admits(event):
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True  # nothing more is queued; get() reports it after the backlog
            self._bus.dropped_subscribers += 1

    @property
    def waiting(self) -> int:
        """Events queued for this subscriber, not yet taken."""
        return self._queue.qsize()

    async def get(self) -> Event:
        """The next event; SubscriberTooSlow once events had to be dropped."""
        if self.overflowed and self._queue.empty():
            raise SubscriberTooSlow(f"more than {SUBSCRIBER_QUEUE} events waited for this subscriber")
        return await self._queue.get()

    def close(self) -> None:
        self._bus.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class EventBus:
    def __init__(self, redis_url: str | None = None, channel: str = "tryon:events") -> None:
        self.redis_url = redis_url
        self.channel = channel
        self.redis_connected = False
        self.dropped_subscribers = 0
        self._subscriptions: set[Subscription] = set()
        self._recent: OrderedDict[int, None] = OrderedDict()
        self._listener: asyncio.Task[None] | None = None
        self._publisher: aioredis.Redis | None = None
        self._first_try = asyncio.Event()  # the listener subscribed, or failed to, once

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    def subscribe(self, admits: Callable[[Event], bool] = lambda _: True) -> Subscription:
        subscription = Subscription(self, admits)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    async def start(self, wait_s: float = REDIS_TIMEOUT_S) -> None:
        """Start listening on Redis (if configured). Waits up to `wait_s` for the first try to
        subscribe, so events published right after start are not missed, but never fails for a
        Redis that is down: the listener keeps trying."""
        if self.redis_url is None:
            return
        self._publisher = aioredis.from_url(self.redis_url, socket_timeout=REDIS_TIMEOUT_S,
                                            socket_connect_timeout=REDIS_TIMEOUT_S)
        self._listener = asyncio.create_task(self._listen_forever(), name="events-redis-listener")
        try:
            await asyncio.wait_for(self._first_try.wait(), wait_s)
        except TimeoutError:
            pass

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None
        if self._publisher is not None:
            await self._publisher.aclose()
            self._publisher = None

    async def publish(self, events: list[Event]) -> None:
        """Send `events` to every subscriber, through Redis when it answers."""
        if not events:
            return
        if self._publisher is not None and self.redis_connected:
            try:
                async with self._publisher.pipeline(transaction=False) as pipe:
                    for event in events:
                        pipe.publish(self.channel, event.to_json())
                    await pipe.execute()
                return
            except (RedisError, OSError) as exc:
                log.warning("publishing %d live events to Redis failed (%s): only this process's pages get them",
                            len(events), exc)
        for event in events:
            self.deliver_here(event)

    def deliver_here(self, event: Event) -> None:
        """Hand `event` to this process's subscribers, unless they already had it."""
        if event.id in self._recent:
            return
        self._recent[event.id] = None
        if len(self._recent) > RECENT_IDS:
            self._recent.popitem(last=False)
        for subscription in list(self._subscriptions):
            subscription.offer(event)

    async def _listen_forever(self) -> None:
        assert self.redis_url is not None
        delay, lost = RECONNECT_MIN_S, False
        while True:
            client = aioredis.from_url(self.redis_url, socket_connect_timeout=REDIS_TIMEOUT_S,
                                       health_check_interval=HEALTH_CHECK_S, client_name="tryon-live-events")
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                if lost:
                    log.warning("live events: subscribed to Redis again (channel %s)", self.channel)
                self.redis_connected = True
                self._first_try.set()
                delay, lost = RECONNECT_MIN_S, False
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._receive(message["data"])
                lost = True
                log.warning("live events: the Redis subscription ended; subscribing again in %.1f s", delay)
            except (RedisError, OSError) as exc:
                lost = True
                log.warning("live events: Redis at %s is not answering (%s); this process's pages get only its "
                            "own events until it is back; retrying in %.1f s", _safe(self.redis_url), exc, delay)
            finally:
                self.redis_connected = False
                self._first_try.set()
                await _close_quietly(pubsub, client)
            await asyncio.sleep(delay)
            delay = min(RECONNECT_MAX_S, delay * 2)

    def _receive(self, data: bytes | str) -> None:
        try:
            event = Event.from_json(data)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("live events: ignored a message on %s that is not an event (%s)", self.channel, exc)
            return
        self.deliver_here(event)


def _safe(url: str) -> str:
    """The URL without its password, for logs."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1) if "://" in url else ("", url)
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"


async def _close_quietly(pubsub: aioredis.client.PubSub, client: aioredis.Redis) -> None:
    for closing in (pubsub.aclose, client.aclose):
        try:
            await closing()
        except (RedisError, OSError):
            pass
