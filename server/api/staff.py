"""Staff keys (admin) and 'who am I' for the staff page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from server.api.auth import AdminDep, CommerceDep, PrincipalDep
from server.api.idempotent import IdempotencyKey, idempotent_create
from server.commerce.errors import NotFound
from server.commerce.staff import create_staff_key, list_staff_keys, revoke_staff_key
from server.commerce.stores import list_stores

router = APIRouter(tags=["staff"])


class StaffKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Who holds it, e.g. 'Opéra front desk'")
    store_ids: list[int] = Field(min_length=1, max_length=1000, description="Stores the key may act on")


@router.post("/api/staff-keys", status_code=201, summary="Create a staff key for some stores (admin); shown once")
async def create(body: StaffKeyCreate, commerce: CommerceDep, principal: AdminDep,
                 idempotency_key: IdempotencyKey = None) -> Any:
    now = commerce.clock()
    return await idempotent_create(commerce.db, "staff_key.create", idempotency_key, body.model_dump(), now,
                                   lambda conn: create_staff_key(conn, body.name, body.store_ids, now))


@router.get("/api/staff-keys", summary="Every staff key, without the keys themselves (admin)")
async def keys(commerce: CommerceDep, principal: AdminDep) -> list[dict[str, Any]]:
    async with commerce.db.read() as conn:
        return await list_staff_keys(conn)


@router.delete("/api/staff-keys/{key_id}", status_code=204, summary="Revoke a staff key (admin)")
async def revoke(key_id: int, commerce: CommerceDep, principal: AdminDep) -> None:
    now = commerce.clock()
    if not await commerce.db.write(lambda conn: revoke_staff_key(conn, key_id, now)):
        raise NotFound(f"no live staff key with id {key_id}")


@router.get("/api/me", summary="The caller's role and the stores its key covers")
async def me(commerce: CommerceDep, principal: PrincipalDep) -> dict[str, Any]:
    async with commerce.db.read() as conn:
        stores = await list_stores(conn, limit=10_000)
    if principal.store_ids is not None:
        stores = [s for s in stores if s["id"] in principal.store_ids]
    return {"role": "admin" if principal.is_admin else "staff", "name": principal.name,
            "stores": [{"id": s["id"], "name": s["name"], "timezone": s["timezone"]} for s in stores]}
