"""Nearby availability: stores within a radius that stock the wanted SKUs, nearest first, with
what is free right now (expired holds not counted), opening hours and the next free fitting slots.

One indexed query finds candidate stock rows inside the radius's bounding box (stores by
latitude/longitude, stock by store and SKU); exact distances, the radius and the sort happen
here; a second query reads the booked places of the shown stores' upcoming slots. Magento's
pickup-location search is the model: with several SKUs, `require_all` keeps only stores that can
serve the whole list.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Text, and_, bindparam, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.commerce import availability_pg
from server.commerce.errors import InvalidRequest
from server.commerce.geo import bounding_box, haversine_km
from server.commerce.slots import SlotRules, free_slots, open_now, upcoming_slots
from server.commerce.stores import rules_of
from server.commerce.timestamps import iso_z
from server.commerce.statuses import LAPSING
from server.db.database import Database
from server.db.tables import RESERVATIONS, SLOTS, STOCK, STORES

MAX_RADIUS_KM = 500.0
MAX_SKUS = 20


@dataclass(frozen=True)
class NearbyQuery:
    skus: tuple[str, ...]
    lat: float
    lon: float
    radius_km: float = 25.0
    quantity: int = 1
    limit: int = 20
    slots: int = 3  # next free fitting slots shown per store
    require_all: bool = True
    include_out_of_stock: bool = False

    def validated(self) -> NearbyQuery:
        if not self.skus or len(self.skus) > MAX_SKUS:
            raise InvalidRequest(f"ask for 1 to {MAX_SKUS} SKUs (sku=...)")
        if not (-90 <= self.lat <= 90) or not (-180 <= self.lon <= 180):
            raise InvalidRequest(f"({self.lat}, {self.lon}) is not a latitude/longitude")
        if not 0 < self.radius_km <= MAX_RADIUS_KM:
            raise InvalidRequest(f"radius_km must be above 0 and at most {MAX_RADIUS_KM:g}")
        if not 1 <= self.quantity <= 100 or not 1 <= self.limit <= 200 or not 0 <= self.slots <= 20:
            raise InvalidRequest("quantity must be 1-100, limit 1-200 and slots 0-20")
        return self


def _lapsed_by_stock_row():
    return (select(RESERVATIONS.c.store_id, RESERVATIONS.c.sku, func.sum(RESERVATIONS.c.quantity).label("q"))
            .where(RESERVATIONS.c.status.in_([str(s) for s in LAPSING]), RESERVATIONS.c.expires_at <= bindparam("now"),
                   RESERVATIONS.c.sku.in_(bindparam("skus", expanding=True)))
            .group_by(RESERVATIONS.c.store_id, RESERVATIONS.c.sku).subquery())


def _nearby_stock_query():
    lapsed = _lapsed_by_stock_row()
    return (select(STORES.c.id, STORES.c.name, STORES.c.address, STORES.c.postcode, STORES.c.lat, STORES.c.lon,
                   STORES.c.timezone, cast(STORES.c.opening_hours, Text).label("hours"), STORES.c.slot_minutes,
                   STORES.c.fitting_capacity, STORES.c.booking_days, STOCK.c.sku, STOCK.c.on_hand, STOCK.c.allocated,
                   func.coalesce(lapsed.c.q, 0).label("lapsed"))
            .select_from(STORES.join(STOCK, STOCK.c.store_id == STORES.c.id)
                         .outerjoin(lapsed, and_(lapsed.c.store_id == STOCK.c.store_id, lapsed.c.sku == STOCK.c.sku)))
            .where(STORES.c.active.is_(True), STORES.c.lat.between(bindparam("min_lat"), bindparam("max_lat")),
                   STORES.c.lon.between(bindparam("min_lon"), bindparam("max_lon")),
                   STOCK.c.sku.in_(bindparam("skus", expanding=True))))


# Built once: SQLAlchemy then finds them compiled in its cache instead of building them per request.
NEARBY_STOCK = _nearby_stock_query()


async def nearby_availability(db: Database, query: NearbyQuery, now: datetime) -> list[dict[str, Any]]:
    """PostgreSQL reads through plain asyncpg (availability_pg.py: SQLAlchemy's own work was most
    of this call's CPU), SQLite through the statements below; the answer is built the same way."""
    q = query.validated()
    if db.is_sqlite:
        async with db.read() as conn:
            return await _answer(q, now, _SqlAlchemyReads(conn))
    async with db.raw() as pg:
        return await _answer(q, now, availability_pg.Reads(pg))


class _SqlAlchemyReads:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def nearby_stock(self, skus: list[str], box: tuple[float, float, float, float],
                           now: datetime) -> Sequence[Mapping[str, Any]]:
        min_lat, max_lat, min_lon, max_lon = box
        return (await self.conn.execute(NEARBY_STOCK, {"now": now, "skus": skus, "min_lat": min_lat,
                                                       "max_lat": max_lat, "min_lon": min_lon,
                                                       "max_lon": max_lon})).mappings().all()

    async def booked_places(self, store_ids: list[int], now: datetime) -> Sequence[Mapping[str, Any]]:
        return (await self.conn.execute(BOOKED_PLACES, {"now": now, "until": now + availability_pg.BOOKING_HORIZON,
                                                        "store_ids": store_ids})).mappings().all()


class Reads(Protocol):
    async def nearby_stock(self, skus: list[str], box: tuple[float, float, float, float],
                           now: datetime) -> Sequence[Mapping[str, Any]]: ...

    async def booked_places(self, store_ids: list[int], now: datetime) -> Sequence[Mapping[str, Any]]: ...


_slot_iso = lru_cache(maxsize=100_000)(iso_z)  # slot starts repeat across stores and requests


@lru_cache(maxsize=4096)
def _hours(text: str) -> dict[str, Any]:
    """Opening hours parsed once per distinct value (stores share a few patterns); never mutated."""
    return json.loads(text)


async def _answer(q: NearbyQuery, now: datetime, reads: Reads) -> list[dict[str, Any]]:
    skus = list(dict.fromkeys(q.skus))
    rows = await reads.nearby_stock(skus, bounding_box(q.lat, q.lon, q.radius_km), now)

    stores: dict[int, dict[str, Any]] = {}
    for r in rows:
        entry = stores.get(r["id"])
        if entry is None:
            distance = haversine_km(q.lat, q.lon, r["lat"], r["lon"])
            if distance > q.radius_km:
                continue
            entry = stores[r["id"]] = {"row": r, "distance_km": distance, "stock": {}}
        entry["stock"][r["sku"]] = max(0, r["on_hand"] - r["allocated"] + int(r["lapsed"]))

    results = []
    for store_id, entry in stores.items():
        per_sku = {sku: entry["stock"].get(sku, 0) for sku in skus}
        serves = [s for s in skus if per_sku[s] >= q.quantity]
        has_all = len(serves) == len(skus)
        if not q.include_out_of_stock and (not serves or (q.require_all and not has_all)):
            continue
        results.append((entry["distance_km"], store_id, entry, per_sku, has_all))
    results.sort(key=lambda t: (t[0], t[1]))
    results = results[:q.limit]

    booked = _by_store(await reads.booked_places([t[1] for t in results], now)) if q.slots and results else {}
    out = []
    for distance, store_id, entry, per_sku, has_all in results:
        r = entry["row"]
        hours = _hours(r["hours"])
        rules = SlotRules(r["timezone"], hours, r["slot_minutes"], r["fitting_capacity"], r["booking_days"])
        bookings, capacities = booked.get(store_id, ({}, {}))
        out.append({
            "store_id": store_id, "name": r["name"], "address": r["address"], "postcode": r["postcode"],
            "lat": r["lat"], "lon": r["lon"], "distance_km": round(distance, 3),
            "available": per_sku[skus[0]] if len(skus) == 1 else min(per_sku.values()),
            "stock": [{"sku": s, "available": per_sku[s]} for s in skus], "has_all": has_all,
            "timezone": r["timezone"], "opening_hours": hours, "open_now": open_now(rules, now),
            "next_slots": [{"start": _slot_iso(s), "places_left": left}
                           for s, left in free_slots(rules, now, bookings, q.slots, capacities)],
        })
    return out


def _booked_places_query():
    lapsed = (select(RESERVATIONS.c.store_id, RESERVATIONS.c.slot_start, func.count().label("n"))
              .where(RESERVATIONS.c.status.in_([str(s) for s in LAPSING]), RESERVATIONS.c.expires_at <= bindparam("now"),
                     RESERVATIONS.c.store_id.in_(bindparam("store_ids", expanding=True)),
                     RESERVATIONS.c.slot_start > bindparam("now"))
              .group_by(RESERVATIONS.c.store_id, RESERVATIONS.c.slot_start).subquery())
    return (select(SLOTS.c.store_id, SLOTS.c.slot_start, SLOTS.c.capacity,
                   (SLOTS.c.booked - func.coalesce(lapsed.c.n, 0)).label("booked"))
            .select_from(SLOTS.outerjoin(lapsed, and_(lapsed.c.store_id == SLOTS.c.store_id,
                                                      lapsed.c.slot_start == SLOTS.c.slot_start)))
            .where(SLOTS.c.store_id.in_(bindparam("store_ids", expanding=True)), SLOTS.c.slot_start > bindparam("now"),
                   SLOTS.c.slot_start <= bindparam("until")))


BOOKED_PLACES = _booked_places_query()


def _by_store(rows: Sequence[Mapping[str, Any]]) -> dict[int, tuple[dict, dict]]:
    """Per store: ({slot start: places booked, lapsed holds not counted}, {slot start: capacity})."""
    out: dict[int, tuple[dict, dict]] = {}
    for r in rows:
        bookings, capacities = out.setdefault(r["store_id"], ({}, {}))
        bookings[r["slot_start"]] = int(r["booked"])
        capacities[r["slot_start"]] = int(r["capacity"])
    return out


async def store_slots(conn: AsyncConnection, store: Any, now: datetime, days: int) -> list[dict[str, Any]]:
    """Every upcoming slot of a store for `days` days, with places left (0 when full)."""
    rules = rules_of(store)
    rows = await _SqlAlchemyReads(conn).booked_places([store["id"]], now)
    bookings, capacities = _by_store(rows).get(store["id"], ({}, {}))
    out = []
    for start in upcoming_slots(rules, now, until=now + timedelta(days=days)):
        capacity = capacities.get(start, rules.capacity)
        out.append({"start": iso_z(start), "end": iso_z(start + timedelta(minutes=rules.slot_minutes)),
                    "capacity": capacity, "places_left": max(0, capacity - bookings.get(start, 0))})
    return out
