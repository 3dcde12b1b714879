"""The product catalog as the service sees it: catalog ids only (a client can never make the
server open a file path), the normalised models, and their GLB exports for browsers."""

from __future__ import annotations

from server.commerce.catalog_sync import CatalogEntry, sku_for

import os
import threading
from typing import Any

from tryon.errors import UnknownProduct
from tryon.products.catalog import list_products, load_product_model
from tryon.products.export_glb import product_model_glb
from tryon.products.model import Product

GLB_CACHE_SIZE = 64  # (product, variant) exports kept in memory; a few hundred KB each


class ProductCatalog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._glb: dict[tuple[str, str, str | None, int], bytes] = {}

    def products(self) -> list[Product]:
        return list_products()

    def get(self, product_id: str) -> Product:
        """The catalog product with this id; raises UnknownProduct listing the known ids."""
        products = {p.id: p for p in list_products()}
        if product_id not in products:
            raise UnknownProduct(f"unknown product {product_id!r}; known products: {', '.join(products)}")
        return products[product_id]

    def check_variant(self, product: Product, variant: str | None) -> None:
        """Loads the model (cached) and raises UnknownVariant / UnsupportedModel. Slow the first
        time for a product: call it off the event loop."""
        load_product_model(product).materials_for(variant)

    def model_glb(self, product_id: str, variant: str | None) -> bytes:
        product = self.get(product_id)
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
                self._glb[key] = product_model_glb(load_product_model(product), variant)
            return self._glb[key]

    def describe(self, product: Product) -> dict[str, Any]:
        return {
            "id": product.id,
            "name": product.name,
            "category": product.fit.category,
            "description": product.description,
            "variants": [{"name": v, "sku": sku_for(product.id, v)} for v in product.variants],
            "default_variant": product.variants[0] if product.variants else None,
            "real_width_mm": product.fit.real_width_mm,
            "model_url": f"/api/products/{product.id}/model.glb",
        }

    def entries(self) -> list[CatalogEntry]:
        """The catalog as SKU rows for the commerce database."""
        return [CatalogEntry(p.id, p.name, p.fit.category, tuple(p.variants)) for p in self.products()]

    def warm(self) -> None:
        """Load every model once (done in the background at start-up, so a shopper's first
        product switch does not wait for a file parse)."""
        for product in list_products():
            try:
                load_product_model(product)
            except Exception:  # a broken model is reported when someone asks for it
                continue
