"""Catalog routes: the product list and each product's normalised model for browsers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from server.api.deps import CatalogDep

router = APIRouter(prefix="/api/products", tags=["products"])


@router.get("", summary="The product catalog")
def list_products(catalog: CatalogDep) -> list[dict[str, Any]]:
    return [catalog.describe(p) for p in catalog.products()]


@router.get("/{product_id}", summary="One product")
def get_product(product_id: str, catalog: CatalogDep) -> dict[str, Any]:
    return catalog.describe(catalog.get(product_id))


@router.get("/{product_id}/model.glb", summary="The normalised model (GLB, metres, product frame)",
            response_class=Response, responses={200: {"content": {"model/gltf-binary": {}}}})
def product_model(product_id: str, catalog: CatalogDep,
                  variant: str | None = Query(None, description="Variant name; default: the file's own materials")) -> Response:
    data = catalog.model_glb(product_id, variant)
    return Response(data, media_type="model/gltf-binary", headers={"Cache-Control": "public, max-age=300"})
