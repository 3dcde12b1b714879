"""The bundled product catalog (assets/products/catalog.json) and user model files as Products.

The assets folder is found by walking up from this file to the repository's `assets/products`
(the package is installed in editable mode); the TRYON_ASSETS_DIR environment variable, read in
`products_dir` only, overrides it with a folder holding `products/catalog.json` (or
`catalog.json` itself).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from tryon.errors import CatalogError, UnknownProduct
from tryon.products.load import load_model, model_variant_names
from tryon.products.model import FitProfile, Product, ProductModel
from tryon.products.normalise import CATEGORIES

ASSETS_ENV_VAR = "TRYON_ASSETS_DIR"
CATALOG_FILE = "catalog.json"
MODEL_SUFFIXES = (".glb", ".gltf")
DEFAULT_FILE_CATEGORY = "glasses"  # a bare model file is most often a pair of frames (see cli --category)
MODEL_CACHE_SIZE = 32  # normalised models kept per process; a demo catalog has a handful


def products_dir() -> Path:
    """The folder holding catalog.json and the product models."""
    override = os.environ.get(ASSETS_ENV_VAR)
    if override:
        root = Path(override).expanduser()
        return root if (root / CATALOG_FILE).is_file() else root / "products"
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "assets" / "products"
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parents[2] / "assets" / "products"


def list_products() -> list[Product]:
    """Every catalog product, in catalog order. Raises CatalogError if there is no catalog, or
    naming the entry if the catalog is malformed."""
    catalog = products_dir() / CATALOG_FILE
    if not catalog.is_file():
        raise CatalogError(
            f"no product catalog at {catalog}; set {ASSETS_ENV_VAR} to the folder holding products/{CATALOG_FILE}"
        )
    try:
        entries = json.loads(catalog.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{catalog}: not valid JSON ({exc}); regenerate it with assets/build_demo_catalog.py") from exc
    if not isinstance(entries, list):
        raise CatalogError(f"{catalog}: must hold a JSON list of products")
    products = [_product_from_entry(entry, i, catalog) for i, entry in enumerate(entries)]
    ids = [p.id for p in products]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CatalogError(f"{catalog}: duplicate product ids {duplicates}")
    return products


def resolve_product(id_or_path: str, category: str | None = None) -> Product:
    """A catalog product by id, or a Product for a .glb/.gltf path.

    category: for a path, the product category (default DEFAULT_FILE_CATEGORY); for a catalog
    id, overrides the catalog's. Raises UnknownProduct listing the known ids.
    """
    if category is not None and category not in CATEGORIES:
        raise CatalogError(f"unknown product category {category!r}; use one of {', '.join(CATEGORIES)}")
    catalog = _catalog_or_none()
    if catalog is not None and id_or_path in catalog:
        product = catalog[id_or_path]
        if category is None or category == product.fit.category:
            return product
        return _with_category(product, category)
    path = Path(id_or_path).expanduser()
    if path.is_file():
        return Product(
            id=id_or_path,
            name=path.stem,
            fit=FitProfile(category=category or DEFAULT_FILE_CATEGORY),  # type: ignore[arg-type]
            model_path=str(path.resolve()),
            variants=model_variant_names(path),
        )
    known = ", ".join(catalog) if catalog else f"none (no catalog at {products_dir() / CATALOG_FILE})"
    if path.suffix.lower() in MODEL_SUFFIXES:
        raise UnknownProduct(f"no model file at {path}; check the path, or use a catalog id: {known}")
    raise UnknownProduct(
        f"unknown product {id_or_path!r}: not a catalog id nor a .glb/.gltf file; known products: {known}"
    )


def load_product_model(product: Product) -> ProductModel:
    """The product's model loaded and normalised for its category; cached per process by path,
    modification time and category, so an edited file is reloaded. Raises UnsupportedModel."""
    path = Path(product.model_path)
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = (0, 0)  # load_model reports the missing file
    return _load_cached(str(path), stamp, product.fit.category)


@lru_cache(maxsize=MODEL_CACHE_SIZE)
def _load_cached(path: str, stamp: tuple[int, int], category: str) -> ProductModel:
    return load_model(path, category)


def _catalog_or_none() -> dict[str, Product] | None:
    if not (products_dir() / CATALOG_FILE).is_file():
        return None
    return {p.id: p for p in list_products()}


def _with_category(product: Product, category: str) -> Product:
    return replace(product, fit=replace(product.fit, category=category))


def _product_from_entry(entry: Any, index: int, catalog: Path) -> Product:
    where = f"{catalog}: product {index}"
    if not isinstance(entry, dict):
        raise CatalogError(f"{where} must be a JSON object")
    missing = [key for key in ("id", "name", "category", "file") if not entry.get(key)]
    if missing:
        raise CatalogError(f"{where} ({entry.get('id', '?')}) lacks {', '.join(missing)}")
    if entry["category"] not in CATEGORIES:
        raise CatalogError(
            f"{where} ({entry['id']}): category {entry['category']!r} is not one of {', '.join(CATEGORIES)}"
        )
    variants = tuple(str(v) for v in entry.get("variants") or ())
    default = entry.get("default_variant")
    if default is not None:
        if default not in variants:
            raise CatalogError(
                f"{where} ({entry['id']}): default_variant {default!r} is not among its variants {list(variants)}"
            )
        variants = (default, *(v for v in variants if v != default))  # the default goes first
    width = entry.get("real_width_mm")
    offset = entry.get("offset_mm") or (0.0, 0.0, 0.0)
    return Product(
        id=str(entry["id"]),
        name=str(entry["name"]),
        fit=FitProfile(
            category=entry["category"],
            real_width_mm=float(width) if width is not None else None,
            fit_to_face=bool(entry.get("fit_to_face", False)),
            offset_mm=(float(offset[0]), float(offset[1]), float(offset[2])),
        ),
        model_path=str((catalog.parent / entry["file"]).resolve()),
        variants=variants,
        description=str(entry.get("description", "")),
    )
