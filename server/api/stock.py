"""Stock routes for a store's POS and the retailer's systems: read, set (compare-and-set),
adjust (idempotent), the ledger, and the bulk CSV import."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from server.api.auth import AdminDep, CommerceDep, PrincipalDep
from server.api.idempotent import IdempotencyKey, idempotent_create
from server.commerce.errors import InvalidRequest, PayloadTooLarge
from server.commerce.ledger import Reason
from server.commerce.stock import MAX_ON_HAND, adjust_on_hand, set_on_hand, stock_level, stock_levels
from server.commerce.stock_import import MAX_IMPORT_BYTES, import_stock_csv
from server.commerce.stores import get_store
from server.db.tables import LEDGER

router = APIRouter(tags=["stock"])


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused (413) past `limit` bytes without reading it all."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the CSV is over {limit // 1_000_000} MB: split it, or use `tryon stock-import`")
        chunks.append(chunk)
    return b"".join(chunks)

ADJUST_REASONS = {"adjust", "receipt", "sale", "damage", "transfer", "return", "count"}


class StockSet(BaseModel):
    on_hand: int = Field(ge=0, le=MAX_ON_HAND, description="Units physically in the store")
    expected_version: int | None = Field(None, ge=0, description="Compare-and-set: refuse (409) unless the row "
                                         "is still at this version")
    reference: str = Field("", max_length=200, description="Your reference (count sheet, POS transaction...)")


class StockAdjust(BaseModel):
    delta: int = Field(description="Units in (positive) or out (negative)")
    reason: str = Field("adjust", description=f"One of {', '.join(sorted(ADJUST_REASONS))}")
    reference: str = Field("", max_length=200)


@router.get("/api/stores/{store_id}/stock", summary="A store's stock, every SKU (staff of the store)")
async def store_stock(store_id: int, commerce: CommerceDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    principal.require_store(store_id)
    async with commerce.db.read() as conn:
        await get_store(conn, store_id)
        return [level.describe() for level in await stock_levels(conn, commerce.clock(), store_ids=[store_id])]


@router.get("/api/stores/{store_id}/stock/{sku}", summary="One SKU's stock at a store")
async def one_stock(store_id: int, sku: str, commerce: CommerceDep) -> dict[str, Any]:
    async with commerce.db.read() as conn:
        await get_store(conn, store_id)
        return (await stock_level(conn, store_id, sku, commerce.clock())).describe()


@router.put("/api/stores/{store_id}/stock/{sku}", summary="Set on-hand from a count (admin or the store's staff)")
async def put_stock(store_id: int, sku: str, body: StockSet, commerce: CommerceDep, principal: PrincipalDep,
                    idempotency_key: IdempotencyKey = None) -> Any:
    principal.require_store(store_id)
    now = commerce.clock()

    async def work(conn):
        await get_store(conn, store_id)
        level = await set_on_hand(conn, store_id=store_id, sku=sku, on_hand=body.on_hand, now=now,
                                  actor=principal.name, expected_version=body.expected_version,
                                  reference=body.reference or (idempotency_key or ""))
        return level.describe()

    return await idempotent_create(commerce.db, f"stock.set:{store_id}:{sku}", idempotency_key, body.model_dump(),
                                   now, work, status_code=200)


@router.post("/api/stores/{store_id}/stock/{sku}/adjust",
             summary="Add or remove units (admin or the store's staff; Idempotency-Key required)")
async def adjust_stock(store_id: int, sku: str, body: StockAdjust, commerce: CommerceDep, principal: PrincipalDep,
                       idempotency_key: IdempotencyKey = None) -> Any:
    principal.require_store(store_id)
    if body.reason not in ADJUST_REASONS:
        raise InvalidRequest(f"reason must be one of {', '.join(sorted(ADJUST_REASONS))}")
    now = commerce.clock()

    async def work(conn):
        await get_store(conn, store_id)
        level = await adjust_on_hand(conn, store_id=store_id, sku=sku, delta=body.delta, now=now,
                                     actor=principal.name, reason=Reason.ADJUST,
                                     reference=f"{body.reason}: {body.reference}".strip(": "))
        return level.describe()

    return await idempotent_create(commerce.db, f"stock.adjust:{store_id}:{sku}", idempotency_key,
                                   body.model_dump(), now, work, required=True, status_code=200)


@router.get("/api/stores/{store_id}/stock/{sku}/ledger", summary="Every change of one stock row, newest first")
async def stock_ledger(store_id: int, sku: str, commerce: CommerceDep, principal: PrincipalDep,
                       limit: int = Query(100, ge=1, le=1000),
                       before_id: int | None = Query(None, description="Page: entries older than this id")) -> Any:
    principal.require_store(store_id)
    q = select(LEDGER).where(LEDGER.c.store_id == store_id, LEDGER.c.sku == sku)
    if before_id is not None:
        q = q.where(LEDGER.c.id < before_id)
    async with commerce.db.read() as conn:
        rows = (await conn.execute(q.order_by(LEDGER.c.id.desc()).limit(limit))).mappings().all()
    return [{**{k: v for k, v in r.items() if k != "created_at"}, "created_at": r["created_at"].isoformat()}
            for r in rows]


@router.post("/api/stock/import", summary="Bulk stock import, CSV body (admin)",
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def import_csv(request: Request, commerce: CommerceDep, principal: AdminDep) -> dict[str, Any]:
    body = await read_limited(request, MAX_IMPORT_BYTES)
    report = await import_stock_csv(commerce.db, body, commerce.clock, actor=principal.name)
    return report.describe()
