"""The engine's bundled demo catalog (assets/products/catalog.json) as database rows.

Every process syncs it at start (idempotent): bundled products missing from the database are
added, and ones no admin has edited follow the file. Products and SKUs that left the file are
deactivated, never deleted, so old reservations and ledger entries keep their meaning. Imported
products (source "import") are never touched here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import PRODUCTS, SKUS
from tryon.products.model import Product

PG_CATALOG_SYNC_LOCK = 7_343_003  # advisory lock key (7_343_001: migrations, 7_343_002: demo stores)


@dataclass(frozen=True)
class CatalogEntry:
    product_id: str
    name: str
    category: str
    variants: tuple[str, ...]
    description: str = ""
    fit: dict[str, Any] = field(default_factory=dict)


def sku_for(product_id: str, variant: str) -> str:
    """The SKU of a product variant, e.g. round-classic-black."""
    return f"{product_id}-{variant}"


def entry_for(product: Product) -> CatalogEntry:
    fit = {"real_width_mm": product.fit.real_width_mm, "fit_to_face": product.fit.fit_to_face,
           "offset_mm": list(product.fit.offset_mm), "confirmed": True}
    return CatalogEntry(product.id, product.name, product.fit.category, tuple(product.variants), product.description,
                        fit)


async def sync_catalog(conn: AsyncConnection, entries: Iterable[CatalogEntry], now: datetime | None = None) -> int:
    """Bring the bundled rows in line with `entries`; the number of bundled SKUs listed.

    Every process runs it at start: on PostgreSQL an advisory lock makes the second wait and then
    see the first one's rows (SQLite's write transactions are serial already)."""
    entries = list(entries)
    if conn.dialect.name != "sqlite":
        await conn.execute(text("select pg_advisory_xact_lock(:k)"), {"k": PG_CATALOG_SYNC_LOCK})
    rows = {r.id: r for r in (await conn.execute(select(PRODUCTS))).all()}
    for entry in entries:
        values = {"name": entry.name, "category": entry.category, "description": entry.description,
                  "fit": entry.fit, "default_variant": entry.variants[0] if entry.variants else None, "active": True}
        row = rows.get(entry.product_id)
        if row is None:
            await conn.execute(insert(PRODUCTS), {"id": entry.product_id, "source": "bundled", "revision": 1,
                                                  "edited": False, "updated_at": now, **values})
        elif row.source == "bundled" and not row.edited and any(getattr(row, k) != v for k, v in values.items()):
            await conn.execute(update(PRODUCTS).where(PRODUCTS.c.id == entry.product_id)
                               .values(revision=PRODUCTS.c.revision + 1, updated_at=now, **values))
    listed = {sku_for(e.product_id, v): (e, i, v) for e in entries for i, v in enumerate(e.variants)}
    bundled_ids = {e.product_id for e in entries} | {i for i, r in rows.items() if r.source == "bundled"}
    skus = {r.sku: r for r in (await conn.execute(select(SKUS).where(SKUS.c.product_id.in_(bundled_ids)))).all()}
    for sku, (entry, position, variant) in listed.items():
        found = skus.get(sku)
        if found is None:
            await conn.execute(insert(SKUS), {"sku": sku, "product_id": entry.product_id, "variant": variant,
                                              "model_variant": variant, "position": position, "active": True})
        elif not found.active and not _edited(rows.get(entry.product_id)):
            await conn.execute(update(SKUS).where(SKUS.c.sku == sku).values(active=True))
    gone = [s for s, r in skus.items() if s not in listed and r.active and not _edited(rows.get(r.product_id))]
    if gone:
        await conn.execute(update(SKUS).where(SKUS.c.sku.in_(gone)).values(active=False))
    dropped = [i for i, r in rows.items() if r.source == "bundled" and r.active and i not in
               {e.product_id for e in entries}]
    if dropped:
        await conn.execute(update(PRODUCTS).where(PRODUCTS.c.id.in_(dropped))
                           .values(active=False, revision=PRODUCTS.c.revision + 1, updated_at=now))
    return len(listed)


def _edited(row: Any) -> bool:
    return bool(row is not None and row.edited)
