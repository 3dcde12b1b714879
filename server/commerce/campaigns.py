"""Coupon campaigns: a discount, a validity window, the products it covers and how many coupons
it may issue. The rules a coupon is judged by (`refusal`, `covers`) are pure functions here; the
counter that caps issuing is bumped in server/commerce/coupons.py."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from server.commerce.errors import (CampaignInactive, CampaignNotFound, CouponError, CouponExpired, CouponNotYetValid,
                                    InvalidRequest)
from server.commerce.timestamps import iso_z
from server.db.tables import CAMPAIGNS, PRODUCTS

MAX_AMOUNT_OFF_CENTS = 10_000_000
MAX_COUPONS = 10_000_000
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class CampaignInput:
    """A new campaign: exactly one of percent_off (1-100) and amount_off_cents; coupons are valid
    from `valid_from` (inclusive) until `valid_until` (exclusive); no product_ids: every product."""

    name: str
    valid_from: datetime
    valid_until: datetime
    percent_off: int | None = None
    amount_off_cents: int | None = None
    currency: str = "EUR"
    product_ids: tuple[str, ...] = ()
    max_coupons: int | None = None
    active: bool = True

    def validated(self) -> CampaignInput:
        name = self.name.strip()
        if not name or len(name) > 200:
            raise InvalidRequest("a campaign needs a name of at most 200 characters")
        if (self.percent_off is None) == (self.amount_off_cents is None):
            raise InvalidRequest("give exactly one of percent_off and amount_off_cents")
        if self.percent_off is not None and not 1 <= self.percent_off <= 100:
            raise InvalidRequest(f"percent_off must be between 1 and 100, not {self.percent_off}")
        if self.amount_off_cents is not None and not 1 <= self.amount_off_cents <= MAX_AMOUNT_OFF_CENTS:
            raise InvalidRequest(f"amount_off_cents must be between 1 and {MAX_AMOUNT_OFF_CENTS}")
        currency = self.currency.upper()
        if not _CURRENCY.match(currency):
            raise InvalidRequest(f"currency must be a three-letter ISO 4217 code, not {self.currency!r}")
        for name_, value in (("valid_from", self.valid_from), ("valid_until", self.valid_until)):
            if value.tzinfo is None:
                raise InvalidRequest(f"{name_} needs a UTC offset, e.g. 2026-12-01T00:00:00Z")
        start, end = self.valid_from.astimezone(timezone.utc), self.valid_until.astimezone(timezone.utc)
        if end <= start:
            raise InvalidRequest(f"valid_until {iso_z(end)} must be after valid_from {iso_z(start)}")
        if self.max_coupons is not None and not 1 <= self.max_coupons <= MAX_COUPONS:
            raise InvalidRequest(f"max_coupons must be between 1 and {MAX_COUPONS} (or none: no limit)")
        products = tuple(dict.fromkeys(p.strip() for p in self.product_ids))
        if any(not p or len(p) > 64 for p in products):
            raise InvalidRequest("product_ids must be product ids from GET /api/products")
        return replace(self, name=name, currency=currency, valid_from=start, valid_until=end, product_ids=products)


# --- the rules (pure) ---

def refusal(campaign: Mapping[str, Any], now: datetime, subject: str) -> CouponError | None:
    """Why the campaign's coupons cannot be issued or redeemed now, or None if they can.
    `subject` names the thing in the message ("coupon K7QM-...", "campaign 'Winter'")."""
    if not campaign["active"]:
        return CampaignInactive(f"{subject}: campaign {campaign['name']!r} has been switched off")
    if now < campaign["valid_from"]:
        return CouponNotYetValid(f"{subject} is not valid before {iso_z(campaign['valid_from'])}")
    if now >= campaign["valid_until"]:
        return CouponExpired(f"{subject} expired on {iso_z(campaign['valid_until'])}")
    return None


def covers(campaign: Mapping[str, Any], product_id: str) -> bool:
    return not campaign["product_ids"] or product_id in campaign["product_ids"]


def describe_campaign(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "percent_off": row["percent_off"],
            "amount_off_cents": row["amount_off_cents"], "currency": row["currency"],
            "valid_from": iso_z(row["valid_from"]), "valid_until": iso_z(row["valid_until"]),
            "product_ids": list(row["product_ids"]), "max_coupons": row["max_coupons"], "issued": row["issued"],
            "remaining": None if row["max_coupons"] is None else row["max_coupons"] - row["issued"],
            "active": row["active"], "created_at": iso_z(row["created_at"])}


def offer(row: Mapping[str, Any]) -> dict[str, Any]:
    """What a shopper is told about a coupon's campaign (no counters)."""
    return {"name": row["name"], "percent_off": row["percent_off"], "amount_off_cents": row["amount_off_cents"],
            "currency": row["currency"], "valid_from": iso_z(row["valid_from"]),
            "valid_until": iso_z(row["valid_until"]), "product_ids": list(row["product_ids"])}


# --- the database ---

async def create_campaign(conn: AsyncConnection, campaign: CampaignInput, now: datetime) -> dict[str, Any]:
    campaign = campaign.validated()
    if campaign.product_ids:
        known = set((await conn.execute(select(PRODUCTS.c.id).where(
            PRODUCTS.c.id.in_(campaign.product_ids)))).scalars())
        unknown = [p for p in campaign.product_ids if p not in known]
        if unknown:
            raise InvalidRequest(f"unknown product {unknown[0]!r} in product_ids; GET /api/products lists them")
    row = (await conn.execute(insert(CAMPAIGNS).returning(*CAMPAIGNS.c), {
        "name": campaign.name, "percent_off": campaign.percent_off, "amount_off_cents": campaign.amount_off_cents,
        "currency": campaign.currency, "valid_from": campaign.valid_from, "valid_until": campaign.valid_until,
        "product_ids": list(campaign.product_ids), "max_coupons": campaign.max_coupons, "issued": 0,
        "active": campaign.active, "created_at": now})).mappings().one()
    return describe_campaign(row)


async def get_campaign(conn: AsyncConnection, campaign_id: int) -> RowMapping:
    row = (await conn.execute(select(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id))).mappings().first()
    if row is None:
        raise CampaignNotFound(f"no campaign with id {campaign_id}")
    return row


async def list_campaigns(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = (await conn.execute(select(CAMPAIGNS).order_by(CAMPAIGNS.c.id.desc()))).mappings().all()
    return [describe_campaign(r) for r in rows]


async def set_campaign_active(conn: AsyncConnection, campaign_id: int, active: bool) -> dict[str, Any]:
    """Switch a campaign on or off: off, it issues no coupons and its coupons are not honoured."""
    row = (await conn.execute(update(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id).values(active=active)
                              .returning(*CAMPAIGNS.c))).mappings().first()
    if row is None:
        raise CampaignNotFound(f"no campaign with id {campaign_id}")
    return describe_campaign(row)
