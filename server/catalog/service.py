"""The catalog as one server process sees it: a snapshot of the database's products, SKUs and
model uploads, kept fresh, and the models loaded from it.

Catalog ids only: a client can never make the server open a file path. The snapshot is re-read
after this process changes the catalog, when a product is asked for that it does not know (made
by another process a moment ago), and otherwise at most every REFRESH_S when the database's
catalog stamp (product count and revisions) moved, so every process follows every other with no
shared memory and no message bus. Without a database (the CLI, some tests) it is the bundled
catalog alone.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from server.catalog.blobs import BlobFiles
from server.catalog.bundled import CatalogEntry, entry_for, sku_for
from server.catalog.queries import catalog_stamp, load_catalog
from server.catalog.records import CatalogProduct, CatalogSku
from server.db.database import Database
from tryon.errors import UnknownProduct
from tryon.products.catalog import list_products, load_product_model
from tryon.products.export_glb import product_model_glb
from tryon.products.model import Product

GLB_CACHE_SIZE = 64  # (product, variant) exports kept in memory; a few hundred KB each
REFRESH_S = 2.0  # how stale another process's catalog change may be seen here, at most
PREPARED_SUFFIX = ".glb"


class ProductCatalog:
    def __init__(self, db: Database | None = None, files_dir: Path | None = None) -> None:
        self.db = db
        self.files = BlobFiles(files_dir or Path("data") / "catalog-files")
        self._lock = threading.Lock()
        self._refresh_lock = asyncio.Lock() if db is not None else None
        self._glb: dict[tuple[str, str, str | None, int], bytes] = {}
        self._bundled = {p.id: p for p in list_products()}
        self._products: dict[str, CatalogProduct] = {p.id: _bundled_record(p) for p in self._bundled.values()}
        self._stamp: tuple[int, int, int] | None = None
        self._checked = 0.0

    # --- keeping the snapshot fresh ---

    async def refresh(self) -> None:
        """Read the whole catalog again (a few ms for hundreds of products)."""
        if self.db is None or self._refresh_lock is None:
            return
        async with self._refresh_lock:
            async with self.db.read() as conn:
                stamp = await catalog_stamp(conn)
                products = await load_catalog(conn, {i: p.model_path for i, p in self._bundled.items()})
            self._products, self._stamp, self._checked = products, stamp, time.monotonic()

    async def refresh_if_stale(self) -> None:
        """Re-read when another process changed the catalog (checked at most every REFRESH_S)."""
        if self.db is None or time.monotonic() - self._checked < REFRESH_S:
            return
        async with self.db.read() as conn:
            stamp = await catalog_stamp(conn)
        self._checked = time.monotonic()
        if stamp != self._stamp:
            await self.refresh()

    # --- reading it ---

    def products(self, include_inactive: bool = False) -> list[CatalogProduct]:
        return [p for p in self._products.values() if include_inactive or p.active]

    async def lookup(self, product_id: str, include_inactive: bool = False) -> CatalogProduct:
        """The product, re-reading the catalog once if this process does not know it yet."""
        await self.refresh_if_stale()
        found = self._products.get(product_id)
        if found is None or not (found.active or include_inactive):
            await self.refresh()
            found = self._products.get(product_id)
        if found is None or not (found.active or include_inactive):
            known = ", ".join(sorted(p.id for p in self.products())) or "none"
            raise UnknownProduct(f"unknown product {product_id!r}; known products: {known}")
        return found

    async def product(self, product_id: str) -> Product:
        """The engine Product for the live path and renders, its model file on local disk."""
        return await self.engine_product(await self.lookup(product_id))

    async def engine_product(self, record: CatalogProduct) -> Product:
        """The engine Product of a record already looked up."""
        if record.asset is not None and self.db is not None:
            path = await self.files.materialise(self.db, record.asset.prepared_sha256, PREPARED_SUFFIX)
            return record.engine_product(str(path))
        if record.bundled_file is not None:
            return record.engine_product(record.bundled_file)
        raise UnknownProduct(f"product {record.id!r} has no 3D model yet; import one (tryon catalog import)")

    def get(self, product_id: str) -> Product:
        """A bundled product by id, with no database round trip (the CLI and tests)."""
        if product_id not in self._bundled:
            raise UnknownProduct(f"unknown product {product_id!r}; known products: {', '.join(self._bundled)}")
        record = self._products.get(product_id) or _bundled_record(self._bundled[product_id])
        return record.engine_product(self._bundled[product_id].model_path)

    def check_variant(self, product: Product, variant: str | None) -> None:
        """Loads the model (cached) and raises UnknownVariant / UnsupportedModel. Slow the first
        time for a product: call it off the event loop."""
        look = product.look(variant)
        load_product_model(product).materials_for(look)

    def model_glb(self, product: Product, variant: str | None) -> bytes:
        """The normalised model wearing a variant, as GLB for browsers (cached). Off the event loop."""
        self.check_variant(product, variant)
        try:
            stamp = os.stat(product.model_path).st_mtime_ns  # an edited file is exported again
        except OSError:
            stamp = 0
        key = (product.model_path, product.fit.category, variant, stamp)
        with self._lock:  # one export per key even when several browsers ask at once
            if key not in self._glb:
                if len(self._glb) >= GLB_CACHE_SIZE:
                    self._glb.pop(next(iter(self._glb)))
                self._glb[key] = product_model_glb(load_product_model(product), product.look(variant))
            return self._glb[key]

    def describe(self, product: CatalogProduct) -> dict[str, Any]:
        variants = product.variants
        return {
            "id": product.id,
            "name": product.name,
            "category": product.category,
            "description": product.description,
            "variants": [s.describe() for s in variants],
            "default_variant": variants[0].variant if variants else None,
            "real_width_mm": (product.fit or {}).get("real_width_mm"),
            "dimensions_mm": list(product.asset.size_mm) if product.asset else None,
            "wearable": product.category != "other",
            "source": product.source,
            "revision": product.revision,
            "model_url": f"/api/products/{product.id}/model.glb",
            "page_url": f"/products/{product.id}",
            "thumbnail_url": f"/products/{product.id}/thumbnail.webp",
        }

    def entries(self) -> list[CatalogEntry]:
        """The bundled catalog as rows for the database (synced at start)."""
        return [entry_for(p) for p in self._bundled.values()]

    @property
    def default_variants(self) -> Mapping[str, str]:
        """product id -> the variant a session wears when it names none; follows the snapshot."""
        return _DefaultVariants(self)

    def warm(self) -> None:
        """Load every bundled model once (in the background at start-up, so a shopper's first
        product switch does not wait for a file parse)."""
        for product in self._bundled.values():
            try:
                load_product_model(product)
            except Exception:  # a broken model is reported when someone asks for it
                continue


class _DefaultVariants(Mapping[str, str]):
    def __init__(self, catalog: ProductCatalog) -> None:
        self._catalog = catalog

    def _current(self) -> dict[str, str]:
        return {p.id: p.variants[0].variant for p in self._catalog.products(include_inactive=True) if p.variants}

    def __getitem__(self, key: str) -> str:
        return self._current()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())


def _bundled_record(product: Product) -> CatalogProduct:
    entry = entry_for(product)
    return CatalogProduct(
        id=product.id, name=product.name, category=product.fit.category, description=product.description,
        fit=entry.fit, default_variant=product.variants[0] if product.variants else None,
        skus=tuple(CatalogSku(sku_for(product.id, v), v, model_variant=v, position=i)
                   for i, v in enumerate(product.variants)),
        bundled_file=product.model_path)
