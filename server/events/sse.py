"""Server-Sent Events: the text/event-stream framing and the stream a live page reads.

Each event is `event: <topic>`, `id: <outbox id>`, `data: <the event's JSON>`; a comment line
every HEARTBEAT_S keeps proxies from closing an idle stream and lets the server notice a client
that went away. A browser's EventSource reconnects by itself and sends the last id it saw
(Last-Event-ID), which the caller turns into a replay of what it missed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from server.events.bus import EventBus, SubscriberTooSlow
from server.events.envelope import Event
from server.events.live_scope import LiveScope

HEARTBEAT_S = 15.0
RECONNECT_MS = 3000  # tells EventSource how soon to reconnect after the stream ends
CONNECTED = f"retry: {RECONNECT_MS}\n: connected\n\n".encode()
HEARTBEAT = b": heartbeat\n\n"


def sse_frame(event: Event) -> bytes:
    return f"event: {event.topic}\nid: {event.id}\ndata: {event.to_json()}\n\n".encode()


async def event_stream(bus: EventBus, scope: LiveScope, missed: Callable[[], Awaitable[list[Event]]] | None = None,
                       heartbeat_s: float = HEARTBEAT_S) -> AsyncIterator[bytes]:
    """Frames for one subscriber until it goes away (the server cancels the generator) or falls
    too far behind (the stream ends and EventSource reconnects). It subscribes before it says
    `: connected`, so an event committed after that line is never missed."""
    with bus.subscribe(scope.admits) as subscription:
        yield CONNECTED
        replayed: set[int] = set()
        if missed is not None:
            for event in await missed():
                if scope.admits(event):
                    replayed.add(event.id)
                    yield sse_frame(event)
        while True:
            try:
                event = await asyncio.wait_for(subscription.get(), heartbeat_s)
            except TimeoutError:
                yield HEARTBEAT
                continue
            except SubscriberTooSlow:
                return
            if event.id not in replayed:
                yield sse_frame(event)
