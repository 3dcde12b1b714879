"""The append-only stock ledger: every change of a stock row, with reason, reference and actor."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import LEDGER


class Reason(StrEnum):
    COUNT = "count"          # on-hand set from a physical count or the retailer's system
    ADJUST = "adjust"        # a delta: receipt, damage, a till sale, a transfer...
    IMPORT = "import"        # bulk CSV import
    HOLD = "hold"            # a reservation allocated units
    RELEASE = "release"      # a cancelled reservation gave them back
    EXPIRE = "expire"        # a hold lapsed
    NO_SHOW = "no_show"      # a confirmed reservation lapsed or was marked no-show
    SALE = "sale"            # a reservation was fulfilled: on-hand and allocated both go down


async def record(conn: AsyncConnection, *, store_id: int, sku: str, on_hand_delta: int, allocated_delta: int,
                 on_hand_after: int, allocated_after: int, reason: Reason, reference: str, actor: str,
                 now: datetime) -> None:
    await conn.execute(insert(LEDGER), {
        "store_id": store_id, "sku": sku, "on_hand_delta": on_hand_delta, "allocated_delta": allocated_delta,
        "on_hand_after": on_hand_after, "allocated_after": allocated_after, "reason": str(reason),
        "reference": reference[:200], "actor": actor[:200], "created_at": now})


async def rebuilt_totals(conn: AsyncConnection, store_id: int, sku: str) -> tuple[int, int]:
    """(on_hand, allocated) as the ledger says they should be: the sum of every change."""
    row = (await conn.execute(select(func.coalesce(func.sum(LEDGER.c.on_hand_delta), 0),
                                     func.coalesce(func.sum(LEDGER.c.allocated_delta), 0))
                              .where(LEDGER.c.store_id == store_id, LEDGER.c.sku == sku))).one()
    return int(row[0]), int(row[1])
