"""Coupons: issued online to a try-on session, redeemed once by store staff.

The guarantees, each one conditional UPDATE the database evaluates atomically per row, so racing
requests on any number of processes cannot break them:
  issuing bumps `campaigns.issued` with `WHERE issued < max_coupons` (and the CHECK constraint
  backs it): a campaign never issues more than max_coupons;
  UNIQUE(campaign_id, tryon_session_id): one coupon per campaign per session; a repeat (or a
  racing twin, whose insert is refused and rolled back with its counter bump) gets that coupon;
  redeeming sets `redeemed_at` with `WHERE redeemed_at IS NULL`: exactly one redemption wins,
  every other one hears who redeemed it where and when.
Locking order: campaign row, then coupon row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from server.commerce.campaigns import CAMPAIGNS, covers, get_campaign, offer, refusal
from server.commerce.codes import new_code, normalise_code
from server.commerce.errors import (CouponAlreadyRedeemed, CouponNotApplicable, CouponNotFound, CouponsExhausted,
                                    InvalidRequest, ReservationNotFound, TryonSessionNotFound, UnknownSku)
from server.commerce.outbox import emit
from server.commerce.reservations import effective_status
from server.commerce.statuses import Status
from server.commerce.stores import get_store
from server.commerce.timestamps import iso_z
from server.commerce.tryon_sessions import session_exists
from server.db.database import Database
from server.db.upsert import insert_ignore
from server.db.tables import COUPONS, RESERVATIONS, SKUS, STORES

# A reservation that ended without a sale cannot carry a coupon.
UNUSABLE_RESERVATIONS = frozenset({Status.CANCELLED, Status.EXPIRED, Status.NO_SHOW})


@dataclass(frozen=True)
class Redemption:
    """Staff redeeming `code` at `store_id`, for a reservation's item or a SKU sold at the till."""

    code: str
    store_id: int
    actor: str
    reservation_code: str | None = None
    sku: str | None = None


def coupon_status(coupon: RowMapping | dict[str, Any], campaign: RowMapping | dict[str, Any], now: datetime) -> str:
    """redeemed | inactive | not_yet_valid | expired | valid."""
    if coupon["redeemed_at"] is not None:
        return "redeemed"
    if not campaign["active"]:
        return "inactive"
    if now < campaign["valid_from"]:
        return "not_yet_valid"
    return "expired" if now >= campaign["valid_until"] else "valid"


def describe_coupon(coupon: RowMapping | dict[str, Any], campaign: RowMapping | dict[str, Any],
                    now: datetime) -> dict[str, Any]:
    """The shopper's view: no session id (the code alone must not lead to the session)."""
    code = coupon["code"]
    return {"code": code, "status": coupon_status(coupon, campaign, now), "campaign_id": coupon["campaign_id"],
            "offer": offer(campaign), "issued_at": iso_z(coupon["issued_at"]),
            "redeemed_at": iso_z(coupon["redeemed_at"]), "redeemed_store_id": coupon["redeemed_store_id"],
            "links": {"self": f"/api/coupons/{code}"}}


# --- issuing ---

class _IssuedMeanwhile(Exception):
    """A racing request issued this session's coupon first: roll back our counter bump."""


async def issue_coupon(db: Database, campaign_id: int, session_id: str,
                       clock: Callable[[], datetime]) -> tuple[int, dict[str, Any]]:
    """(201, the new coupon), or (200, the coupon this session already has from the campaign)."""
    now = clock()
    for _ in range(3):
        try:
            return await db.write(lambda conn: _issue(conn, campaign_id, session_id, now))
        except _IssuedMeanwhile:
            continue
    raise AssertionError("a coupon insert was refused three times without a coupon to show for it")


