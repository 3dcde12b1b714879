"""The funnel report over a constructed two days of trade, on SQLite and PostgreSQL: sessions ->
variants tried -> reservations -> confirmed -> checked in -> fulfilled, and coupons, by UTC day,
product, variant and store; and the admin-only endpoint as JSON and CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import uuid
from datetime import date, datetime, timezone

import httpx
import pytest

from server.commerce.analytics import ONLINE, FunnelQuery, GroupBy, funnel, funnel_csv
from server.commerce.campaigns import CampaignInput, create_campaign
from server.commerce.coupons import Redemption, issue_coupon, redeem_coupon
from server.commerce.errors import InvalidRequest
from server.commerce.reservations import ReservationRequest, create_reservation, transition
from server.commerce.statuses import Action
from server.commerce.stock import set_on_hand
from server.commerce.tryon_sessions import SessionRecord, TriedItem, record_session
from tests.server.commerce.world import Clock, add_store, open_commerce

pytestmark = pytest.mark.timeout(180)
DAY1, DAY2, DAY3 = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)
ZERO = {"sessions": 0, "tried": 0, "reservations": 0, "confirmed": 0, "checked_in": 0, "fulfilled": 0,
        "coupons_issued": 0, "coupons_redeemed": 0}


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=timezone.utc)


def counts(**values: int) -> dict[str, int]:
    return {**ZERO, **values}


def without_rates(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("key", "rates")}


async def two_days_of_trade(runtime, clock: Clock) -> dict[str, int]:
    """Sessions s1..s6, reservations r1..r5, coupons c1..c3 (see the expectations in the tests).
    Day 3 is outside the reported range: what happens then must not be counted."""
    opera, bastille = await add_store(runtime, "Opéra"), await add_store(runtime, "Bastille")
    for store in (opera, bastille):
        for sku in ("round-classic-black", "round-classic-gold", "rect-metro-tortoise"):
            await runtime.db.write(lambda conn: set_on_hand(conn, store_id=store["id"], sku=sku, on_hand=10,
                                                            now=clock(), actor="test"))

    async def session(name: str, started: datetime, store: dict | None, *worn: tuple[str, str]) -> None:
        record = SessionRecord(name * 16, "stream", started, started, store["id"] if store else None,
                               tuple(TriedItem(p, v) for p, v in worn), {"session_id": name * 16})
        await runtime.db.write(lambda conn: record_session(conn, record))

    await session("s1", at(DAY1, 10), None, ("round-classic", "black"), ("round-classic", "gold"))
    await session("s2", at(DAY1, 11), opera, ("round-classic", "black"))  # the store's mirror
    await session("s3", at(DAY1, 12), None, ("rect-metro", "tortoise"))
    await session("s4", at(DAY2, 23, 59, 59), None, ("hat-fedora", "charcoal"))
    await session("s5", at(DAY3, 0), None, ("round-classic", "black"))  # the first instant of day 3
    await session("s6", at(DAY2, 9), opera)  # walked up to the mirror, tried nothing

    async def reserve(when: datetime, sku: str, store: dict, *steps: Action) -> str:
        clock.now = when
        _, made = await create_reservation(runtime.db, ReservationRequest(sku, store["id"]), uuid.uuid4().hex, clock)
        for step in steps:
            await transition(runtime.db, made["code"], step, clock, "staff")
        return made["code"]

    r1 = await reserve(at(DAY1, 13), "round-classic-black", opera, Action.CONFIRM)
    await reserve(at(DAY1, 13, 10), "rect-metro-tortoise", bastille, Action.CONFIRM)
    await reserve(at(DAY1, 13, 20), "round-classic-gold", opera)  # never confirmed: its hold lapses
    clock.now = at(DAY2, 10)  # the day-1 reservation moves on on day 2: it still counts for day 1
    await transition(runtime.db, r1, Action.CHECK_IN, clock, "staff")
    await transition(runtime.db, r1, Action.FULFIL, clock, "staff")
    await reserve(at(DAY2, 12), "round-classic-black", bastille, Action.CONFIRM, Action.CHECK_IN)
    await reserve(at(DAY3, 9), "round-classic-black", opera, Action.CONFIRM)

    clock.now = at(DAY1, 14)
    campaign = await runtime.db.write(lambda conn: create_campaign(conn, CampaignInput(
        "Winter", at(DAY1, 0), at(date(2026, 12, 9), 0), percent_off=10), clock()))
    _, c1 = await issue_coupon(runtime.db, campaign["id"], "s1" * 16, clock)
    _, c2 = await issue_coupon(runtime.db, campaign["id"], "s2" * 16, clock)
    clock.now = at(DAY2, 11)
    await issue_coupon(runtime.db, campaign["id"], "s6" * 16, clock)
    await redeem_coupon(runtime.db, Redemption(c1["code"], opera["id"], "staff", reservation_code=r1), clock)
    clock.now = at(DAY3, 9)
    await redeem_coupon(runtime.db, Redemption(c2["code"], bastille["id"], "staff"), clock)
    return {"opera": opera["id"], "bastille": bastille["id"]}


def reports(database_url: str, tmp_path, *queries: FunnelQuery) -> tuple[dict[str, int], list[dict]]:
    async def go():
        clock = Clock(at(DAY1, 9))
        async with open_commerce(database_url, tmp_path, clock) as runtime:
            stores = await two_days_of_trade(runtime, clock)
            async with runtime.db.read() as conn:
                return stores, [await funnel(conn, q) for q in queries]
    return asyncio.run(go())


def test_the_funnel_by_day_counts_each_stage_of_the_days_it_began(database_url, tmp_path):
    _, (report, wider) = reports(database_url, tmp_path, FunnelQuery(DAY1, DAY2, GroupBy.DAY),
                                 FunnelQuery(date(2026, 11, 30), DAY3, GroupBy.DAY))
    assert (report["from"], report["to"], report["group_by"]) == ("2026-12-01", "2026-12-02", "day")
    assert without_rates(report["totals"]) == counts(sessions=5, tried=5, reservations=4, confirmed=3, checked_in=2,
                                                     fulfilled=1, coupons_issued=3, coupons_redeemed=1)
    assert report["totals"]["rates"] == {"reservations_per_session": 0.8, "confirmed_per_reservation": 0.75,
                                         "checked_in_per_confirmed": 0.6667, "fulfilled_per_checked_in": 0.5,
                                         "fulfilled_per_session": 0.2, "redeemed_per_coupon_issued": 0.3333}
    assert [(row["key"], without_rates(row)) for row in report["rows"]] == [
        ({"day": "2026-12-01"}, counts(sessions=3, tried=4, reservations=3, confirmed=2, checked_in=1, fulfilled=1,
                                       coupons_issued=2)),
        ({"day": "2026-12-02"}, counts(sessions=2, tried=1, reservations=1, confirmed=1, checked_in=1,
                                       coupons_issued=1, coupons_redeemed=1)),
    ]
    # every day of the range has a row, empty ones too, so a chart has no gaps
    assert [row["key"]["day"] for row in wider["rows"]] == ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"]
    assert without_rates(wider["rows"][0]) == ZERO and wider["rows"][0]["rates"]["reservations_per_session"] is None
    assert without_rates(wider["rows"][3]) == counts(sessions=1, tried=1, reservations=1, confirmed=1,
                                                     coupons_redeemed=1)


def test_the_funnel_by_product_and_variant_follows_what_was_tried_and_reserved(database_url, tmp_path):
    _, (products, variants) = reports(database_url, tmp_path, FunnelQuery(DAY1, DAY2, GroupBy.PRODUCT),
                                      FunnelQuery(DAY1, DAY2, GroupBy.VARIANT))
    assert [(row["key"], without_rates(row)) for row in products["rows"]] == [
        ({"product_id": "hat-fedora"}, counts(sessions=1, tried=1)),
        ({"product_id": "rect-metro"}, counts(sessions=1, tried=1, reservations=1, confirmed=1)),
        ({"product_id": "round-classic"}, counts(sessions=2, tried=3, reservations=3, confirmed=2, checked_in=2,
                                                 fulfilled=1, coupons_issued=2, coupons_redeemed=1)),
    ]
    assert [(row["key"], without_rates(row)) for row in variants["rows"]] == [
        ({"product_id": "hat-fedora", "variant": "charcoal"}, counts(sessions=1, tried=1)),
        ({"product_id": "rect-metro", "variant": "tortoise"}, counts(sessions=1, tried=1, reservations=1,
                                                                     confirmed=1)),
        ({"product_id": "round-classic", "variant": "black"}, counts(
            sessions=2, tried=2, reservations=2, confirmed=2, checked_in=2, fulfilled=1, coupons_issued=2,
            coupons_redeemed=1)),
        ({"product_id": "round-classic", "variant": "gold"}, counts(sessions=1, tried=1, reservations=1,
                                                                    coupons_issued=1, coupons_redeemed=1)),
    ]
    assert variants["rows"][2]["rates"]["fulfilled_per_checked_in"] == 0.5
    assert without_rates(products["totals"]) == without_rates(variants["totals"])  # totals never double count


def test_the_funnel_by_store_puts_mirrors_reservations_and_redemptions_in_their_store(database_url, tmp_path):
    stores, (report,) = reports(database_url, tmp_path, FunnelQuery(DAY1, DAY2, GroupBy.STORE))
    assert [(row["key"], without_rates(row)) for row in report["rows"]] == [
        ({"store_id": stores["opera"], "store_name": "Opéra"}, counts(
            sessions=2, tried=1, reservations=2, confirmed=1, checked_in=1, fulfilled=1, coupons_issued=2,
            coupons_redeemed=1)),
        ({"store_id": stores["bastille"], "store_name": "Bastille"}, counts(reservations=2, confirmed=2,
                                                                            checked_in=1)),
        ({"store_id": None, "store_name": ONLINE}, counts(sessions=3, tried=4, coupons_issued=1)),
    ]


def test_the_funnel_as_csv_has_a_line_per_group_and_the_totals_last(database_url, tmp_path):
    _, (report,) = reports(database_url, tmp_path, FunnelQuery(DAY1, DAY2, GroupBy.VARIANT))
    lines = list(csv.DictReader(io.StringIO(funnel_csv(report))))
    assert [(line["product_id"], line["variant"], line["sessions"], line["fulfilled"]) for line in lines] == [
        ("hat-fedora", "charcoal", "1", "0"), ("rect-metro", "tortoise", "1", "0"), ("round-classic", "black", "2", "1"),
        ("round-classic", "gold", "1", "0"), ("total", "", "5", "1")]
    assert lines[2]["fulfilled_per_checked_in"] == "0.5" and lines[0]["confirmed_per_reservation"] == ""


@pytest.mark.parametrize("first, last, words", [(DAY2, DAY1, "before 'from'"),
                                                (date(2025, 1, 1), date(2026, 6, 1), "at most 366 days")])
def test_a_report_range_that_makes_no_sense_is_refused(first, last, words):
    with pytest.raises(InvalidRequest, match=words):
        FunnelQuery(first, last).validated()


# --- through the running service ---

def test_the_funnel_endpoint_is_for_the_admin_and_speaks_json_and_csv(server):
    admin = {"Authorization": f"Bearer {(server.data_dir / 'admin.key').read_text().strip()}"}
    day = date(2001, 1, 1).fromordinal(date(2001, 1, 1).toordinal() + random.randrange(5000))  # a day only we use
    for variant in ("black", "gold"):
        httpx.post(f"{server.http}/api/tryon-sessions", json={
            "id": uuid.uuid4().hex, "started_at": f"{day}T12:00:00Z",
            "items": [{"product_id": "round-classic", "variant": variant}]}).raise_for_status()
    url = f"{server.http}/api/analytics/funnel?from={day}&to={day}&group_by=variant"
    report = httpx.get(url, headers=admin).json()
    assert without_rates(report["totals"]) == counts(sessions=2, tried=2)
    assert [row["key"] for row in report["rows"]] == [{"product_id": "round-classic", "variant": "black"},
                                                      {"product_id": "round-classic", "variant": "gold"}]
    as_csv = httpx.get(url.replace("/funnel?", "/funnel.csv?"), headers=admin)
    assert as_csv.headers["content-type"].startswith("text/csv") and "attachment" in as_csv.headers[
        "content-disposition"]
    assert as_csv.text.splitlines()[0].startswith("product_id,variant,sessions,tried,reservations")
    assert as_csv.text.splitlines()[-1].startswith("total,,2,2,0")
    assert httpx.get(url).status_code == 401
    backwards = f"{server.http}/api/analytics/funnel?from={day}&to=2000-01-01"
    assert httpx.get(backwards, headers=admin).status_code == 422
    assert httpx.get(url.replace("variant", "colour"), headers=admin).status_code == 422
