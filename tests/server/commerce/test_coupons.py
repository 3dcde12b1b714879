"""Coupons through the domain on a real database (SQLite file and PostgreSQL): one redemption wins
among fifty racing ones, max_coupons holds against racing issuers, one coupon per session, and
clear refusals for a coupon out of its window, for another product or a dead reservation."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from server.commerce.campaigns import CampaignInput, create_campaign, list_campaigns, set_campaign_active
from server.commerce.coupons import Redemption, get_coupon, issue_coupon, redeem_coupon
from server.commerce.errors import (CampaignInactive, CouponAlreadyRedeemed, CouponExpired, CouponNotApplicable,
                                    CouponNotFound, CouponNotYetValid, CouponsExhausted, InvalidRequest,
                                    ReservationNotFound, TryonSessionNotFound)
from server.commerce.reservations import ReservationRequest, create_reservation, transition
from server.commerce.statuses import Action
from server.commerce.stock import set_on_hand
from server.commerce.tryon_sessions import SessionRecord, record_session
from server.db.models import Coupon, OutboxEvent
from tests.server.commerce.world import OTHER_SKU, SKU, Clock, add_store, open_commerce

pytestmark = pytest.mark.timeout(180)


async def new_session(runtime, clock: Clock) -> str:
    session_id = uuid.uuid4().hex
    await runtime.db.write(lambda conn: record_session(conn, SessionRecord(
        session_id, "stream", clock() - timedelta(minutes=5), clock(), summary={"session_id": session_id})))
    return session_id


async def new_campaign(runtime, clock: Clock, **fields: Any) -> dict:
    fields = {"name": "Winter", "valid_from": clock() - timedelta(days=1), "valid_until": clock() + timedelta(days=7),
              "percent_off": 15, **fields}
    return await runtime.db.write(lambda conn: create_campaign(conn, CampaignInput(**fields), clock()))


async def coupon_for(runtime, clock: Clock, campaign: dict) -> str:
    _, coupon = await issue_coupon(runtime.db, campaign["id"], await new_session(runtime, clock), clock)
    return coupon["code"]


async def stocked_store(runtime, clock: Clock, name: str) -> dict:
    store = await add_store(runtime, name)
    for sku in (SKU, OTHER_SKU):
        await runtime.db.write(lambda conn: set_on_hand(conn, store_id=store["id"], sku=sku, on_hand=10, now=clock(),
                                                        actor="test"))
    return store


async def reserve(runtime, clock: Clock, store: dict, sku: str = SKU) -> str:
    _, made = await create_reservation(runtime.db, ReservationRequest(sku, store["id"]), uuid.uuid4().hex, clock)
    return made["code"]


def redeem(runtime, clock: Clock, code: str, store: dict, **fields: Any):
    return redeem_coupon(runtime.db, Redemption(code, store["id"], "staff:test", **fields), clock)


def test_fifty_racing_redemptions_of_one_coupon_let_exactly_one_through(database_url, tmp_path):
    clock = Clock()

    async def go():
        # two runtimes, two connection pools: as two server processes would race
        async with open_commerce(database_url, tmp_path, clock, db_pool_size=25) as one, \
                open_commerce(database_url, tmp_path, clock, db_pool_size=25) as two:
            store = await add_store(one, "Opéra")
            code = await coupon_for(one, clock, await new_campaign(one, clock))
            results = await asyncio.gather(*(redeem(runtime, clock, code, store) for runtime in [one, two] * 25),
                                           return_exceptions=True)
            async with one.db.read() as conn:
                row = (await conn.execute(select(Coupon.__table__).where(Coupon.__table__.c.code == code))
                       ).mappings().one()
                events = Counter((await conn.execute(select(OutboxEvent.__table__.c.topic))).scalars())
            return store, code, results, row, events

    store, code, results, row, events = asyncio.run(go())
    won = [r for r in results if isinstance(r, dict)]
    lost = [r for r in results if not isinstance(r, dict)]
    assert len(won) == 1 and len(lost) == 49, [type(r).__name__ for r in lost if not isinstance(r, CouponAlreadyRedeemed)]
    assert won[0]["status"] == "redeemed" and won[0]["store"] == {"id": store["id"], "name": "Opéra"}
    assert all(isinstance(r, CouponAlreadyRedeemed) for r in lost)
    assert all(f"coupon {code} was already redeemed at Opéra (store {store['id']}) on 2026-12-02T09:00:00Z" in str(r)
               for r in lost)
    assert row["redeemed_store_id"] == store["id"] and row["redeemed_by"] == "staff:test"
    assert events["coupon.redeemed"] == 1 and events["coupon.issued"] == 1


def test_racing_issuers_never_get_more_than_max_coupons(database_url, tmp_path):
    clock = Clock()

    async def go():
        async with open_commerce(database_url, tmp_path, clock, db_pool_size=20) as one, \
                open_commerce(database_url, tmp_path, clock, db_pool_size=20) as two:
            campaign = await new_campaign(one, clock, max_coupons=7)
            sessions = [await new_session(one, clock) for _ in range(40)]
            results = await asyncio.gather(*(issue_coupon(runtime.db, campaign["id"], s, clock)
                                             for runtime, s in zip([one, two] * 20, sessions)), return_exceptions=True)
            async with one.db.read() as conn:
                stored = len((await conn.execute(select(Coupon.__table__.c.id))).all())
                listed = await list_campaigns(conn)
            return results, stored, listed

    results, stored, listed = asyncio.run(go())
    issued = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if not isinstance(r, tuple)]
    assert len(issued) == 7 and all(status == 201 for status, _ in issued) and len({c["code"] for _, c in issued}) == 7
    assert len(refused) == 33 and all(isinstance(r, CouponsExhausted) for r in refused)
    assert "has issued all its 7 coupons" in str(refused[0])
    assert stored == 7 and listed[0]["issued"] == 7 and listed[0]["remaining"] == 0


def test_one_session_asking_many_times_at_once_gets_one_coupon(database_url, tmp_path):
    clock = Clock()

    async def go():
        async with open_commerce(database_url, tmp_path, clock, db_pool_size=20) as runtime:
            campaign = await new_campaign(runtime, clock, max_coupons=100)
            session_id = await new_session(runtime, clock)
            results = await asyncio.gather(*(issue_coupon(runtime.db, campaign["id"], session_id, clock)
                                             for _ in range(20)))
            async with runtime.db.read() as conn:
                listed = await list_campaigns(conn)
            return session_id, results, listed

    session_id, results, listed = asyncio.run(go())
    assert Counter(status for status, _ in results) == {201: 1, 200: 19}
    assert len({c["code"] for _, c in results}) == 1 and results[0][1]["tryon_session_id"] == session_id
    assert listed[0]["issued"] == 1  # the refused inserts gave their counter bump back


def test_coupons_outside_the_campaign_window_are_refused_with_the_dates(database_url, tmp_path):
    clock = Clock()

    async def go():
        async with open_commerce(database_url, tmp_path, clock) as runtime:
            store = await add_store(runtime)
            later = await new_campaign(runtime, clock, name="Spring", valid_from=clock() + timedelta(days=1),
                                       valid_until=clock() + timedelta(days=30))
            with pytest.raises(CouponNotYetValid, match="campaign 'Spring' is not valid before 2026-12-03T09:00:00Z"):
                await coupon_for(runtime, clock, later)
            short = await new_campaign(runtime, clock, name="Flash", valid_until=clock() + timedelta(hours=2))
            code = await coupon_for(runtime, clock, short)
            clock.advance(hours=2)
            async with runtime.db.read() as conn:
                seen = await get_coupon(conn, code, clock())
            with pytest.raises(CouponExpired, match=f"coupon {code} expired on 2026-12-02T11:00:00Z"):
                await redeem(runtime, clock, code, store)
            with pytest.raises(CouponExpired, match="campaign 'Flash' expired"):
                await coupon_for(runtime, clock, short)
            return seen

    seen = asyncio.run(go())
    assert seen["status"] == "expired" and seen["offer"]["percent_off"] == 15 and "tryon_session_id" not in seen


def test_a_coupon_for_some_products_is_refused_for_others(database_url, tmp_path):
    clock = Clock()

    async def go():
        async with open_commerce(database_url, tmp_path, clock) as runtime:
            store = await stocked_store(runtime, clock, "Opéra")
            campaign = await new_campaign(runtime, clock, product_ids=("round-classic",), amount_off_cents=1000,
                                          percent_off=None)
            code = await coupon_for(runtime, clock, campaign)
            with pytest.raises(CouponNotApplicable, match=f"coupon {code} is for round-classic, not for rect-metro"):
                await redeem(runtime, clock, code, store, sku=OTHER_SKU)
            with pytest.raises(CouponNotApplicable, match="not for rect-metro"):
                await redeem(runtime, clock, code, store, reservation_code=await reserve(runtime, clock, store,
                                                                                         OTHER_SKU))
            with pytest.raises(InvalidRequest, match="give the sku or reservation_code"):
                await redeem(runtime, clock, code, store)
            reservation = await reserve(runtime, clock, store, SKU)
            return reservation, await redeem(runtime, clock, code, store, reservation_code=reservation.lower())

    reservation, done = asyncio.run(go())
    assert done["status"] == "redeemed" and done["reservation_code"] == reservation
    assert (done["product_id"], done["variant"], done["sku"]) == ("round-classic", "black", SKU)


def test_a_reservation_of_another_store_or_one_that_ended_carries_no_coupon(database_url, tmp_path):
    clock = Clock()

    async def go():
        async with open_commerce(database_url, tmp_path, clock) as runtime:
            here, there = await stocked_store(runtime, clock, "Here"), await stocked_store(runtime, clock, "There")
            code = await coupon_for(runtime, clock, await new_campaign(runtime, clock))
            with pytest.raises(ReservationNotFound, match=f"at store {here['id']}"):
                await redeem(runtime, clock, code, here, reservation_code=await reserve(runtime, clock, there))
            cancelled = await reserve(runtime, clock, here)
            await transition(runtime.db, cancelled, Action.CANCEL, clock, "shopper")
            with pytest.raises(CouponNotApplicable, match="is cancelled"):
                await redeem(runtime, clock, code, here, reservation_code=cancelled)
            with pytest.raises(CouponNotFound):
                await redeem(runtime, clock, "0000-0000-0000-0000", here)
            return await redeem(runtime, clock, code, here)  # a campaign for every product needs no item

    assert asyncio.run(go())["status"] == "redeemed"


def test_a_switched_off_campaign_issues_nothing_and_its_coupons_are_not_honoured(database_url, tmp_path):
    clock = Clock()

    async def go():
        async with open_commerce(database_url, tmp_path, clock) as runtime:
            store = await add_store(runtime)
            campaign = await new_campaign(runtime, clock)
            code = await coupon_for(runtime, clock, campaign)
            await runtime.db.write(lambda conn: set_campaign_active(conn, campaign["id"], False))
            with pytest.raises(CampaignInactive, match="switched off"):
                await coupon_for(runtime, clock, campaign)
            with pytest.raises(CampaignInactive):
                await redeem(runtime, clock, code, store)
            with pytest.raises(TryonSessionNotFound, match="no try-on session 'nobody'"):
                await issue_coupon(runtime.db, campaign["id"], "nobody", clock)

    asyncio.run(go())


@pytest.mark.parametrize("fields, words", [
    ({"percent_off": 10, "amount_off_cents": 500}, "exactly one of"),
    ({"percent_off": None}, "exactly one of"),
    ({"percent_off": 0}, "between 1 and 100"),
    ({"currency": "euro", "amount_off_cents": 5, "percent_off": None}, "three-letter"),
    ({"valid_until": Clock()() - timedelta(days=2)}, "must be after valid_from"),
    ({"max_coupons": 0}, "max_coupons"),
])
def test_a_campaign_that_makes_no_sense_is_refused(fields, words):
    clock = Clock()
    values = {"name": "Winter", "valid_from": clock() - timedelta(days=1), "valid_until": clock() + timedelta(days=7),
              "percent_off": 15, **fields}
    with pytest.raises(InvalidRequest, match=words):
        CampaignInput(**values).validated()


def test_a_campaign_for_an_unknown_product_is_refused(database_url, tmp_path):
    async def go():
        async with open_commerce(database_url, tmp_path, Clock()) as runtime:
            with pytest.raises(InvalidRequest, match="unknown product 'no-such'"):
                await new_campaign(runtime, runtime.clock, product_ids=("round-classic", "no-such"))

    asyncio.run(go())
