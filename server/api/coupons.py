"""Coupon routes: campaigns (admin), issuing a coupon to a try-on session, a shopper viewing it by
code, and store staff redeeming it once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from server.api.auth import AdminDep, CommerceDep, PrincipalDep
from server.api.idempotent import IdempotencyKey, idempotent_create
from server.commerce.campaigns import CampaignInput, create_campaign, describe_campaign, get_campaign, \
    list_campaigns, set_campaign_active
from server.commerce.coupons import Redemption, get_coupon, issue_coupon, redeem_coupon
from server.commerce.errors import CouponNotFound, ReservationNotFound

router = APIRouter(tags=["coupons"])
T = TypeVar("T")


class CampaignCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    percent_off: int | None = Field(None, ge=1, le=100, description="Either this or amount_off_cents")
    amount_off_cents: int | None = Field(None, ge=1, description="Either this or percent_off")
    currency: str = Field("EUR", min_length=3, max_length=3, description="ISO 4217, for amount_off_cents")
    valid_from: datetime = Field(description="First instant coupons are valid, with offset (e.g. ...T00:00:00Z)")
    valid_until: datetime = Field(description="Coupons are valid until this instant (exclusive)")
    product_ids: list[str] = Field(default_factory=list, max_length=1000, description="Empty: every product")
    max_coupons: int | None = Field(None, ge=1, description="Most coupons the campaign issues (none: no limit)")
    active: bool = True


class CampaignChange(BaseModel):
    active: bool = Field(description="false: no more coupons are issued, and issued ones are not honoured")


class CouponRequest(BaseModel):
    campaign_id: int
    tryon_session_id: str = Field(min_length=1, max_length=64, description="A recorded (ended) try-on session")


class RedeemRequest(BaseModel):
    reservation_code: str | None = Field(None, max_length=64, description="The reservation the item was reserved by")
    sku: str | None = Field(None, max_length=64, description="The SKU being bought (when there is no reservation)")


async def _by_code(request: Request, work: Callable[[], Awaitable[T]]) -> T:
    """Run a code lookup, counting unknown codes against the caller's address (code_guard)."""
    guard = request.app.state.code_guard
    guard.check(request)
    try:
        return await work()
    except (CouponNotFound, ReservationNotFound):
        guard.missed(request)
        raise


# --- campaigns (admin) ---

@router.post("/api/campaigns", status_code=201, summary="Create a coupon campaign (admin; Idempotency-Key optional)")
async def new_campaign(body: CampaignCreate, commerce: CommerceDep, principal: AdminDep,
                       idempotency_key: IdempotencyKey = None) -> Any:
    now = commerce.clock()
    campaign = CampaignInput(body.name, body.valid_from, body.valid_until, body.percent_off, body.amount_off_cents,
                             body.currency, tuple(body.product_ids), body.max_coupons, body.active).validated()
    return await idempotent_create(commerce.db, "campaign.create", idempotency_key, body.model_dump(mode="json"), now,
                                   lambda conn: create_campaign(conn, campaign, now))


@router.get("/api/campaigns", summary="Every campaign, newest first, with its issued count (admin)")
async def campaigns(commerce: CommerceDep, principal: AdminDep) -> dict[str, Any]:
    async with commerce.db.read() as conn:
        return {"campaigns": await list_campaigns(conn)}


@router.get("/api/campaigns/{campaign_id}", summary="One campaign (admin)")
async def campaign(campaign_id: int, commerce: CommerceDep, principal: AdminDep) -> dict[str, Any]:
    async with commerce.db.read() as conn:
        return describe_campaign(await get_campaign(conn, campaign_id))


@router.patch("/api/campaigns/{campaign_id}", summary="Switch a campaign on or off (admin)")
async def change_campaign(campaign_id: int, body: CampaignChange, commerce: CommerceDep,
                          principal: AdminDep) -> dict[str, Any]:
    return await commerce.db.write(lambda conn: set_campaign_active(conn, campaign_id, body.active))


# --- coupons ---

@router.post("/api/coupons", status_code=201,
             summary="Issue a campaign's coupon to a try-on session (one per session: a repeat returns it, 200)",
             responses={200: {"description": "The coupon this session already has"},
                        409: {"description": "The campaign is off, not started, over, or out of coupons"}})
async def coupon_for_session(body: CouponRequest, commerce: CommerceDep) -> JSONResponse:
    status, coupon = await issue_coupon(commerce.db, body.campaign_id, body.tryon_session_id, commerce.clock)
    return JSONResponse(coupon, status_code=status)


@router.get("/api/coupons/{code}", summary="A coupon, by its code (the shopper's view)")
async def coupon(code: str, request: Request, commerce: CommerceDep) -> dict[str, Any]:
    async def work() -> dict[str, Any]:
        async with commerce.db.read() as conn:
            return await get_coupon(conn, code, commerce.clock())
    return await _by_code(request, work)


@router.post("/api/stores/{store_id}/coupons/{code}/redeem",
             summary="Staff: redeem a coupon in their store, once",
             responses={409: {"description": "Already redeemed (where and when), expired, not yet valid, "
                                             "or not for this product"}})
async def redeem(store_id: int, code: str, request: Request, commerce: CommerceDep, principal: PrincipalDep,
                 body: RedeemRequest | None = None) -> dict[str, Any]:
    principal.require_store(store_id)
    body = body or RedeemRequest()
    redemption = Redemption(code, store_id, principal.name, body.reservation_code, body.sku)
    return await _by_code(request, lambda: redeem_coupon(commerce.db, redemption, commerce.clock))
