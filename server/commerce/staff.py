"""Who is calling: the admin (TRYON_ADMIN_KEY) or a store's staff (a staff key scoped to stores).

Staff keys are random, shown once at creation and stored only as SHA-256 hashes; a lookup is one
indexed query by hash, so a leaked database does not leak usable keys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.commerce.errors import Forbidden, InvalidRequest, NotAuthorised, UnknownStore
from server.db.tables import KEY_STORES, STAFF_KEYS, STORES

STAFF_KEY_PREFIX = "tsk_"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. `store_ids` is None for the admin (every store)."""

    name: str
    store_ids: frozenset[int] | None

    @property
    def is_admin(self) -> bool:
        return self.store_ids is None

    def require_store(self, store_id: int) -> None:
        if self.store_ids is not None and store_id not in self.store_ids:
            raise Forbidden(f"this staff key does not cover store {store_id}")

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("this call needs the admin key")


ADMIN = Principal("admin", None)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def authenticate(conn: AsyncConnection, key: str, admin_key: str) -> Principal:
    if hmac.compare_digest(key.encode(), admin_key.encode()):
        return ADMIN
    if not key.startswith(STAFF_KEY_PREFIX):
        raise NotAuthorised("the key is not valid")
    row = (await conn.execute(select(STAFF_KEYS.c.id, STAFF_KEYS.c.name).where(
        STAFF_KEYS.c.key_hash == hash_key(key), STAFF_KEYS.c.revoked_at.is_(None)))).first()
    if row is None:
        raise NotAuthorised("the key is not valid (unknown or revoked)")
    stores = (await conn.execute(select(KEY_STORES.c.store_id).where(KEY_STORES.c.staff_key_id == row.id))).scalars()
    return Principal(f"staff:{row.name}", frozenset(stores))


async def create_staff_key(conn: AsyncConnection, name: str, store_ids: list[int], now: datetime) -> dict[str, Any]:
    """A new key for the staff of `store_ids`; the key itself is returned only here."""
    if not store_ids:
        raise InvalidRequest("a staff key needs at least one store")
    wanted = sorted(set(store_ids))
    found = set((await conn.execute(select(STORES.c.id).where(STORES.c.id.in_(wanted)))).scalars())
    missing = [s for s in wanted if s not in found]
    if missing:
        raise UnknownStore(f"no store with id {missing[0]}")
    key = STAFF_KEY_PREFIX + secrets.token_urlsafe(24)
    key_id = (await conn.execute(insert(STAFF_KEYS).returning(STAFF_KEYS.c.id),
                                 {"name": name, "key_hash": hash_key(key), "created_at": now})).scalar_one()
    await conn.execute(insert(KEY_STORES), [{"staff_key_id": key_id, "store_id": s} for s in wanted])
    return {"id": key_id, "name": name, "store_ids": wanted, "key": key, "created_at": now.isoformat()}


async def revoke_staff_key(conn: AsyncConnection, key_id: int, now: datetime) -> bool:
    result = await conn.execute(update(STAFF_KEYS).where(STAFF_KEYS.c.id == key_id, STAFF_KEYS.c.revoked_at.is_(None))
                                .values(revoked_at=now))
    return result.rowcount == 1


async def list_staff_keys(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = (await conn.execute(select(STAFF_KEYS).order_by(STAFF_KEYS.c.id))).mappings().all()
    links = (await conn.execute(select(KEY_STORES))).all()
    stores: dict[int, list[int]] = {}
    for link in links:
        stores.setdefault(link.staff_key_id, []).append(link.store_id)
    return [{"id": r["id"], "name": r["name"], "store_ids": sorted(stores.get(r["id"], [])),
             "created_at": r["created_at"].isoformat(),
             "revoked_at": r["revoked_at"].isoformat() if r["revoked_at"] else None} for r in rows]
