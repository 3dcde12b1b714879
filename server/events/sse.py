"""Server-Sent Events: the text/event-stream framing and the stream a live page reads.

Each event is `event: <topic>`, `id: <outbox id>`, `data: <the event's JSON>`; a comment line
every HEARTBEAT_S keeps proxies from closing an idle stream and lets the server notice a client
that went away. A browser's EventSource reconnects by itself and sends the last id it saw
(Last-Event-ID), which the caller turns into a replay of what it missed. When that replay is
incomplete (events older than the retention, or too many), the stream says so instead with one
`event: replay.incomplete` (data: {"last_event_id", "latest_event_id", "detail"}, id: the newest
event's id): the page should reload its state, then follow the live events as before.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

from server.events.bus import EventBus, SubscriberTooSlow
from server.events.envelope import Event
from server.events.live_scope import LiveScope
from server.events.replay import Replay

HEARTBEAT_S = 15.0
RECONNECT_MS = 3000  # tells EventSource how soon to reconnect after the stream ends
CONNECTED = f"retry: {RECONNECT_MS}\n: connected\n\n".encode()
HEARTBEAT = b": heartbeat\n\n"
REPLAY_INCOMPLETE = "replay.incomplete"


def sse_frame(event: Event) -> bytes:
    return f"event: {event.topic}\nid: {event.id}\ndata: {event.to_json()}\n\n".encode()


def incomplete_frame(replay: Replay) -> bytes:
    data = json.dumps({"last_event_id": replay.last_id, "latest_event_id": replay.latest_id,
                       "detail": f"the events after {replay.last_id} can no longer all be replayed (older than "
                                 "the retention, or too many): reload the page's state"}, separators=(",", ":"))
    id_line = "" if replay.latest_id is None else f"id: {replay.latest_id}\n"
    return f"event: {REPLAY_INCOMPLETE}\n{id_line}data: {data}\n\n".encode()


async def event_stream(bus: EventBus, scope: LiveScope, missed: Callable[[], Awaitable[Replay]] | None = None,
                       heartbeat_s: float = HEARTBEAT_S) -> AsyncIterator[bytes]:
    """Frames for one subscriber until it goes away (the server cancels the generator) or falls
    too far behind (the stream ends and EventSource reconnects). It subscribes before it says
    `: connected`, so an event committed after that line is never missed."""
    with bus.subscribe(scope.admits) as subscription:
        yield CONNECTED
        replayed: set[int] = set()
        if missed is not None:
            replay = await missed()
            if not replay.complete:
                yield incomplete_frame(replay)
            for event in replay.events:
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
