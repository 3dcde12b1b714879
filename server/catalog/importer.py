"""Importing a retailer's 3D model as a catalog product: the engine prepares it (validate,
normalise, decimate, suggest the fit: tryon/products/prepare.py), then one transaction stores
the original upload and the prepared copy, the upload's report, the product and one SKU per
model variant, and a product event. A rejected model writes nothing at all.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.catalog.blobs import put_blob
from server.catalog.bundled import sku_for
from server.catalog.errors import InvalidProductId, ProductExists
from server.catalog.queries import bump_revision
from server.commerce.outbox import emit
from server.db.database import Database
from server.db.tables import ASSETS, PRODUCTS, SKUS
from tryon.errors import UnknownProduct
from tryon.products.normalise import CATEGORIES

PRODUCT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
NO_VARIANT = "default"  # the one SKU of a model without KHR_materials_variants
GLB_MEDIA_TYPE = "model/gltf-binary"


@dataclass(frozen=True)
class ImportRequest:
    product_id: str | None = None  # default: a slug of the name or file name
    name: str | None = None  # default: from the file name
    category: str = "other"
    description: str = ""
    source_unit: str | None = None
    max_triangles: int | None = 60_000
    max_texture_side: int | None = 2048
    replace: bool = False  # give an existing product this new model


@dataclass(frozen=True)
class ImportResult:
    product_id: str
    asset_id: int
    created: bool  # a new product (False: an existing one's model replaced)
    skus: list[str]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "product"


def new_sku(product_id: str, variant: str) -> str:
    """The SKU made for a new variant of a product, e.g. shoe-beach-42 (bundled ones: sku_for)."""
    return sku_for(product_id, slug(variant))[:64]


def resolve_names(request: ImportRequest, file_name: str) -> tuple[str, str]:
    """(product id, display name), checked."""
    stem = Path(file_name).stem
    name = (request.name or stem.replace("_", " ").replace("-", " ").strip() or "Product")[:200]
    product_id = request.product_id or slug(request.name or stem)
    if not PRODUCT_ID.match(product_id):
        raise InvalidProductId(f"product id {product_id!r} must be 1-48 lower-case letters, digits and dashes, "
                               "starting with a letter or digit (e.g. aviator-gold)")
    if request.category not in CATEGORIES:
        raise InvalidProductId(f"unknown category {request.category!r}; use one of {', '.join(CATEGORIES)}")
    return product_id, name


def original_bytes(path: Path) -> tuple[bytes, str]:
    """The upload as one file to keep: a .glb, .zip or self-contained file as it is; a .gltf or
    .obj with files beside it packed into a zip with those files (and nothing else from the folder)."""
    suffix = path.suffix.lower()
    sidecars = _gltf_sidecars(path) if suffix == ".gltf" else _obj_sidecars(path) if suffix == ".obj" else []
    if not sidecars:
        return path.read_bytes(), path.name
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, path.name)
        for relative in sidecars:
            archive.write(path.parent / relative, relative)
    return out.getvalue(), f"{path.stem}.zip"


def media_type(data: bytes) -> str:
    """What a kept upload is, from its first bytes (its name may say otherwise)."""
    if data.startswith(b"glTF"):
        return GLB_MEDIA_TYPE
    if data.startswith(b"PK\x03\x04"):
        return "application/zip"
    if data.lstrip()[:1] == b"{":
        return "model/gltf+json"
    return "model/obj"


def prepare_upload(path: Path, request: ImportRequest) -> Any:
    """The engine's PreparedModel; raises ModelRejected listing every problem. CPU-heavy: run it
    off the event loop."""
    from tryon.products.prepare import ImportOptions, prepare_model

    return prepare_model(path, ImportOptions(category=request.category, source_unit=request.source_unit,
                                             max_triangles=request.max_triangles,
                                             max_texture_side=request.max_texture_side))


async def import_file(db: Database, path: Path, request: ImportRequest, file_name: str, now: datetime,
                      executor: Executor | None = None) -> ImportResult:
    """Prepare the model at `path` (on `executor`: it takes a core for a second or more) and save
    it; `file_name` is the name the retailer gave it. Raises ModelRejected, ProductExists, ..."""
    loop = asyncio.get_running_loop()
    prepared = await loop.run_in_executor(executor, prepare_upload, path, request)
    original, kept_name = await loop.run_in_executor(executor, original_bytes, path)
    # a .gltf/.obj kept together with its files is a zip: say so in the name it is downloaded as
    stored_name = Path(file_name).stem + Path(kept_name).suffix
    return await save_import(db, request, stored_name, original, prepared, now)


async def save_import(db: Database, request: ImportRequest, file_name: str, original: bytes, prepared: Any,
                      now: datetime) -> ImportResult:
    product_id, name = resolve_names(request, file_name)

    async def work(conn: AsyncConnection) -> ImportResult:
        existing = (await conn.execute(select(PRODUCTS.c.id, PRODUCTS.c.active)
                                       .where(PRODUCTS.c.id == product_id))).first()
        if existing is not None and not request.replace:
            raise ProductExists(f"product {product_id!r} exists; choose another id, or replace its model "
                                f"(--replace, or PUT /api/catalog/products/{product_id}/model)")
        if existing is None and request.replace:
            raise UnknownProduct(f"product {product_id!r} does not exist, so there is no model to replace")
        original_sha = await put_blob(conn, original, media_type(original), now)
        prepared_sha = await put_blob(conn, prepared.glb, GLB_MEDIA_TYPE, now)
        fit = {"real_width_mm": prepared.fit.frame_width_mm, "fit_to_face": False, "offset_mm": [0.0, 0.0, 0.0],
               "confirmed": False}  # a suggestion until an admin confirms it
        if existing is None:
            variants = list(prepared.variants) or [NO_VARIANT]
            await conn.execute(insert(PRODUCTS), {
                "id": product_id, "name": name, "category": request.category, "description": request.description,
                "source": "import", "active": True, "fit": fit, "default_variant": variants[0], "revision": 1,
                "edited": True, "updated_at": now})
        asset_id = (await conn.execute(insert(ASSETS).returning(ASSETS.c.id), {
            "product_id": product_id, "original_name": file_name[:255], "source_format": prepared.source_format,
            "original_sha256": original_sha, "prepared_sha256": prepared_sha,
            "report": {"problems": [p.to_dict() for p in prepared.problems], "steps": list(prepared.steps),
                       "fit_suggestion": prepared.fit.to_dict()},
            "variants": list(prepared.variants), "size_mm": [round(float(v), 2) for v in prepared.size_mm],
            "original_triangles": prepared.original_triangles, "prepared_triangles": prepared.prepared_triangles,
            "created_at": now})).scalar_one()
        values: dict[str, Any] = {"asset_id": asset_id, "active": True}
        if existing is not None:
            values.update(category=request.category, fit=fit)
        await bump_revision(conn, product_id, now, **values)
        skus = await _sync_variant_skus(conn, product_id, prepared.variants)
        await emit(conn, "product.imported" if existing is None else "product.model_replaced",
                   {"product_id": product_id, "asset_id": asset_id, "skus": skus}, now)
        return ImportResult(product_id, asset_id, existing is None, skus)
    return await db.write(work)


async def _sync_variant_skus(conn: AsyncConnection, product_id: str, model_variants: tuple[str, ...]) -> list[str]:
    """One SKU per model look (kept if it exists: its price and sizes stay), looks the model no
    longer has deactivated."""
    rows = {r.variant: r for r in (await conn.execute(select(SKUS).where(SKUS.c.product_id == product_id))).all()}
    wanted = list(model_variants) or [NO_VARIANT]
    for position, variant in enumerate(wanted):
        look = variant if model_variants else None
        if variant in rows:
            await conn.execute(update(SKUS).where(SKUS.c.sku == rows[variant].sku).values(active=True))
        else:
            await conn.execute(insert(SKUS), {"sku": new_sku(product_id, variant), "product_id": product_id,
                                              "variant": variant, "model_variant": look, "position": position,
                                              "active": True})
    stale = [r.sku for v, r in rows.items() if v not in wanted and r.model_variant is not None
             and r.model_variant not in model_variants]
    if stale:
        await conn.execute(update(SKUS).where(SKUS.c.sku.in_(stale)).values(active=False))
    return [r.sku for r in (await conn.execute(select(SKUS.c.sku).where(SKUS.c.product_id == product_id,
                                                                        SKUS.c.active.is_(True))
                                               .order_by(SKUS.c.position)))]


def _gltf_sidecars(path: Path) -> list[str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    uris = [item.get("uri") for key in ("buffers", "images") for item in document.get(key) or []
            if isinstance(item, dict)]
    return _existing(path, [unquote(u) for u in uris if isinstance(u, str) and not u.startswith("data:")])


def _obj_sidecars(path: Path) -> list[str]:
    found: list[str] = []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    for line in lines:
        if line.startswith("mtllib "):
            mtl = line.split(None, 1)[1].strip()
            found.append(mtl)
            try:
                for entry in (path.parent / mtl).read_text(encoding="utf-8", errors="replace").splitlines():
                    parts = entry.split()
                    if parts and parts[0].startswith("map_") and len(parts) > 1:
                        found.append(parts[-1])
            except OSError:
                continue
    return _existing(path, found)


def _existing(path: Path, relatives: list[str]) -> list[str]:
    root = path.parent.resolve()
    kept = []
    for relative in dict.fromkeys(relatives):
        target = (root / relative).resolve()
        if target.is_file() and target.is_relative_to(root):
            kept.append(relative)
    return kept
