"""Public catalog routes: the product list, one product, and its normalised model for browsers."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Query, Response

from server.api.deps import CatalogDep, ServicesDep
from tryon.products.catalog import load_product_model

router = APIRouter(prefix="/api/products", tags=["products"])


@router.get("", summary="The product catalog (active products)")
async def list_products(catalog: CatalogDep) -> list[dict[str, Any]]:
    await catalog.refresh_if_stale()
    return [catalog.describe(p) for p in catalog.products()]


@router.get("/{product_id}", summary="One product, with its real dimensions in mm")
async def get_product(product_id: str, catalog: CatalogDep, services: ServicesDep) -> dict[str, Any]:
    record = await catalog.lookup(product_id)
    described = catalog.describe(record)
    if described["dimensions_mm"] is None:  # a bundled model: measured from the loaded model (cached)
        product = await catalog.engine_product(record)
        model = await asyncio.get_running_loop().run_in_executor(services.executor, load_product_model, product)
        described["dimensions_mm"] = [round(float(v), 1) for v in model.size_mm]
    return described


@router.get("/{product_id}/model.glb", summary="The normalised model (GLB, metres, product frame)",
            response_class=Response, responses={200: {"content": {"model/gltf-binary": {}}}})
async def product_model(product_id: str, catalog: CatalogDep, services: ServicesDep,
                        variant: str | None = Query(None, description="Variant name; default: the model's own "
                                                    "materials")) -> Response:
    product = await catalog.product(product_id)
    data = await asyncio.get_running_loop().run_in_executor(services.executor, catalog.model_glb, product, variant)
    return Response(data, media_type="model/gltf-binary", headers={"Cache-Control": "public, max-age=300"})
