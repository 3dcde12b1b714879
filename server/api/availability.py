"""Nearby availability: which stores near the shopper have these SKUs right now."""

from __future__ import annotations

from fastapi import APIRouter, Query

from server.api.auth import CommerceDep
from server.api.fast_json import FastJSONResponse
from server.commerce.availability import NearbyQuery, nearby_availability
from server.commerce.errors import InvalidRequest
from server.commerce.stores import postcode_location

router = APIRouter(tags=["stock"])


@router.get("/api/availability", summary="Stores near a point (or a postcode) with the SKUs available, nearest first")
async def availability(commerce: CommerceDep,
                       sku: list[str] = Query(..., description="One or more SKUs (repeat the parameter)"),
                       lat: float | None = Query(None, ge=-90, le=90), lon: float | None = Query(None, ge=-180, le=180),
                       postcode: str | None = Query(None, max_length=16,
                                                    description="Instead of lat/lon: a postcode near the stores"),
                       radius_km: float = Query(25.0, gt=0, le=500), quantity: int = Query(1, ge=1, le=100),
                       limit: int = Query(20, ge=1, le=200), slots: int = Query(3, ge=0, le=20),
                       require_all: bool = Query(True, description="With several SKUs: only stores that have all"),
                       include_out_of_stock: bool = Query(False)) -> FastJSONResponse:
    now = commerce.clock()
    if lat is None or lon is None:
        if not postcode:
            raise InvalidRequest("give lat and lon (e.g. from the browser's geolocation) or a postcode")
        async with commerce.db.read() as conn:
            found = await postcode_location(conn, postcode)
        if found is None:
            raise InvalidRequest(f"no store near postcode {postcode!r}; try coordinates or a nearby postcode")
        lat, lon = found
    stores = await nearby_availability(commerce.db, NearbyQuery(tuple(sku), lat, lon, radius_km, quantity, limit,
                                                                slots, require_all, include_out_of_stock), now)
    # JSON-ready already: no second pass of FastAPI's generic encoder over every store's hours and slots
    return FastJSONResponse({"lat": lat, "lon": lon, "radius_km": radius_km, "skus": list(dict.fromkeys(sku)),
                             "stores": stores})
