"""The catalog's products and variants as SKU rows that stock, reservations and coupons join.

The engine's catalog (assets/products/catalog.json) is the source for now; every process syncs
it at start (idempotent upserts), and SKUs that left the catalog are deactivated, never deleted,
so old reservations and ledger entries keep their meaning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.upsert import upsert
from server.db.tables import PRODUCTS, SKUS


@dataclass(frozen=True)
class CatalogEntry:
    product_id: str
    name: str
    category: str
    variants: tuple[str, ...]


def sku_for(product_id: str, variant: str) -> str:
    """The SKU of a product variant, e.g. round-classic-black."""
    return f"{product_id}-{variant}"


async def sync_catalog(conn: AsyncConnection, entries: Iterable[CatalogEntry]) -> int:
    """Upsert products and SKUs; deactivate the ones no longer listed. Returns the SKU count."""
    entries = list(entries)
    products = [{"id": e.product_id, "name": e.name, "category": e.category, "active": True} for e in entries]
    skus = [{"sku": sku_for(e.product_id, v), "product_id": e.product_id, "variant": v, "active": True}
            for e in entries for v in e.variants]
    if products:
        await conn.execute(upsert(conn, PRODUCTS, ["id"], ["name", "category", "active"]), products)
    if skus:
        await conn.execute(upsert(conn, SKUS, ["sku"], ["product_id", "variant", "active"]), skus)
    await conn.execute(update(PRODUCTS).where(PRODUCTS.c.id.not_in([p["id"] for p in products])).values(active=False))
    await conn.execute(update(SKUS).where(SKUS.c.sku.not_in([s["sku"] for s in skus])).values(active=False))
    return len(skus)
