"""FastAPI app factory: the shopper page, the catalog API, health and the live try-on socket.

Every process builds its own app (uvicorn --workers N runs N of them): sessions live in the
process that accepted them, with its own frame threads and GL context.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI, WebSocket
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from server.api import (analytics, availability, catalog_admin, coupons, events, product_renders, products,
                        reservations, service, staff, stock, stores, tryon_sessions, webhooks)
from server.api.code_guard import CodeGuard
from server.catalog.renders import RenderCache
from server.catalog.service import ProductCatalog
from server.commerce.runtime import CommerceRuntime
from server.commerce.tryon_sessions import TryonSessionStore
from server.errors_http import install_error_handlers
from server.log_redaction import redact_keys_in_logs
from server.memory import freeze_startup_objects, limit_malloc_arenas
from server.settings import Settings, get_settings
from server.stream.registry import SessionRegistry
from server.stream.ws import StreamServices, tryon_session

log = logging.getLogger("tryon.server")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    limit_malloc_arenas()
    redact_keys_in_logs()  # ?key= (EventSource) never reaches uvicorn's logs
    if settings.assets_dir is not None:
        os.environ["TRYON_ASSETS_DIR"] = str(settings.assets_dir)  # read by tryon.products.catalog

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        executor = ThreadPoolExecutor(settings.frame_threads, thread_name_prefix="frames")
        app.state.commerce = CommerceRuntime(settings)
        catalog = ProductCatalog(app.state.commerce.db, settings.data_dir / "catalog-files")
        sessions = TryonSessionStore(app.state.commerce.db, app.state.commerce.clock, catalog.default_variants)
        app.state.services = StreamServices(settings, catalog, SessionRegistry(settings.max_sessions), sessions,
                                            executor)
        app.state.code_guard = CodeGuard()
        app.state.renders = RenderCache(settings.data_dir / "render-cache")
        await app.state.commerce.start(catalog.entries())
        await catalog.refresh()
        freeze_startup_objects()
        threading.Thread(target=_warm, args=(app.state.services,), daemon=True, name="warm").start()
        try:
            yield
        finally:
            await app.state.commerce.stop()
            executor.shutdown(wait=True, cancel_futures=True)

    app = FastAPI(title="tryon", version="0.1.0", lifespan=lifespan,
                  description="Real-time AR virtual try-on: live WebSocket stream (docs/protocol.md), catalog, "
                              "session summaries.")
    install_error_handlers(app)
    # FastAPI tries routers in this order, and each one passed costs time on every request: the
    # hot paths (reserve, nearby availability) come first. No two routers share a path.
    for module in (reservations, availability, service, products, catalog_admin, product_renders, stores, stock,
                   staff, coupons, tryon_sessions, analytics, webhooks, events):
        app.include_router(module.router)

    @app.websocket("/ws/tryon")
    async def tryon_socket(websocket: WebSocket) -> None:
        await tryon_session(websocket, websocket.app.state.services)

    web = settings.web_dir
    index = web / "index.html"

    @app.get("/", include_in_schema=False, response_model=None)
    def shopper_page() -> FileResponse | JSONResponse:
        if not index.is_file():
            return JSONResponse({"detail": f"the web client is missing at {index}"}, status_code=503)
        return FileResponse(index, media_type="text/html", headers={"Cache-Control": "no-cache"})

    def page(file: str):
        path = web / file

        def serve_page() -> FileResponse | JSONResponse:
            if not path.is_file():
                return JSONResponse({"detail": f"the web client page is missing at {path}"}, status_code=503)
            return FileResponse(path, media_type="text/html", headers={"Cache-Control": "no-cache"})
        return serve_page

    # the store staff page, the retailer's funnel page, and the page a reservation's QR code opens
    app.get("/staff", include_in_schema=False, response_model=None)(page("staff.html"))
    app.get("/analytics", include_in_schema=False, response_model=None)(page("analytics.html"))
    app.get("/r/{code}", include_in_schema=False, response_model=None)(page("reservation.html"))
    app.get("/products", include_in_schema=False, response_model=None)(page("products.html"))
    app.get("/products/{product_id}", include_in_schema=False, response_model=None)(page("product.html"))

    if (web / "src").is_dir():
        app.mount("/static", StaticFiles(directory=web / "src"), name="static")
    three = web / "node_modules" / "three"
    if three.is_dir():
        app.mount("/vendor/three", StaticFiles(directory=three), name="three")
    else:
        log.warning("three.js is not installed at %s (run npm ci in web_client): pose mode will not load", three)
    jsqr = web / "node_modules" / "jsqr"  # the staff page's QR decoder (npm ci in web_client)
    if jsqr.is_dir():
        app.mount("/vendor/jsqr", StaticFiles(directory=jsqr), name="jsqr")
    return app


def _warm(services: StreamServices) -> None:
    """Models, the GL context and the sample clip, made ready before the first shopper needs them
    (the clip is re-encoded by a low-priority subprocess, see server/sample_video.py)."""
    services.catalog.warm()
    try:
        from tryon.render.context import get_context

        get_context()
    except Exception as exc:
        log.warning("renderer not available: %s", exc)
    try:
        from server.sample_video import sample_webm

        sample_webm(services.settings.resolved_sample_video, services.settings.data_dir / "cache")
    except Exception as exc:
        log.info("no sample video: %s", exc)
    freeze_startup_objects()  # the models and GL objects just loaded, too
