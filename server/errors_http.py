"""Engine and domain errors -> HTTP status codes, in one place (WebSocket close codes live in
server/stream/protocol.py)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from server.commerce.errors import (Conflict, Forbidden, IdempotencyKeyReused, InsufficientStock, InvalidRequest,
                                    NotAuthorised, NotFound, PayloadTooLarge, SlotFull, StaleStock)
from tryon.errors import (CatalogError, InvalidViewRequest, TryonError, UnknownProduct, UnknownVariant,
                          UnsupportedModel)

log = logging.getLogger("tryon.server")

STATUS_BY_ERROR: tuple[tuple[type[TryonError], int], ...] = (
    (UnknownProduct, 404),
    (UnknownVariant, 404),
    (UnsupportedModel, 422),
    (InvalidViewRequest, 422),
    (CatalogError, 503),
    (NotFound, 404),
    (Conflict, 409),
    (IdempotencyKeyReused, 422),
    (InvalidRequest, 422),
    (NotAuthorised, 401),
    (Forbidden, 403),
    (PayloadTooLarge, 413),
)


def status_for(exc: TryonError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return status
    return 400


def error_body(exc: TryonError) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": str(exc), "error": type(exc).__name__}
    if isinstance(exc, InsufficientStock):
        body.update(sku=exc.sku, store_id=exc.store_id, requested=exc.requested, available=exc.available)
    elif isinstance(exc, SlotFull):
        body.update(store_id=exc.store_id, slot_start=exc.slot_start)
    elif isinstance(exc, StaleStock):
        body.update(expected_version=exc.expected, version=exc.actual)
    problems = getattr(exc, "problems", None)  # a rejected 3D model: every problem found
    if problems:
        body["problems"] = [p.to_dict() for p in problems]
    return body


def install_error_handlers(app: FastAPI) -> None:
    async def tryon_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, TryonError)
        status = status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(exc), status_code=status, headers=headers)

    async def database_down(_: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", exc)
        return JSONResponse({"detail": "the database is not answering; try again in a moment",
                             "error": "DatabaseUnavailable"}, status_code=503, headers={"Retry-After": "2"})

    async def integrity(_: Request, exc: Exception) -> JSONResponse:
        # Only a race the domain code did not foresee reaches here; the constraint kept the data right.
        log.warning("constraint refused a write: %s", exc)
        return JSONResponse({"detail": "the change conflicts with the current state; read it again and retry",
                             "error": "Conflict"}, status_code=409)

    app.add_exception_handler(TryonError, tryon_error)
    app.add_exception_handler(OperationalError, database_down)
    app.add_exception_handler(InterfaceError, database_down)
    app.add_exception_handler(IntegrityError, integrity)
