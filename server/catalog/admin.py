"""Admin changes to catalog products and their SKUs: each one a transaction that bumps the
product's revision (so every process's snapshot follows) and writes a product event."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.catalog.importer import new_sku
from server.catalog.queries import bump_revision
from server.commerce.errors import InvalidRequest
from server.commerce.outbox import emit
from server.db.tables import PRODUCTS, SKUS
from tryon.errors import UnknownProduct
from tryon.products.normalise import CATEGORIES

CURRENCY = re.compile(r"^[A-Z]{3}$")
PRODUCT_FIELDS = ("name", "description", "category", "default_variant", "active")
FIT_FIELDS = ("real_width_mm", "fit_to_face", "offset_mm", "confirmed")
SKU_FIELDS = ("colour", "size", "model_variant", "price_cents", "currency", "active", "position")


@dataclass(frozen=True)
class SkuChange:
    variant: str
    values: dict[str, Any] = field(default_factory=dict)  # any of SKU_FIELDS


@dataclass(frozen=True)
class ProductChange:
    values: dict[str, Any] = field(default_factory=dict)  # any of PRODUCT_FIELDS
    fit: dict[str, Any] = field(default_factory=dict)  # any of FIT_FIELDS
    skus: tuple[SkuChange, ...] = ()


def parse_price(text: str | int | float | None) -> int | None:
    """'129.90' -> 12990 cents; None stays None. Floats are refused: money is decimal."""
    if text is None:
        return None
    if isinstance(text, bool) or isinstance(text, float):
        raise InvalidRequest("give prices as a decimal string, e.g. \"129.90\", or price_cents")
    match = re.fullmatch(r"(\d{1,9})(?:\.(\d{1,2}))?", str(text).strip())
    if not match:
        raise InvalidRequest(f"price {text!r} is not a decimal amount like 129.90")
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


async def change_product(conn: AsyncConnection, product_id: str, change: ProductChange, now: datetime) -> None:
    row = (await conn.execute(select(PRODUCTS).where(PRODUCTS.c.id == product_id))).first()
    if row is None:
        raise UnknownProduct(f"unknown product {product_id!r}")
    values = {k: v for k, v in change.values.items() if k in PRODUCT_FIELDS}
    if "category" in values and values["category"] not in CATEGORIES:
        raise InvalidRequest(f"unknown category {values['category']!r}; use one of {', '.join(CATEGORIES)}")
    if change.fit:
        values["fit"] = {**(row.fit or {}), **{k: v for k, v in change.fit.items() if k in FIT_FIELDS}}
    variants = {r.variant: r for r in (await conn.execute(select(SKUS).where(SKUS.c.product_id == product_id))).all()}
    for sku in change.skus:
        if await _change_sku(conn, product_id, variants, sku):  # a new SKU: later changes may name it
            variants = {r.variant: r for r in
                        (await conn.execute(select(SKUS).where(SKUS.c.product_id == product_id))).all()}
    if values.get("default_variant") is not None and values["default_variant"] not in variants:
        raise InvalidRequest(f"default_variant {values['default_variant']!r} is not one of this product's variants: "
                             f"{', '.join(variants)}")
    await bump_revision(conn, product_id, now, edited=True, **values)
    await emit(conn, "product.updated", {"product_id": product_id, "fields": sorted(set(values) | {
        f"variant:{s.variant}" for s in change.skus})}, now)


async def retire_product(conn: AsyncConnection, product_id: str, now: datetime) -> None:
    """Take a product out of the catalog. Its rows stay (reservations, ledger and coupons refer
    to its SKUs); PATCH active=true brings it back."""
    found = (await conn.execute(select(PRODUCTS.c.id).where(PRODUCTS.c.id == product_id))).first()
    if found is None:
        raise UnknownProduct(f"unknown product {product_id!r}")
    await conn.execute(update(SKUS).where(SKUS.c.product_id == product_id).values(active=False))
    await bump_revision(conn, product_id, now, active=False, edited=True)
    await emit(conn, "product.retired", {"product_id": product_id}, now)


async def _change_sku(conn: AsyncConnection, product_id: str, variants: dict[str, Any], change: SkuChange) -> bool:
    """Update the variant's SKU, or add one; True when a SKU was added."""
    values = {k: v for k, v in change.values.items() if k in SKU_FIELDS}
    if "currency" in values and not CURRENCY.match(str(values["currency"])):
        raise InvalidRequest(f"currency {values['currency']!r} is not an ISO 4217 code like EUR")
    if values.get("price_cents") is not None and (not isinstance(values["price_cents"], int)
                                                  or values["price_cents"] < 0):
        raise InvalidRequest("price_cents must be a whole number of cents, 0 or more")
    found = variants.get(change.variant)
    if found is not None:
        if values:
            await conn.execute(update(SKUS).where(SKUS.c.sku == found.sku).values(**values))
        return False
    if not re.fullmatch(r"[\w .+/-]{1,64}", change.variant):
        raise InvalidRequest(f"variant name {change.variant!r}: 1-64 letters, digits, spaces or . + / - _")
    looks = {r.model_variant for r in variants.values()}
    look = values.get("model_variant")
    if look is not None and look not in looks:
        raise InvalidRequest(f"model_variant {look!r} is not one of the model's looks: "
                             f"{', '.join(sorted(str(v) for v in looks)) or 'none'}")
    await conn.execute(insert(SKUS), {"sku": new_sku(product_id, change.variant), "product_id": product_id,
                                      "variant": change.variant, "position": len(variants),
                                      **{"active": True, "model_variant": None, **values}})
    return True
