"""Product pictures made by the server's renderer: a view from any angle, a turntable, the
catalog thumbnail (public, cached; the ETag names the exact render)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from server.api.deps import CatalogDep
from server.catalog.renders import MEDIA_TYPES, RenderCache, RenderSpec
from server.commerce.errors import InvalidRequest

router = APIRouter(prefix="/products", tags=["product renders"])
# Renders share the process's one GL context; one at a time keeps a turntable from queueing
# behind another and leaves the frame threads of live sessions their share of the CPU.
_RENDERS = ThreadPoolExecutor(1, thread_name_prefix="renders")
THUMBNAIL_PX = 256


async def _cache(request: Request) -> RenderCache:
    return request.app.state.renders


CacheDep = Annotated[RenderCache, Depends(_cache)]
Background = Query("#ffffff", pattern=r"^(#[0-9a-fA-F]{6}|transparent)$",
                   description="#rrggbb, or transparent (PNG/WebP only)")


async def _serve(request: Request, catalog: CatalogDep, cache: RenderCache, product_id: str,
                 spec: RenderSpec) -> Response:
    product = await catalog.product(product_id)
    if spec.variant is None and product.variants:  # the catalog's default variant, as the shop shows it
        spec = replace(spec, variant=product.variants[0])
    key, data = await asyncio.get_running_loop().run_in_executor(_RENDERS, cache.get, product, spec)
    etag = f'"{key}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=MEDIA_TYPES[spec.kind], headers=headers)


@router.get("/{product_id}/render", summary="The product from an angle (PNG or WebP)", response_class=Response,
            responses={200: {"content": {"image/png": {}, "image/webp": {}}}})
async def render(request: Request, product_id: str, catalog: CatalogDep, cache: CacheDep,
                 variant: str | None = Query(None),
                 yaw: float = Query(30.0, ge=-360, le=360, description="Degrees around the vertical; 0 = front"),
                 pitch: float = Query(10.0, ge=-89, le=89, description="Camera elevation, degrees"),
                 size: int = Query(512, ge=16, le=2048, description="Width and height in px"),
                 background: str = Background,
                 format: Literal["png", "webp"] = Query("png")) -> Response:
    spec = RenderSpec(format, variant, yaw, pitch, size, size, background)
    return await _serve(request, catalog, cache, product_id, spec)


@router.get("/{product_id}/turntable.{container}", summary="One full turn: animated WebP, or MP4 video",
            response_class=Response, responses={200: {"content": {"image/webp": {}, "video/mp4": {}}}})
async def turntable(request: Request, product_id: str, container: Literal["webp", "mp4"], catalog: CatalogDep,
                    cache: CacheDep, variant: str | None = Query(None), frames: int = Query(36, ge=2, le=120),
                    size: int = Query(384, ge=16, le=1024), pitch: float = Query(10.0, ge=-89, le=89),
                    background: str = Background) -> Response:
    if container == "mp4":
        if background == "transparent":
            raise InvalidRequest("an MP4 video has no transparency: ask for turntable.webp, or a #rrggbb background")
        size -= size % 2  # video encoders want even sides
    spec = RenderSpec(f"turntable.{container}", variant, 0.0, pitch, size, size, background, frames)  # type: ignore[arg-type]
    return await _serve(request, catalog, cache, product_id, spec)


@router.get("/{product_id}/thumbnail.webp", summary="The catalog thumbnail", response_class=Response,
            responses={200: {"content": {"image/webp": {}}}})
async def thumbnail(request: Request, product_id: str, catalog: CatalogDep, cache: CacheDep,
                    variant: str | None = Query(None)) -> Response:
    spec = RenderSpec("webp", variant, 30.0, 10.0, THUMBNAIL_PX, THUMBNAIL_PX, "#ffffff")
    return await _serve(request, catalog, cache, product_id, spec)
