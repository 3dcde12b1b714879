"""Store routes: create and edit stores (admin), list them, their fitting slots."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from server.api.auth import AdminDep, CommerceDep
from server.api.idempotent import IdempotencyKey, idempotent_create
from server.commerce.availability import store_slots
from server.commerce.slots import DEFAULT_HOURS
from server.commerce.stores import StoreInput, create_store, describe_store, get_store, list_stores, update_store

router = APIRouter(prefix="/api/stores", tags=["stores"])

HoursField = Field(None, description='Local opening hours, e.g. {"mon": [["09:00", "12:30"], ["14:00", "19:00"]], '
                   '"sun": []}; a missing day is closed. Default: Mon-Sat 10:00-19:00.')


class StoreCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str = Field("", max_length=400)
    postcode: str = Field("", max_length=16)
    timezone: str = Field("UTC", max_length=64, description="IANA time zone of the store, e.g. Europe/Paris")
    opening_hours: dict[str, list[list[str]]] | None = HoursField
    slot_minutes: int = Field(30, ge=5, le=240, description="Length of a fitting slot")
    fitting_capacity: int = Field(2, ge=0, le=1000, description="Shoppers per fitting slot (0: no fittings)")
    hold_seconds: int = Field(900, ge=1, le=86400, description="How long an unconfirmed hold keeps stock")
    pickup_hours: int = Field(48, ge=1, le=720, description="How long a confirmed reservation without a slot lasts")
    booking_days: int = Field(14, ge=1, le=90, description="How far ahead fitting slots are offered")


class StoreUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    address: str | None = Field(None, max_length=400)
    postcode: str | None = Field(None, max_length=16)
    timezone: str | None = Field(None, max_length=64)
    opening_hours: dict[str, list[list[str]]] | None = HoursField
    slot_minutes: int | None = Field(None, ge=5, le=240)
    fitting_capacity: int | None = Field(None, ge=0, le=1000)
    hold_seconds: int | None = Field(None, ge=1, le=86400)
    pickup_hours: int | None = Field(None, ge=1, le=720)
    booking_days: int | None = Field(None, ge=1, le=90)


@router.post("", status_code=201, summary="Create a store (admin)")
async def create(body: StoreCreate, commerce: CommerceDep, principal: AdminDep,
                 idempotency_key: IdempotencyKey = None) -> Any:
    values = body.model_dump()
    values["opening_hours"] = values["opening_hours"] if values["opening_hours"] is not None else dict(DEFAULT_HOURS)
    store = StoreInput(**values)
    now = commerce.clock()
    return await idempotent_create(commerce.db, "store.create", idempotency_key, values, now,
                                   lambda conn: create_store(conn, store, now))


@router.get("", summary="Every active store")
async def stores(commerce: CommerceDep, limit: int = Query(1000, ge=1, le=10_000),
                 offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
    async with commerce.db.read() as conn:
        return await list_stores(conn, limit, offset)


@router.get("/{store_id}", summary="One store")
async def store(store_id: int, commerce: CommerceDep) -> dict[str, Any]:
    async with commerce.db.read() as conn:
        return describe_store(await get_store(conn, store_id))


@router.patch("/{store_id}", summary="Change a store's details or settings (admin)")
async def edit(store_id: int, body: StoreUpdate, commerce: CommerceDep, principal: AdminDep) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return await commerce.db.write(lambda conn: update_store(conn, store_id, changes))


@router.get("/{store_id}/slots", summary="The store's upcoming fitting slots with places left")
async def slots(store_id: int, commerce: CommerceDep, days: int = Query(7, ge=1, le=90)) -> dict[str, Any]:
    now = commerce.clock()
    async with commerce.db.read() as conn:
        store = await get_store(conn, store_id)
        return {"store_id": store_id, "timezone": store["timezone"], "slot_minutes": store["slot_minutes"],
                "slots": await store_slots(conn, store, now, days)}
