"""One process's event machinery: the dispatcher loop (outbox -> webhook deliveries + live bus),
the delivery loop (webhook requests) and the live bus (with its Redis subscription).

Every server process runs all three; they are safe side by side (see dispatcher.py, delivery.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from server.commerce.clock import utc_now
from server.db.database import Database
from server.events.bus import EventBus
from server.events.delivery_worker import DeliveryWorker
from server.events.dispatcher import Dispatched, dispatch_batch
from server.events.wakeup import wake_on_outbox_commit
from server.settings import Settings

log = logging.getLogger("tryon.events")
POLL_S = 0.5  # how soon events committed by other processes (or missed wake-ups) are dispatched
# After a pass that found events, the next waits this long: under load a pass per commit (each a
# read and a write transaction) cost ~0.5 ms of server CPU per reservation; batched, a few us.
COALESCE_S = 0.05
ERROR_PAUSES_S = (0.5, 1.0, 2.0, 5.0)  # after consecutive dispatcher errors, e.g. the database is down
STOP_WAIT_S = 10.0  # for the loops to finish their transaction before they are cancelled outright


class EventRuntime:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.bus = EventBus(settings.redis_url, settings.redis_channel)
        self.deliveries = DeliveryWorker(settings, db)
        self.events_dispatched = 0  # by this process: across processes each event is counted once
        self.dispatch_failures = 0
        self._dispatch_wake = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unhook: Callable[[], None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.bus.start()
        self._unhook = wake_on_outbox_commit(self.db.engine, self.notify)
        self._tasks = [asyncio.create_task(self._dispatch_forever(), name="events-dispatcher"),
                       asyncio.create_task(self.deliveries.run(), name="events-deliveries")]

    async def stop(self) -> None:
        """Let the loops finish the transaction they are in (cancelling one half-way could leave
        SQLite's write lock held), cut webhook requests short, close the bus."""
        if self._unhook is not None:
            self._unhook()
            self._unhook = None
        self._stopping = True
        self.deliveries.stop()
        self._dispatch_wake.set()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=STOP_WAIT_S)
            if late:
                log.warning("event loops did not stop within %.0f s; cancelling them", STOP_WAIT_S)
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
        self._tasks = []
        await self.bus.stop()

    def notify(self) -> None:
        """A transaction that wrote outbox events committed: dispatch soon. Safe from any thread.
        (Only the dispatcher wakes: it wakes the delivery loop when it made deliveries; waking
        that loop on every commit cost it two transactions per reservation under load.)"""
        self._call_in_loop(self._dispatch_wake.set)

    def wake_deliveries(self) -> None:
        """A delivery became due now (a manual retry): start it without waiting for the next poll."""
        self._call_in_loop(self.deliveries.wake)

    def _call_in_loop(self, fn: Callable[[], None]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn()
        else:
            loop.call_soon_threadsafe(fn)

    async def dispatch_once(self) -> Dispatched:
        """Dispatch one batch and publish it live; what was dispatched."""
        dispatched = await dispatch_batch(self.db, utc_now())
        self.events_dispatched += len(dispatched.events)
        if dispatched.deliveries:
            self.deliveries.wake()
        await self.bus.publish(dispatched.events)
        return dispatched

    async def _dispatch_forever(self) -> None:
        errors = 0
        while not self._stopping:
            try:
                dispatched = await self.dispatch_once()
                while dispatched.full and not self._stopping:
                    dispatched = await self.dispatch_once()
                errors = 0
                pause = POLL_S
                if dispatched.events and not self._stopping:
                    # events are flowing: let them gather for a moment rather than run a pass per commit
                    await asyncio.sleep(COALESCE_S)
            except Exception:
                self.dispatch_failures += 1
                pause = ERROR_PAUSES_S[min(errors, len(ERROR_PAUSES_S) - 1)]
                errors += 1
                log.warning("dispatching outbox events failed (%d in a row); trying again in %.1f s", errors, pause,
                            exc_info=errors == 1)
            try:
                await asyncio.wait_for(self._dispatch_wake.wait(), pause)
            except TimeoutError:
                pass
            self._dispatch_wake.clear()
