"""The commerce side of one server process: its database pool, the admin key, start-up (migrate,
sync the catalog's SKUs, demo stores) and the sweeper that releases lapsed holds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from server.admin_key import resolve_admin_key
from server.catalog.bundled import CatalogEntry, sync_catalog
from server.commerce.clock import utc_now
from server.commerce.demo import seed_demo_stores
from server.commerce.idempotency import forget_older_than
from server.commerce.reservations import release_lapsed
from server.db.database import Database
from server.db.migrate import migrate
from server.events.retention import prune_events
from server.events.runtime import EventRuntime
from server.settings import Settings

log = logging.getLogger("tryon.commerce")
IDEMPOTENCY_RETENTION = timedelta(hours=24)  # replays are honoured for a day, as Stripe does
STOP_WAIT_S = 10.0


class CommerceRuntime:
    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        self.db = Database(settings.resolved_database_url, pool_size=settings.db_pool_size)
        self.admin_key, self.admin_key_file = resolve_admin_key(settings)
        self.events = EventRuntime(settings, self.db)
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    async def start(self, catalog: list[CatalogEntry], sweeper: bool = True) -> None:
        await migrate(self.db)
        count = await self.db.write(lambda conn: sync_catalog(conn, catalog))
        log.info("commerce database ready (%s, %d SKUs)", self.db.dialect, count)
        if self.settings.demo_stores:
            made = await self.db.write(lambda conn: seed_demo_stores(conn, self.clock()))
            if made:
                log.info("created %d demo stores with stock", made)
        if sweeper:
            self._tasks.append(asyncio.create_task(self._sweep_forever(), name="sweeper"))
        await self.events.start()
        self.db.on_outbox_commit(self.events.notify)  # raw-connection writes (reservations_pg.py)

    async def stop(self) -> None:
        """Let a sweep in progress finish (cancelling it mid-transaction could leave SQLite's write
        lock held), stop the event loops, close the pool."""
        self._stopping.set()
        await self.events.stop()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=STOP_WAIT_S)
            for task in late:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.db.dispose()

    async def sweep_once(self) -> int:
        now = self.clock()
        released = await release_lapsed(self.db, now)
        await self.db.write(lambda conn: forget_older_than(conn, now - IDEMPOTENCY_RETENTION))
        await prune_events(self.db, now - timedelta(days=self.settings.event_retention_days))
        return released

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._stopping.wait(), self.settings.sweep_interval_s)
                return
            except TimeoutError:
                pass
            try:
                released = await self.sweep_once()
                if released:
                    log.info("released %d lapsed reservations", released)
            except Exception:  # the next sweep tries again; readers never depended on this one
                log.exception("sweeping lapsed reservations failed")
