"""Engine and domain errors -> HTTP status codes, in one place (WebSocket close codes live in
server/stream/protocol.py)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tryon.errors import CatalogError, TryonError, UnknownProduct, UnknownVariant, UnsupportedModel

STATUS_BY_ERROR: tuple[tuple[type[TryonError], int], ...] = (
    (UnknownProduct, 404),
    (UnknownVariant, 404),
    (UnsupportedModel, 422),
    (CatalogError, 503),
)


def status_for(exc: TryonError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return status
    return 400


def install_error_handlers(app: FastAPI) -> None:
    async def tryon_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, TryonError)
        return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status_code=status_for(exc))

    app.add_exception_handler(TryonError, tryon_error)
