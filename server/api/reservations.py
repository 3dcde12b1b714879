"""Reservation routes: shoppers reserve, view, confirm and cancel with their code; store staff
list the day's reservations and check in, fulfil, mark no-show or cancel."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import segno
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from server.api.auth import CommerceDep, PrincipalDep
from server.api.fast_json import FastJSONResponse
from server.api.idempotent import IdempotencyKey
from server.commerce.errors import InvalidRequest, ReservationNotFound
from server.commerce.idempotency import check_key
from server.commerce.reservations import ReservationRequest, create_reservation, get_reservation, \
    store_reservations, transition
from server.commerce.slots import zone
from server.commerce.statuses import Action, Status
from server.commerce.stores import get_store

router = APIRouter(tags=["reservations"])


class Contact(BaseModel):
    name: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=40)


class ReservationCreate(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    store_id: int
    quantity: int = Field(1, ge=1, le=20)
    slot_start: datetime | None = Field(None, description="A fitting slot start from /api/stores/{id}/slots "
                                        "(with offset, e.g. 2026-12-03T10:30:00Z); none: pick up any time")
    contact: Contact | None = None
    tryon_session_id: str | None = Field(None, max_length=64, description="The try-on session it came from")


class Confirm(BaseModel):
    contact: Contact | None = None


def _guard(request: Request):
    return request.app.state.code_guard


async def _by_code(request: Request, work):
    """Run a code lookup, counting misses against the caller's address."""
    guard = _guard(request)
    guard.check(request)
    try:
        return await work()
    except ReservationNotFound:
        guard.missed(request)
        raise


@router.post("/api/reservations", status_code=201,
             summary="Hold stock (and a fitting slot place) for a shopper; Idempotency-Key required",
             responses={409: {"description": "Not enough stock, or the slot is full"}})
async def reserve(body: ReservationCreate, commerce: CommerceDep,
                  idempotency_key: IdempotencyKey = None) -> Any:
    key = check_key(idempotency_key, required=True)
    assert key is not None
    contact = body.contact.model_dump(exclude_none=True) if body.contact else None
    status, result = await create_reservation(commerce.db, ReservationRequest(
        body.sku, body.store_id, body.quantity, body.slot_start, contact, body.tryon_session_id), key, commerce.clock)
    return FastJSONResponse(result, status_code=status)


@router.get("/api/reservations/{code}", summary="A reservation, by its code")
async def reservation(code: str, request: Request, commerce: CommerceDep) -> dict[str, Any]:
    async def work():
        async with commerce.db.read() as conn:
            return await get_reservation(conn, code, commerce.clock())
    return await _by_code(request, work)


@router.post("/api/reservations/{code}/confirm", summary="Confirm a held reservation (before its hold expires)")
async def confirm(code: str, request: Request, commerce: CommerceDep, body: Confirm | None = None) -> dict[str, Any]:
    contact = body.contact.model_dump(exclude_none=True) if body and body.contact else None
    return await _by_code(request, lambda: transition(commerce.db, code, Action.CONFIRM, commerce.clock, "shopper",
                                                       contact=contact))


@router.post("/api/reservations/{code}/cancel", summary="Cancel a reservation; its stock and slot place are freed")
async def cancel(code: str, request: Request, commerce: CommerceDep) -> dict[str, Any]:
    return await _by_code(request, lambda: transition(commerce.db, code, Action.CANCEL, commerce.clock, "shopper"))


QUIET_ZONE = 4  # modules of white round the code, as the QR standard asks: with 2, ~4% of codes did not scan


def _qr(request: Request, code: str):
    base = str(request.app.state.services.settings.public_url or request.base_url).rstrip("/")
    return segno.make(f"{base}/r/{code}", error="m")


@router.get("/api/reservations/{code}/qr.png", summary="QR code (PNG) of the reservation page, for check-in",
            response_class=Response, responses={200: {"content": {"image/png": {}}}})
async def qr_png(code: str, request: Request, commerce: CommerceDep,
                 scale: int = Query(8, ge=1, le=40)) -> Response:
    found = await reservation(code, request, commerce)
    out = io.BytesIO()
    _qr(request, found["code"]).save(out, kind="png", scale=scale, border=QUIET_ZONE)
    return Response(out.getvalue(), media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/api/reservations/{code}/qr.svg", summary="QR code (SVG) of the reservation page",
            response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}})
async def qr_svg(code: str, request: Request, commerce: CommerceDep) -> Response:
    found = await reservation(code, request, commerce)
    out = io.BytesIO()
    _qr(request, found["code"]).save(out, kind="svg", scale=8, border=QUIET_ZONE, xmldecl=False)
    return Response(out.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


# --- store staff ---

@router.get("/api/stores/{store_id}/reservations", summary="A store's reservations for a day (its staff)")
async def day_list(store_id: int, commerce: CommerceDep, principal: PrincipalDep,
                   day: date | None = Query(None, alias="date", description="Local date (default: today there)"),
                   status: list[Status] | None = Query(None)) -> dict[str, Any]:
    principal.require_store(store_id)
    now = commerce.clock()
    async with commerce.db.read() as conn:
        store = await get_store(conn, store_id)
        day = day or now.astimezone(zone(store["timezone"])).date()
        items = await store_reservations(conn, store_id, day, now, status)
    return {"store_id": store_id, "date": day.isoformat(), "timezone": store["timezone"], "reservations": items}


STAFF_ACTIONS = {"check-in": Action.CHECK_IN, "fulfil": Action.FULFIL, "no-show": Action.NO_SHOW,
                 "cancel": Action.CANCEL, "confirm": Action.CONFIRM}


@router.get("/api/stores/{store_id}/reservations/{code}", summary="One of the store's reservations (its staff)")
async def staff_view(store_id: int, code: str, request: Request, commerce: CommerceDep,
                     principal: PrincipalDep) -> dict[str, Any]:
    principal.require_store(store_id)

    async def work():
        async with commerce.db.read() as conn:
            return await get_reservation(conn, code, commerce.clock(), frozenset({store_id}))
    return await _by_code(request, work)


@router.post("/api/stores/{store_id}/reservations/{code}/{action}",
             summary="Staff: check-in, fulfil, no-show, cancel (or confirm) a reservation of their store")
async def staff_action(store_id: int, code: str, action: str, request: Request, commerce: CommerceDep,
                       principal: PrincipalDep) -> dict[str, Any]:
    principal.require_store(store_id)
    if action not in STAFF_ACTIONS:
        raise InvalidRequest(f"unknown action {action!r}: use one of {', '.join(STAFF_ACTIONS)}")
    return await _by_code(request, lambda: transition(commerce.db, code, STAFF_ACTIONS[action], commerce.clock,
                                                       principal.name, store_ids=frozenset({store_id})))
