"""Try-on session routes: the summary a live session left, and recording a session from a client
that renders on its own (the top of the funnel either way)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from server.api.auth import CommerceDep
from server.api.deps import CatalogDep
from server.api.idempotent import IdempotencyKey, idempotent_create
from server.commerce.tryon_sessions import (get_session_record, get_summary, record_from_api,
                                            record_session, require_known_variants)

router = APIRouter(tags=["try-on sessions"])
SCOPE_RECORD = "tryon_session.record"


class WornVariant(BaseModel):
    product_id: str = Field(min_length=1, max_length=64)
    variant: str | None = Field(None, max_length=64, description="None: the product's default (first) variant")


class TryonSessionCreate(BaseModel):
    id: str = Field(min_length=32, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                    description="The client's random session id, e.g. a UUID4 in hex (coupons are issued to it)")
    started_at: datetime = Field(description="With offset, e.g. 2026-12-02T09:00:00Z")
    ended_at: datetime | None = None
    store_id: int | None = Field(None, description="The store of an in-store mirror or kiosk")
    items: list[WornVariant] = Field(default_factory=list, max_length=200, description="Product variants worn")


@router.get("/api/sessions/{session_id}", summary="The summary of an ended try-on session")
async def session_summary(session_id: str, commerce: CommerceDep) -> dict[str, Any]:
    async with commerce.db.read() as conn:
        return await get_summary(conn, session_id)


@router.post("/api/tryon-sessions", status_code=201,
             summary="Record a try-on session rendered elsewhere (repeats merge; Idempotency-Key optional)")
async def record(body: TryonSessionCreate, commerce: CommerceDep, catalog: CatalogDep,
                 idempotency_key: IdempotencyKey = None) -> Any:
    now = commerce.clock()
    session = record_from_api(body.id, body.started_at, body.ended_at, body.store_id,
                              [(i.product_id, i.variant) for i in body.items], catalog.default_variants, now)

    async def work(conn: AsyncConnection) -> dict[str, Any]:
        await require_known_variants(conn, session.items)
        return await record_session(conn, session)
    return await idempotent_create(commerce.db, SCOPE_RECORD, idempotency_key, body.model_dump(mode="json"), now,
                                   work)


@router.get("/api/tryon-sessions/{session_id}", summary="A recorded try-on session with the variants worn")
async def session_record(session_id: str, commerce: CommerceDep) -> dict[str, Any]:
    async with commerce.db.read() as conn:
        return await get_session_record(conn, session_id)
