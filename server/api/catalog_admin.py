"""Admin catalog routes: import a retailer's 3D model as a product (the file is the request body,
so `curl --data-binary @frame.glb` works), replace its model, list, show, change and retire
products and their SKUs."""

from __future__ import annotations

import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from server.api.auth import AdminDep, CommerceDep
from server.api.deps import CatalogDep
from server.catalog.admin import ProductChange, SkuChange, change_product, parse_price, retire_product
from server.catalog.blobs import read_blob
from server.catalog.importer import ImportRequest, import_file, resolve_names
from server.catalog.records import CatalogProduct
from server.catalog.service import ProductCatalog
from server.commerce.errors import InvalidRequest, PayloadTooLarge
from tryon.products.gltf_file import MAX_MODEL_BYTES

router = APIRouter(prefix="/api/catalog/products", tags=["catalog admin"])
UPLOAD_SUFFIXES = (".glb", ".gltf", ".obj", ".zip")
# One import at a time per process: preparing a model takes a core for a second or more, and the
# live sessions of this process need theirs.
_IMPORTS = ThreadPoolExecutor(1, thread_name_prefix="catalog-import")


class FitPatch(BaseModel):
    real_width_mm: float | None = Field(None, gt=0, le=3000)
    fit_to_face: bool | None = None
    offset_mm: list[float] | None = Field(None, min_length=3, max_length=3)
    confirmed: bool | None = Field(None, description="The retailer checked the suggested fit")


class VariantPatch(BaseModel):
    name: str = Field(min_length=1, max_length=64, description="An existing variant, or a new one (e.g. a size)")
    colour: str | None = Field(None, max_length=64)
    size: str | None = Field(None, max_length=32)
    model_variant: str | None = Field(None, max_length=64, description="The model look it shows")
    price: str | None = Field(None, description="Decimal string, e.g. \"129.90\"")
    currency: str | None = Field(None, min_length=3, max_length=3)
    active: bool | None = None


class ProductPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    category: str | None = None
    default_variant: str | None = None
    active: bool | None = None
    fit: FitPatch | None = None
    variants: list[VariantPatch] = Field(default_factory=list, max_length=200)


def _describe_admin(catalog: ProductCatalog, product: CatalogProduct) -> dict[str, Any]:
    described = catalog.describe(product)
    described.update(active=product.active, fit=product.fit, all_variants=[s.describe() for s in product.skus],
                     asset=product.asset.describe() if product.asset else None)
    return described


