"""Nearby availability: stores within a radius that stock the wanted SKUs, nearest first, with
what is free right now (expired holds not counted), opening hours and the next free fitting slots.

One indexed query finds candidate stock rows inside the radius's bounding box (stores by
latitude/longitude, stock by store and SKU); exact distances, the radius and the sort happen
here; a second query reads the booked places of the shown stores' upcoming slots. Magento's
pickup-location search is the model: with several SKUs, `require_all` keeps only stores that can
serve the whole list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.commerce.errors import InvalidRequest
from server.commerce.geo import bounding_box, haversine_km
from server.commerce.slots import SlotRules, free_slots, open_now, upcoming_slots
from server.commerce.stores import rules_of
from server.commerce.timestamps import iso_z
from server.commerce.statuses import LAPSING
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


async def nearby_availability(conn: AsyncConnection, query: NearbyQuery, now: datetime) -> list[dict[str, Any]]:
    q = query.validated()
    skus = list(dict.fromkeys(q.skus))
    min_lat, max_lat, min_lon, max_lon = bounding_box(q.lat, q.lon, q.radius_km)
    lapsed = (select(RESERVATIONS.c.store_id, RESERVATIONS.c.sku, func.sum(RESERVATIONS.c.quantity).label("q"))
              .where(RESERVATIONS.c.status.in_([str(s) for s in LAPSING]), RESERVATIONS.c.expires_at <= now,
                     RESERVATIONS.c.sku.in_(skus))
              .group_by(RESERVATIONS.c.store_id, RESERVATIONS.c.sku).subquery())
    rows = (await conn.execute(
        select(STORES.c.id, STORES.c.name, STORES.c.address, STORES.c.postcode, STORES.c.lat, STORES.c.lon,
               STORES.c.timezone, STORES.c.opening_hours, STORES.c.slot_minutes, STORES.c.fitting_capacity,
               STORES.c.booking_days, STOCK.c.sku, STOCK.c.on_hand, STOCK.c.allocated,
               func.coalesce(lapsed.c.q, 0).label("lapsed"))
        .select_from(STORES.join(STOCK, STOCK.c.store_id == STORES.c.id)
                     .outerjoin(lapsed, and_(lapsed.c.store_id == STOCK.c.store_id, lapsed.c.sku == STOCK.c.sku)))
        .where(STORES.c.active.is_(True), STORES.c.lat.between(min_lat, max_lat),
               STORES.c.lon.between(min_lon, max_lon), STOCK.c.sku.in_(skus)))).all()

    stores: dict[int, dict[str, Any]] = {}
    for r in rows:
        entry = stores.get(r.id)
        if entry is None:
            distance = haversine_km(q.lat, q.lon, r.lat, r.lon)
            if distance > q.radius_km:
                continue
            entry = stores[r.id] = {"row": r, "distance_km": distance, "stock": {}}
        entry["stock"][r.sku] = max(0, r.on_hand - r.allocated + int(r.lapsed))

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

    booked = await _booked_places(conn, [t[1] for t in results], now) if q.slots else {}
    out = []
    for distance, store_id, entry, per_sku, has_all in results:
        r = entry["row"]
        rules = SlotRules(r.timezone, r.opening_hours, r.slot_minutes, r.fitting_capacity, r.booking_days)
        bookings, capacities = booked.get(store_id, ({}, {}))
        out.append({
            "store_id": store_id, "name": r.name, "address": r.address, "postcode": r.postcode,
            "lat": r.lat, "lon": r.lon, "distance_km": round(distance, 3),
            "available": per_sku[skus[0]] if len(skus) == 1 else min(per_sku.values()),
            "stock": [{"sku": s, "available": per_sku[s]} for s in skus], "has_all": has_all,
            "timezone": r.timezone, "opening_hours": r.opening_hours, "open_now": open_now(rules, now),
            "next_slots": [{"start": iso_z(s), "places_left": left}
                           for s, left in free_slots(rules, now, bookings, q.slots, capacities)],
        })
    return out


async def _booked_places(conn: AsyncConnection, store_ids: list[int], now: datetime,
                         horizon: timedelta = timedelta(days=90)) -> dict[int, tuple[dict, dict]]:
    """Per store: ({slot start: places booked, lapsed holds not counted}, {slot start: capacity})."""
    if not store_ids:
        return {}
    lapsed = (select(RESERVATIONS.c.store_id, RESERVATIONS.c.slot_start, func.count().label("n"))
              .where(RESERVATIONS.c.status.in_([str(s) for s in LAPSING]), RESERVATIONS.c.expires_at <= now,
                     RESERVATIONS.c.store_id.in_(store_ids), RESERVATIONS.c.slot_start > now)
              .group_by(RESERVATIONS.c.store_id, RESERVATIONS.c.slot_start).subquery())
    rows = (await conn.execute(
        select(SLOTS.c.store_id, SLOTS.c.slot_start, SLOTS.c.capacity,
               (SLOTS.c.booked - func.coalesce(lapsed.c.n, 0)).label("booked"))
        .select_from(SLOTS.outerjoin(lapsed, and_(lapsed.c.store_id == SLOTS.c.store_id,
                                                  lapsed.c.slot_start == SLOTS.c.slot_start)))
        .where(SLOTS.c.store_id.in_(store_ids), SLOTS.c.slot_start > now,
               SLOTS.c.slot_start <= now + horizon))).all()
    out: dict[int, tuple[dict, dict]] = {}
    for r in rows:
        bookings, capacities = out.setdefault(r.store_id, ({}, {}))
        bookings[r.slot_start] = int(r.booked)
        capacities[r.slot_start] = int(r.capacity)
    return out


async def store_slots(conn: AsyncConnection, store: Any, now: datetime, days: int) -> list[dict[str, Any]]:
    """Every upcoming slot of a store for `days` days, with places left (0 when full)."""
    rules = rules_of(store)
    bookings, capacities = (await _booked_places(conn, [store["id"]], now)).get(store["id"], ({}, {}))
    out = []
    for start in upcoming_slots(rules, now, until=now + timedelta(days=days)):
        capacity = capacities.get(start, rules.capacity)
        out.append({"start": iso_z(start), "end": iso_z(start + timedelta(minutes=rules.slot_minutes)),
                    "capacity": capacity, "places_left": max(0, capacity - bookings.get(start, 0))})
    return out
