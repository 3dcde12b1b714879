"""Stores: creation with validated hours and coordinates, lookup, and their slot rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from server.commerce.errors import InvalidRequest, UnknownStore
from server.commerce.slots import DEFAULT_HOURS, SlotRules, validate_opening_hours, zone
from server.db.tables import STORES


@dataclass
class StoreInput:
    name: str
    lat: float
    lon: float
    address: str = ""
    postcode: str = ""
    timezone: str = "UTC"
    opening_hours: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_HOURS))
    slot_minutes: int = 30
    fitting_capacity: int = 2
    hold_seconds: int = 900
    pickup_hours: int = 48
    booking_days: int = 14

    def validated(self) -> dict[str, Any]:
        if not self.name.strip():
            raise InvalidRequest("a store needs a name")
        if not (-90 <= self.lat <= 90) or not (-180 <= self.lon <= 180):
            raise InvalidRequest(f"({self.lat}, {self.lon}) is not a latitude/longitude")
        zone(self.timezone)
        for name, value, low, high in (("slot_minutes", self.slot_minutes, 5, 240),
                                       ("fitting_capacity", self.fitting_capacity, 0, 1000),
                                       ("hold_seconds", self.hold_seconds, 1, 86400),
                                       ("pickup_hours", self.pickup_hours, 1, 720),
                                       ("booking_days", self.booking_days, 1, 90)):
            if not low <= value <= high:
                raise InvalidRequest(f"{name} must be between {low} and {high}, not {value}")
        values = dict(self.__dict__)
        values["name"] = self.name.strip()
        values["postcode"] = normalise_postcode(self.postcode)
        values["opening_hours"] = validate_opening_hours(self.opening_hours)
        return values


def normalise_postcode(postcode: str) -> str:
    return "".join(postcode.upper().split())


def rules_of(store: RowMapping | dict[str, Any]) -> SlotRules:
    return SlotRules(store["timezone"], store["opening_hours"], store["slot_minutes"], store["fitting_capacity"],
                     store["booking_days"])


def describe_store(store: RowMapping | dict[str, Any]) -> dict[str, Any]:
    return {"id": store["id"], "name": store["name"], "address": store["address"], "postcode": store["postcode"],
            "lat": store["lat"], "lon": store["lon"], "timezone": store["timezone"],
            "opening_hours": store["opening_hours"], "slot_minutes": store["slot_minutes"],
            "fitting_capacity": store["fitting_capacity"], "hold_seconds": store["hold_seconds"],
            "pickup_hours": store["pickup_hours"], "booking_days": store["booking_days"], "active": store["active"]}


async def create_store(conn: AsyncConnection, store: StoreInput, now: datetime) -> dict[str, Any]:
    values = store.validated()
    row = (await conn.execute(insert(STORES).returning(*STORES.c), {**values, "created_at": now})).mappings().one()
    return describe_store(row)


async def create_stores(conn: AsyncConnection, stores: list[StoreInput], now: datetime) -> None:
    """Many stores in one statement (demo data, benchmarks)."""
    if stores:
        await conn.execute(insert(STORES), [{**s.validated(), "created_at": now} for s in stores])


async def get_store(conn: AsyncConnection, store_id: int) -> RowMapping:
    row = (await conn.execute(select(STORES).where(STORES.c.id == store_id))).mappings().first()
    if row is None or not row["active"]:
        raise UnknownStore(f"no store with id {store_id}")
    return row


async def list_stores(conn: AsyncConnection, limit: int = 1000, offset: int = 0) -> list[dict[str, Any]]:
    rows = (await conn.execute(select(STORES).where(STORES.c.active.is_(True)).order_by(STORES.c.id)
                               .limit(limit).offset(offset))).mappings().all()
    return [describe_store(r) for r in rows]


async def update_store(conn: AsyncConnection, store_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    current = await get_store(conn, store_id)
    merged = {k: current[k] for k in StoreInput.__dataclass_fields__} | changes
    values = StoreInput(**merged).validated()
    await conn.execute(update(STORES).where(STORES.c.id == store_id).values(**values))
    return describe_store(await get_store(conn, store_id))


async def postcode_location(conn: AsyncConnection, postcode: str) -> tuple[float, float] | None:
    """Where a typed postcode is, from the stores that share it (or its outward part, e.g. 'SW1A'
    of 'SW1A 1AA'): offline, and good enough to sort nearby stores."""
    wanted = normalise_postcode(postcode)
    if not wanted:
        return None
    for prefix_len in (len(wanted), 4, 3, 2):
        prefix = wanted[:prefix_len]
        if len(prefix) < 2:
            break
        rows = (await conn.execute(select(STORES.c.lat, STORES.c.lon).where(
            STORES.c.active.is_(True), STORES.c.postcode.startswith(prefix, autoescape=True)).limit(200))).all()
        if rows:
            return sum(r.lat for r in rows) / len(rows), sum(r.lon for r in rows) / len(rows)
    return None