async def _body_to_file(request: Request, folder: Path, filename: str) -> Path:
    suffix = Path(filename).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InvalidRequest(f"filename {filename!r}: upload a .glb, a self-contained .gltf, an .obj, or a .zip "
                             "holding a .gltf/.obj with its .bin and textures")
    # The retailer's own file name (made safe), so every problem message names the file they sent.
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename).stem).strip("._")[:100] or "upload"
    target = folder / f"{stem}{suffix}"
    size = 0
    with target.open("wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_MODEL_BYTES:
                raise PayloadTooLarge(f"the upload is over {MAX_MODEL_BYTES // 2**20} MiB: reduce textures or "
                                      "geometry (see docs/products.md)")
            out.write(chunk)
    if size == 0:
        raise InvalidRequest("the request body is empty: send the model file as the body")
    return target


async def _import(request: Request, catalog: ProductCatalog, commerce: Any, filename: str,
                  wanted: ImportRequest) -> dict[str, Any]:
    resolve_names(wanted, filename)  # a bad id or category is refused before the upload is read
    with tempfile.TemporaryDirectory(prefix="tryon-import-") as tmp:
        path = await _body_to_file(request, Path(tmp), filename)
        result = await import_file(commerce.db, path, wanted, filename, commerce.clock(), _IMPORTS)
    await catalog.refresh()
    return {**_describe_admin(catalog, await catalog.lookup(result.product_id)), "created": result.created}


@router.post("", status_code=201, summary="Import a 3D model (the request body) as a new product",
             responses={422: {"description": "The model was rejected: `problems` lists every problem found"},
                        409: {"description": "The product id is taken"}, 413: {"description": "Upload too large"}})
async def import_product(request: Request, catalog: CatalogDep, commerce: CommerceDep, _: AdminDep,
                         filename: str = Query(..., max_length=255, description="The file's name, e.g. frame.glb "
                                               "(its extension says the format)"),
                         product_id: str | None = Query(None, alias="id", max_length=48),
                         name: str | None = Query(None, max_length=200),
                         category: str = Query("other", description="glasses, sunglasses, hat, earrings or other"),
                         description: str = Query("", max_length=4000),
                         source_unit: str | None = Query(None, pattern="^(m|cm|mm|inch)$"),
                         max_triangles: int | None = Query(60_000, ge=500, le=500_000),
                         max_texture_side: int | None = Query(2048, ge=64, le=8192)) -> dict[str, Any]:
    wanted = ImportRequest(product_id, name, category, description, source_unit, max_triangles, max_texture_side)
    return await _import(request, catalog, commerce, filename, wanted)


@router.put("/{product_id}/model", summary="Replace a product's 3D model (the request body); its SKUs stay")
async def replace_model(product_id: str, request: Request, catalog: CatalogDep, commerce: CommerceDep, _: AdminDep,
                        filename: str = Query(..., max_length=255),
                        source_unit: str | None = Query(None, pattern="^(m|cm|mm|inch)$"),
                        max_triangles: int | None = Query(60_000, ge=500, le=500_000),
                        max_texture_side: int | None = Query(2048, ge=64, le=8192)) -> dict[str, Any]:
    current = await catalog.lookup(product_id, include_inactive=True)
    wanted = ImportRequest(product_id, current.name, current.category, current.description, source_unit,
                           max_triangles, max_texture_side, replace=True)
    return await _import(request, catalog, commerce, filename, wanted)


@router.get("", summary="Every product, retired ones too, with its model upload")
async def admin_list(catalog: CatalogDep, _: AdminDep) -> list[dict[str, Any]]:
    await catalog.refresh()
    return [_describe_admin(catalog, p) for p in catalog.products(include_inactive=True)]


@router.get("/{product_id}", summary="One product with its import report and fit suggestion")
async def admin_show(product_id: str, catalog: CatalogDep, _: AdminDep) -> dict[str, Any]:
    return _describe_admin(catalog, await catalog.lookup(product_id, include_inactive=True))


@router.patch("/{product_id}", summary="Change a product: names, category, fit, variants (colour, size, price)")
async def admin_patch(product_id: str, body: ProductPatch, catalog: CatalogDep, commerce: CommerceDep,
                      _: AdminDep) -> dict[str, Any]:
    values = body.model_dump(exclude_none=True, include={"name", "description", "category", "default_variant",
                                                         "active"})
    fit = body.fit.model_dump(exclude_none=True) if body.fit else {}
    skus = []
    for v in body.variants:
        sku = v.model_dump(exclude_none=True, exclude={"name", "price"})
        if v.price is not None:
            sku["price_cents"] = parse_price(v.price)
        if v.currency is not None:
            sku["currency"] = v.currency.upper()
        skus.append(SkuChange(v.name, sku))
    change = ProductChange(values, fit, tuple(skus))
    await commerce.db.write(lambda conn: change_product(conn, product_id, change, commerce.clock()))
    await catalog.refresh()
    return _describe_admin(catalog, await catalog.lookup(product_id, include_inactive=True))


@router.delete("/{product_id}", summary="Retire a product (its SKUs stay for old reservations; PATCH active "
               "brings it back)")
async def admin_retire(product_id: str, catalog: CatalogDep, commerce: CommerceDep, _: AdminDep) -> dict[str, Any]:
    await commerce.db.write(lambda conn: retire_product(conn, product_id, commerce.clock()))
    await catalog.refresh()
    return _describe_admin(catalog, await catalog.lookup(product_id, include_inactive=True))


@router.get("/{product_id}/original", summary="The model file as uploaded", response_class=Response)
async def admin_original(product_id: str, catalog: CatalogDep, commerce: CommerceDep, _: AdminDep) -> Response:
    product = await catalog.lookup(product_id, include_inactive=True)
    if product.asset is None:
        raise InvalidRequest(f"product {product_id!r} is bundled with the service; it has no upload")
    async with commerce.db.read() as conn:
        data = await read_blob(conn, product.asset.original_sha256)
    name = product.asset.original_name.replace('"', "")
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
