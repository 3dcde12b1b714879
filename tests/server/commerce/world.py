"""The commerce domain on a real database, for tests: a started CommerceRuntime (migrated, the
bundled catalog's SKUs synced, no demo stores, no sweeper) and a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from server.catalog.service import ProductCatalog
from server.commerce.runtime import CommerceRuntime
from server.commerce.stores import StoreInput, create_store
from server.settings import Settings
from tests.server.databases import ADMIN_KEY

SKU = "round-classic-black"
OTHER_SKU = "rect-metro-tortoise"
PARIS = (48.8566, 2.3522)
ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


class Clock:
    """Now, as the test says: starts at a fixed instant and moves only when told."""

    def __init__(self, start: datetime = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@asynccontextmanager
async def open_commerce(database_url: str, data_dir: Path, clock: Clock | None = None,
                        **settings: Any) -> AsyncIterator[CommerceRuntime]:
    runtime = CommerceRuntime(Settings(database_url=database_url, data_dir=data_dir, admin_key=ADMIN_KEY,
                                       demo_stores=False, **settings), clock or Clock())
    await runtime.start(ProductCatalog().entries(), sweeper=False)
    try:
        yield runtime
    finally:
        await runtime.stop()


async def add_store(runtime: CommerceRuntime, name: str = "Test store", lat: float = PARIS[0],
                    lon: float = PARIS[1], **fields: Any) -> dict[str, Any]:
    fields.setdefault("opening_hours", ALWAYS_OPEN)
    store = StoreInput(name=name, lat=lat, lon=lon, **fields)
    return await runtime.db.write(lambda conn: create_store(conn, store, runtime.clock()))


async def stocked_store(runtime: CommerceRuntime, on_hand: int, sku: str = SKU, **fields: Any) -> dict[str, Any]:
    """A new store with `on_hand` units of `sku` counted in."""
    from server.commerce.stock import set_on_hand

    store = await add_store(runtime, **fields)
    await runtime.db.write(lambda conn: set_on_hand(conn, store_id=store["id"], sku=sku, on_hand=on_hand,
                                                    now=runtime.clock(), actor="test"))
    return store
