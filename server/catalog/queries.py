"""Reading the catalog out of the database and the small writes admins make to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.catalog.records import AssetInfo, CatalogProduct, CatalogSku
from server.db.tables import ASSETS, PRODUCTS, SKUS


async def load_catalog(conn: AsyncConnection, bundled_files: dict[str, str]) -> dict[str, CatalogProduct]:
    """Every product (active or not) with its SKUs and current model upload."""
    skus: dict[str, list[CatalogSku]] = {}
    for row in (await conn.execute(select(SKUS))).mappings():
        skus.setdefault(row["product_id"], []).append(_sku(row))
    asset_ids = [r.asset_id for r in (await conn.execute(select(PRODUCTS.c.asset_id)
                                                         .where(PRODUCTS.c.asset_id.is_not(None))))]
    assets = {}
    if asset_ids:
        for row in (await conn.execute(select(ASSETS).where(ASSETS.c.id.in_(asset_ids)))).mappings():
            assets[row["id"]] = _asset(row)
    products = {}
    for row in (await conn.execute(select(PRODUCTS))).mappings():
        products[row["id"]] = CatalogProduct(
            id=row["id"], name=row["name"], category=row["category"], description=row["description"] or "",
            source=row["source"], active=row["active"], fit=dict(row["fit"] or {}),
            default_variant=row["default_variant"], revision=row["revision"],
            skus=tuple(skus.get(row["id"], ())), asset=assets.get(row["asset_id"]),
            bundled_file=bundled_files.get(row["id"]) if row["source"] == "bundled" else None)
    return products


async def catalog_stamp(conn: AsyncConnection) -> tuple[int, int, int]:
    """Changes whenever any product or SKU row changes (every write bumps a product's revision)."""
    count, revisions = (await conn.execute(select(func.count(), func.coalesce(func.sum(PRODUCTS.c.revision), 0))
                                           .select_from(PRODUCTS))).one()
    sku_count = (await conn.execute(select(func.count()).select_from(SKUS))).scalar_one()
    return int(count), int(revisions), int(sku_count)


async def bump_revision(conn: AsyncConnection, product_id: str, now: datetime, **values: Any) -> None:
    await conn.execute(update(PRODUCTS).where(PRODUCTS.c.id == product_id)
                       .values(revision=PRODUCTS.c.revision + 1, updated_at=now, **values))


def _sku(row: Any) -> CatalogSku:
    return CatalogSku(sku=row["sku"], variant=row["variant"], colour=row["colour"] or "", size=row["size"] or "",
                      model_variant=row["model_variant"], price_cents=row["price_cents"],
                      currency=row["currency"] or "EUR", active=row["active"], position=row["position"] or 0)


def _asset(row: Any) -> AssetInfo:
    size = tuple(float(v) for v in (row["size_mm"] or (0, 0, 0)))
    return AssetInfo(id=row["id"], original_name=row["original_name"], source_format=row["source_format"],
                     original_sha256=row["original_sha256"], prepared_sha256=row["prepared_sha256"],
                     report=dict(row["report"] or {}), variants=tuple(row["variants"] or ()),
                     size_mm=(size + (0.0, 0.0, 0.0))[:3],  # type: ignore[arg-type]
                     original_triangles=row["original_triangles"], prepared_triangles=row["prepared_triangles"],
                     created_at=row["created_at"])