async def _issue(conn: AsyncConnection, campaign_id: int, session_id: str, now: datetime) -> tuple[int, dict[str, Any]]:
    existing = (await conn.execute(select(COUPONS).where(COUPONS.c.campaign_id == campaign_id,
                                                         COUPONS.c.tryon_session_id == session_id))).mappings().first()
    if existing is not None:
        return 200, _issued_view(existing, await get_campaign(conn, campaign_id), now)
    if not await session_exists(conn, session_id):
        raise TryonSessionNotFound(f"no try-on session {session_id!r} is recorded: coupons go to sessions that "
                                   "ended (or were recorded with POST /api/tryon-sessions)")
    campaign = (await conn.execute(
        update(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id, CAMPAIGNS.c.active.is_(True),
                                CAMPAIGNS.c.valid_from <= now, CAMPAIGNS.c.valid_until > now,
                                or_(CAMPAIGNS.c.max_coupons.is_(None), CAMPAIGNS.c.issued < CAMPAIGNS.c.max_coupons))
        .values(issued=CAMPAIGNS.c.issued + 1).returning(*CAMPAIGNS.c))).mappings().first()
    if campaign is None:
        current = await get_campaign(conn, campaign_id)
        raise refusal(current, now, f"campaign {current['name']!r}") or CouponsExhausted(
            f"campaign {current['name']!r} has issued all its {current['max_coupons']} coupons")
    coupon = (await conn.execute(insert_ignore(conn, COUPONS).returning(*COUPONS.c), {
        "code": new_code(), "campaign_id": campaign_id, "tryon_session_id": session_id, "issued_at": now,
        "redeemed_at": None, "redeemed_store_id": None, "redeemed_by": "", "reservation_id": None})).mappings().first()
    if coupon is None:
        raise _IssuedMeanwhile()
    await emit(conn, "coupon.issued", {"code": coupon["code"], "campaign_id": campaign_id,
                                       "tryon_session_id": session_id}, now)
    return 201, _issued_view(coupon, campaign, now)


def _issued_view(coupon: RowMapping, campaign: RowMapping, now: datetime) -> dict[str, Any]:
    return {**describe_coupon(coupon, campaign, now), "tryon_session_id": coupon["tryon_session_id"]}


# --- viewing ---

async def _coupon_and_campaign(conn: AsyncConnection, code: str) -> tuple[RowMapping, RowMapping]:
    canonical = normalise_code(code)
    if canonical is None:
        raise CouponNotFound("no coupon with that code")
    coupon = (await conn.execute(select(COUPONS).where(COUPONS.c.code == canonical))).mappings().first()
    if coupon is None:
        raise CouponNotFound("no coupon with that code")
    return coupon, await get_campaign(conn, coupon["campaign_id"])


async def get_coupon(conn: AsyncConnection, code: str, now: datetime) -> dict[str, Any]:
    coupon, campaign = await _coupon_and_campaign(conn, code)
    return describe_coupon(coupon, campaign, now)


# --- redeeming ---

async def redeem_coupon(db: Database, redemption: Redemption, clock: Callable[[], datetime]) -> dict[str, Any]:
    """Mark a coupon used at a store, once: a second redemption raises CouponAlreadyRedeemed;
    outside the campaign's window CouponNotYetValid / CouponExpired; for a product the campaign
    does not cover CouponNotApplicable."""
    now = clock()
    return await db.write(lambda conn: _redeem(conn, redemption, now))


