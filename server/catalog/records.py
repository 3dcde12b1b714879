"""Catalog rows as immutable records: what every process keeps in its snapshot and what the API
describes. Pure data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tryon.products.model import FitProfile, Product


@dataclass(frozen=True)
class CatalogSku:
    sku: str
    variant: str  # the catalog's name for it, e.g. "black" or "black-52"
    colour: str = ""
    size: str = ""
    model_variant: str | None = None  # the model look it shows (KHR_materials_variants name; None: default)
    price_cents: int | None = None
    currency: str = "EUR"
    active: bool = True
    position: int = 0

    def describe(self) -> dict[str, Any]:
        return {"name": self.variant, "sku": self.sku, "colour": self.colour, "size": self.size,
                "model_variant": self.model_variant, "price": price_text(self.price_cents),
                "price_cents": self.price_cents, "currency": self.currency, "active": self.active}


@dataclass(frozen=True)
class AssetInfo:
    id: int
    original_name: str
    source_format: str
    original_sha256: str
    prepared_sha256: str
    report: dict[str, Any]
    variants: tuple[str, ...]
    size_mm: tuple[float, float, float]
    original_triangles: int
    prepared_triangles: int
    created_at: datetime

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "original_name": self.original_name, "source_format": self.source_format,
                "original_sha256": self.original_sha256, "prepared_sha256": self.prepared_sha256,
                "model_variants": list(self.variants), "size_mm": list(self.size_mm),
                "original_triangles": self.original_triangles, "prepared_triangles": self.prepared_triangles,
                "created_at": self.created_at.isoformat(), "report": self.report}


@dataclass(frozen=True)
class CatalogProduct:
    id: str
    name: str
    category: str
    description: str = ""
    source: str = "bundled"  # or "import"
    active: bool = True
    fit: dict[str, Any] | None = None  # real_width_mm, fit_to_face, offset_mm, confirmed
    default_variant: str | None = None
    revision: int = 1
    skus: tuple[CatalogSku, ...] = ()
    asset: AssetInfo | None = None
    bundled_file: str | None = None  # a bundled product's model file (assets/products)

    @property
    def variants(self) -> tuple[CatalogSku, ...]:
        """The active SKUs, default first, then in display order."""
        live = sorted((s for s in self.skus if s.active), key=lambda s: (s.position, s.variant))
        first = [s for s in live if s.variant == self.default_variant]
        return tuple(first + [s for s in live if s.variant != self.default_variant])

    def sku(self, variant: str) -> CatalogSku | None:
        return next((s for s in self.variants if s.variant == variant), None)

    def engine_product(self, model_path: str) -> Product:
        """The engine's view of it, for the live try-on and renders."""
        fit = self.fit or {}
        offset = tuple(float(v) for v in fit.get("offset_mm") or (0.0, 0.0, 0.0))
        width = fit.get("real_width_mm")
        variants = self.variants
        return Product(
            id=self.id, name=self.name, description=self.description, model_path=model_path,
            fit=FitProfile(category=self.category,  # type: ignore[arg-type]
                           real_width_mm=float(width) if width is not None else None,
                           fit_to_face=bool(fit.get("fit_to_face", False)),
                           offset_mm=(offset[0], offset[1], offset[2])),
            variants=tuple(s.variant for s in variants),
            looks=tuple((s.variant, s.model_variant) for s in variants if s.model_variant != s.variant))


def price_text(cents: int | None) -> str | None:
    """129.00 for 12900 cents: prices travel as decimal strings, never floats."""
    return None if cents is None else f"{cents // 100}.{cents % 100:02d}"
