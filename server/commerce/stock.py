"""Stock per store and SKU: reading availability, setting and adjusting on-hand, and the
allocation primitives reservations use.

Available = on_hand - allocated + lapsed, where `lapsed` is the quantity of held or confirmed
reservations whose time ran out but that the sweeper has not released yet: readers stop counting
a hold the instant it expires, without waiting for any background job.

Every write is a single conditional UPDATE (`... WHERE on_hand - allocated >= :qty`), so the
database refuses an oversell even when many processes race; a refused allocation first releases
lapsed holds of that row (in its own transaction, see reservations.release_lapsed) and tries once
more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.commerce import ledger
from server.commerce.errors import InvalidRequest, NegativeStock, StaleStock, UnknownSku
from server.commerce.ledger import Reason
from server.commerce.outbox import emit
from server.commerce.statuses import LAPSING
from server.db.upsert import insert_ignore
from server.db.tables import RESERVATIONS, SKUS, STOCK

MAX_ON_HAND = 1_000_000_000


@dataclass(frozen=True)
class StockLevel:
    store_id: int
    sku: str
    on_hand: int
    allocated: int
    lapsed: int
    version: int
    updated_at: datetime | None

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.allocated + self.lapsed)

    def describe(self) -> dict[str, Any]:
        held = self.allocated - self.lapsed
        return {"store_id": self.store_id, "sku": self.sku, "on_hand": self.on_hand, "reserved": held,
                "available": self.available, "short_by": max(0, held - self.on_hand), "version": self.version,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None}


async def require_sku(conn: AsyncConnection, sku: str) -> None:
    found = (await conn.execute(select(SKUS.c.sku).where(SKUS.c.sku == sku, SKUS.c.active.is_(True)))).first()
    if found is None:
        raise UnknownSku(f"no product variant with SKU {sku!r}; GET /api/products lists them")


def lapsed_query(now: datetime, skus: Iterable[str] | None = None, store_ids: Iterable[int] | None = None):
    """(store_id, sku, quantity) of reservations that lapsed but are still counted in allocated."""
    q = (select(RESERVATIONS.c.store_id, RESERVATIONS.c.sku, func.sum(RESERVATIONS.c.quantity).label("quantity"))
         .where(RESERVATIONS.c.status.in_([str(s) for s in LAPSING]), RESERVATIONS.c.expires_at <= now))
    if skus is not None:
        q = q.where(RESERVATIONS.c.sku.in_(list(skus)))
    if store_ids is not None:
        q = q.where(RESERVATIONS.c.store_id.in_(list(store_ids)))
    return q.group_by(RESERVATIONS.c.store_id, RESERVATIONS.c.sku)


async def stock_levels(conn: AsyncConnection, now: datetime, *, store_ids: Iterable[int] | None = None,
                       skus: Iterable[str] | None = None) -> list[StockLevel]:
    store_ids = list(store_ids) if store_ids is not None else None
    skus = list(skus) if skus is not None else None
    q = select(STOCK)
    if store_ids is not None:
        q = q.where(STOCK.c.store_id.in_(store_ids))
    if skus is not None:
        q = q.where(STOCK.c.sku.in_(skus))
    rows = (await conn.execute(q.order_by(STOCK.c.store_id, STOCK.c.sku))).mappings().all()
    lapsed = {(r.store_id, r.sku): int(r.quantity)
              for r in await conn.execute(lapsed_query(now, skus=skus, store_ids=store_ids))}
    return [StockLevel(r["store_id"], r["sku"], r["on_hand"], r["allocated"], lapsed.get((r["store_id"], r["sku"]), 0),
                       r["version"], r["updated_at"]) for r in rows]


async def stock_level(conn: AsyncConnection, store_id: int, sku: str, now: datetime) -> StockLevel:
    levels = await stock_levels(conn, now, store_ids=[store_id], skus=[sku])
    if levels:
        return levels[0]
    await require_sku(conn, sku)
    return StockLevel(store_id, sku, 0, 0, 0, 0, None)


async def _ensure_row(conn: AsyncConnection, store_id: int, sku: str, now: datetime) -> None:
    await conn.execute(insert_ignore(conn, STOCK), {"store_id": store_id, "sku": sku, "on_hand": 0, "allocated": 0,
                                                    "version": 0, "updated_at": now})


async def set_on_hand(conn: AsyncConnection, *, store_id: int, sku: str, on_hand: int, now: datetime, actor: str,
                      expected_version: int | None = None, reason: Reason = Reason.COUNT,
                      reference: str = "") -> StockLevel:
    """Set on-hand to a counted value (compare-and-set on `expected_version` when given). The
    count is the truth: it may fall below what is reserved, which `short_by` then shows."""
    if not 0 <= on_hand <= MAX_ON_HAND:
        raise InvalidRequest(f"on_hand must be between 0 and {MAX_ON_HAND}, not {on_hand}")
    await require_sku(conn, sku)
    await _ensure_row(conn, store_id, sku, now)
    # The row lock (FOR UPDATE on PostgreSQL; SQLite's write lock is already ours) makes the read
    # and the write below one step: the ledger's delta is exact.
    current = (await conn.execute(select(STOCK.c.on_hand, STOCK.c.allocated, STOCK.c.version)
                                  .where(STOCK.c.store_id == store_id, STOCK.c.sku == sku).with_for_update())).one()
    if expected_version is not None and current.version != expected_version:
        raise StaleStock(store_id, sku, expected_version, current.version)
    row = (await conn.execute(update(STOCK).where(STOCK.c.store_id == store_id, STOCK.c.sku == sku)
                              .values(on_hand=on_hand, version=STOCK.c.version + 1, updated_at=now)
                              .returning(STOCK.c.on_hand, STOCK.c.allocated, STOCK.c.version))).one()
    delta = on_hand - current.on_hand
    await ledger.record(conn, store_id=store_id, sku=sku, on_hand_delta=delta, allocated_delta=0,
                        on_hand_after=row.on_hand, allocated_after=row.allocated, reason=reason,
                        reference=reference, actor=actor, now=now)
    await _stock_changed(conn, store_id, sku, row.on_hand, row.allocated, row.version, str(reason), now)
    return await stock_level(conn, store_id, sku, now)


async def adjust_on_hand(conn: AsyncConnection, *, store_id: int, sku: str, delta: int, now: datetime, actor: str,
                         reason: Reason = Reason.ADJUST, reference: str = "") -> StockLevel:
    """Add `delta` (negative: units left the store) in one conditional statement; refused if
    on-hand would go below zero."""
    if delta == 0 or abs(delta) > MAX_ON_HAND:
        raise InvalidRequest(f"delta must be a non-zero count of units, not {delta}")
    await require_sku(conn, sku)
    await _ensure_row(conn, store_id, sku, now)
    row = (await conn.execute(update(STOCK).where(STOCK.c.store_id == store_id, STOCK.c.sku == sku,
                                                  STOCK.c.on_hand + delta >= 0, STOCK.c.on_hand + delta <= MAX_ON_HAND)
                              .values(on_hand=STOCK.c.on_hand + delta, version=STOCK.c.version + 1, updated_at=now)
                              .returning(STOCK.c.on_hand, STOCK.c.allocated, STOCK.c.version))).first()
    if row is None:
        level = await stock_level(conn, store_id, sku, now)
        raise NegativeStock(f"cannot take {-delta} x {sku} from store {store_id}: only {level.on_hand} on hand")
    await ledger.record(conn, store_id=store_id, sku=sku, on_hand_delta=delta, allocated_delta=0,
                        on_hand_after=row.on_hand, allocated_after=row.allocated, reason=reason,
                        reference=reference, actor=actor, now=now)
    await _stock_changed(conn, store_id, sku, row.on_hand, row.allocated, row.version, str(reason), now)
    return await stock_level(conn, store_id, sku, now)


async def allocate(conn: AsyncConnection, *, store_id: int, sku: str, quantity: int, now: datetime,
                   reference: str, actor: str) -> tuple[int, int, int] | None:
    """Take `quantity` units for a reservation if that many are free: one conditional UPDATE.
    Returns (on_hand, allocated, version) after, or None when short. The caller emits the event."""
    row = (await conn.execute(update(STOCK).where(STOCK.c.store_id == store_id, STOCK.c.sku == sku,
                                                  STOCK.c.on_hand - STOCK.c.allocated >= quantity)
                              .values(allocated=STOCK.c.allocated + quantity, version=STOCK.c.version + 1,
                                      updated_at=now)
                              .returning(STOCK.c.on_hand, STOCK.c.allocated, STOCK.c.version))).first()
    if row is None:
        return None
    await ledger.record(conn, store_id=store_id, sku=sku, on_hand_delta=0, allocated_delta=quantity,
                        on_hand_after=row.on_hand, allocated_after=row.allocated, reason=Reason.HOLD,
                        reference=reference, actor=actor, now=now)
    return row.on_hand, row.allocated, row.version


async def deallocate(conn: AsyncConnection, *, store_id: int, sku: str, quantity: int, sold: bool, now: datetime,
                     reason: Reason, reference: str, actor: str) -> None:
    """Give back a reservation's units (`sold`: they also left the store, so on-hand drops too)."""
    on_hand_delta = -quantity if sold else 0
    values: dict[str, Any] = {"allocated": STOCK.c.allocated - quantity, "version": STOCK.c.version + 1,
                              "updated_at": now}
    if sold:
        values["on_hand"] = STOCK.c.on_hand - quantity
    row = (await conn.execute(update(STOCK).where(STOCK.c.store_id == store_id, STOCK.c.sku == sku,
                                                  STOCK.c.allocated >= quantity,
                                                  *( [STOCK.c.on_hand >= quantity] if sold else []))
                              .values(**values)
                              .returning(STOCK.c.on_hand, STOCK.c.allocated, STOCK.c.version))).first()
    if row is None:
        if sold:
            raise NegativeStock(f"cannot hand over {quantity} x {sku}: the store's count shows fewer on hand; "
                                "count the stock again (PUT .../stock/{sku}) first")
        raise AssertionError(f"stock row {store_id}/{sku} holds less than the {quantity} units being released")
    await ledger.record(conn, store_id=store_id, sku=sku, on_hand_delta=on_hand_delta, allocated_delta=-quantity,
                        on_hand_after=row.on_hand, allocated_after=row.allocated, reason=reason,
                        reference=reference, actor=actor, now=now)
    await _stock_changed(conn, store_id, sku, row.on_hand, row.allocated, row.version, str(reason), now)


def stock_changed_payload(store_id: int, sku: str, on_hand: int, allocated: int, version: int,
                          reason: str) -> dict[str, Any]:
    return {"store_id": store_id, "sku": sku, "on_hand": on_hand, "allocated": allocated, "version": version,
            "reason": reason}


async def _stock_changed(conn: AsyncConnection, store_id: int, sku: str, on_hand: int, allocated: int, version: int,
                         reason: str, now: datetime) -> None:
    await emit(conn, "stock.changed", stock_changed_payload(store_id, sku, on_hand, allocated, version, reason), now)