async def _redeem(conn: AsyncConnection, redemption: Redemption, now: datetime) -> dict[str, Any]:
    coupon, campaign = await _coupon_and_campaign(conn, redemption.code)
    store = await get_store(conn, redemption.store_id)
    code = coupon["code"]
    if coupon["redeemed_at"] is not None:
        raise await _already_redeemed(conn, coupon)
    refused = refusal(campaign, now, f"coupon {code}")
    if refused is not None:
        raise refused
    reservation, product = await _item_bought(conn, redemption, now)
    if campaign["product_ids"]:
        if product is None:
            raise InvalidRequest(f"coupon {code} is for {', '.join(campaign['product_ids'])}: give the sku or "
                                 "reservation_code of the item being bought")
        if not covers(campaign, product[0]):
            raise CouponNotApplicable(f"coupon {code} is for {', '.join(campaign['product_ids'])}, "
                                      f"not for {product[0]}")
    window = exists().where(CAMPAIGNS.c.id == COUPONS.c.campaign_id, CAMPAIGNS.c.active.is_(True),
                            CAMPAIGNS.c.valid_from <= now, CAMPAIGNS.c.valid_until > now)
    sku = reservation["sku"] if reservation else redemption.sku
    redeemed = (await conn.execute(
        update(COUPONS).where(and_(COUPONS.c.id == coupon["id"], COUPONS.c.redeemed_at.is_(None), window))
        .values(redeemed_at=now, redeemed_store_id=redemption.store_id, redeemed_by=redemption.actor[:200],
                reservation_id=reservation["id"] if reservation else None, redeemed_sku=sku if product else None)
        .returning(*COUPONS.c))).mappings().first()
    if redeemed is None:  # a racing redemption committed between our read and this update
        fresh = (await conn.execute(select(COUPONS).where(COUPONS.c.id == coupon["id"]))).mappings().one()
        if fresh["redeemed_at"] is not None:
            raise await _already_redeemed(conn, fresh)
        raise refusal(await get_campaign(conn, coupon["campaign_id"]), now, f"coupon {code}") or AssertionError(
            "the redemption update matched nothing, for no reason the coupon or its campaign shows")
    await emit(conn, "coupon.redeemed", {
        "code": code, "campaign_id": coupon["campaign_id"], "store_id": redemption.store_id,
        "reservation_code": reservation["code"] if reservation else None, "sku": sku,
        "product_id": product[0] if product else None, "redeemed_at": iso_z(now)}, now)
    return {**describe_coupon(redeemed, campaign, now), "tryon_session_id": redeemed["tryon_session_id"],
            "redeemed_by": redeemed["redeemed_by"], "store": {"id": store["id"], "name": store["name"]},
            "reservation_code": reservation["code"] if reservation else None, "sku": sku,
            "product_id": product[0] if product else None, "variant": product[1] if product else None}


async def _item_bought(conn: AsyncConnection, redemption: Redemption,
                       now: datetime) -> tuple[RowMapping | None, tuple[str, str] | None]:
    """The reservation (of this store) and the (product, variant) the coupon is used for."""
    reservation = None
    sku = redemption.sku
    if redemption.reservation_code is not None:
        canonical = normalise_code(redemption.reservation_code)
        if canonical is not None:
            reservation = (await conn.execute(select(RESERVATIONS).where(
                RESERVATIONS.c.code == canonical, RESERVATIONS.c.store_id == redemption.store_id))).mappings().first()
        if reservation is None:
            raise ReservationNotFound(f"no reservation with that code at store {redemption.store_id}")
        status = effective_status(reservation, now)
        if status in UNUSABLE_RESERVATIONS:
            raise CouponNotApplicable(f"reservation {reservation['code']} is {status.replace('_', '-')}: "
                                      "a coupon goes with an item being bought")
        if sku is not None and sku != reservation["sku"]:
            raise InvalidRequest(f"sku {sku!r} is not the reserved item ({reservation['sku']})")
        sku = reservation["sku"]
    if sku is None:
        return reservation, None
    found = (await conn.execute(select(SKUS.c.product_id, SKUS.c.variant).where(SKUS.c.sku == sku))).first()
    if found is None:
        raise UnknownSku(f"no product variant with SKU {sku!r}; GET /api/products lists them")
    return reservation, (found.product_id, found.variant)


async def _already_redeemed(conn: AsyncConnection, coupon: RowMapping) -> CouponAlreadyRedeemed:
    name = (await conn.execute(select(STORES.c.name).where(STORES.c.id == coupon["redeemed_store_id"]))).scalar()
    return CouponAlreadyRedeemed(coupon["code"], f"{name} (store {coupon['redeemed_store_id']})",
                                 iso_z(coupon["redeemed_at"]) or "")
