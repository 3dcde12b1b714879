"""Coupons against the real service (two worker processes, on a SQLite file and on PostgreSQL):
fifty clients in four processes redeeming one coupon, racing issuers against max_coupons, store
staff keys that only work in their store, and the shopper's view by code."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.server.commerce.racing_clients import race
from tests.server.databases import ADMIN_KEY
from tests.server.live_server import LiveServer, commerce_server

pytestmark = pytest.mark.timeout(240)
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The service in two worker processes on one database."""
    with commerce_server(request.param, tmp_path_factory.mktemp(f"coupons-{request.param}"), workers=2) as live:
        yield live


def post(shop: LiveServer, path: str, body: dict | None = None, headers: dict | None = None) -> httpx.Response:
    return httpx.post(f"{shop.http}{path}", json=body, headers=headers, timeout=30)


def new_store(shop: LiveServer, name: str) -> int:
    return post(shop, "/api/stores", {"name": name, "lat": 48.87, "lon": 2.33}, ADMIN).raise_for_status().json()["id"]


def new_session(shop: LiveServer) -> str:
    session_id = uuid.uuid4().hex
    started = (datetime.now(timezone.utc) - timedelta(minutes=3)).isoformat()
    post(shop, "/api/tryon-sessions", {"id": session_id, "started_at": started,
                                       "items": [{"product_id": "round-classic", "variant": "gold"}]}
         ).raise_for_status()
    return session_id


def new_campaign(shop: LiveServer, **fields) -> dict:
    now = datetime.now(timezone.utc)
    body = {"name": f"Winter {uuid.uuid4().hex[:4]}", "percent_off": 20, "valid_from": (now - timedelta(hours=1))
            .isoformat(), "valid_until": (now + timedelta(days=7)).isoformat(), **fields}
    return post(shop, "/api/campaigns", body, ADMIN).raise_for_status().json()


def new_coupon(shop: LiveServer, campaign: dict) -> str:
    reply = post(shop, "/api/coupons", {"campaign_id": campaign["id"], "tryon_session_id": new_session(shop)})
    assert reply.status_code == 201, reply.text
    return reply.json()["code"]


def test_fifty_clients_in_four_processes_redeeming_one_coupon_hear_one_yes(shop):
    store_id = new_store(shop, "Opéra")
    code = new_coupon(shop, new_campaign(shop))
    replies = race(shop.http, [("POST", f"/api/stores/{store_id}/coupons/{code}/redeem", {}, ADMIN)] * 50)
    assert Counter(status for status, _ in replies) == {200: 1, 409: 49}
    refusals = [body for status, body in replies if status == 409]
    assert all(r["error"] == "CouponAlreadyRedeemed" and f"already redeemed at Opéra (store {store_id}) on "
               in r["detail"] for r in refusals)
    seen = httpx.get(f"{shop.http}/api/coupons/{code.lower().replace('-', ' ')}").json()
    assert seen["status"] == "redeemed" and seen["redeemed_store_id"] == store_id


def test_racing_clients_never_get_more_coupons_than_the_campaign_has(shop):
    campaign = new_campaign(shop, max_coupons=5)
    sessions = [new_session(shop) for _ in range(30)]
    replies = race(shop.http, [("POST", "/api/coupons", {"campaign_id": campaign["id"], "tryon_session_id": s}, {})
                               for s in sessions])
    assert Counter(status for status, _ in replies) == {201: 5, 409: 25}
    assert {body["error"] for status, body in replies if status == 409} == {"CouponsExhausted"}
    listed = httpx.get(f"{shop.http}/api/campaigns/{campaign['id']}", headers=ADMIN).json()
    assert listed["issued"] == 5 and listed["remaining"] == 0
    lucky, coupon = next((s, body) for s, (status, body) in zip(sessions, replies) if status == 201)
    again = post(shop, "/api/coupons", {"campaign_id": campaign["id"], "tryon_session_id": lucky})
    assert again.status_code == 200 and again.json()["code"] == coupon["code"]  # the same one, not a sixth


def test_staff_redeem_only_in_their_own_store_and_campaigns_are_the_admins(shop):
    mine, theirs = new_store(shop, "Mine"), new_store(shop, "Theirs")
    staff = post(shop, "/api/staff-keys", {"name": "front desk", "store_ids": [mine]}, ADMIN).raise_for_status().json()
    key = {"Authorization": f"Bearer {staff['key']}"}
    campaign = new_campaign(shop, product_ids=["round-classic"])
    code = new_coupon(shop, campaign)
    elsewhere = post(shop, f"/api/stores/{theirs}/coupons/{code}/redeem", {"sku": "round-classic-gold"}, key)
    assert elsewhere.status_code == 403 and f"does not cover store {theirs}" in elsewhere.json()["detail"]
    assert post(shop, f"/api/stores/{mine}/coupons/{code}/redeem", {"sku": "round-classic-gold"}).status_code == 401
    wrong = post(shop, f"/api/stores/{mine}/coupons/{code}/redeem", {"sku": "rect-metro-black"}, key)
    assert wrong.status_code == 409 and wrong.json()["error"] == "CouponNotApplicable"
    done = post(shop, f"/api/stores/{mine}/coupons/{code}/redeem", {"sku": "round-classic-gold"}, key)
    assert done.status_code == 200 and done.json()["redeemed_by"] == "staff:front desk"
    assert post(shop, "/api/campaigns", {}, key).status_code == 403
    assert httpx.get(f"{shop.http}/api/campaigns", headers=key).status_code == 403
    assert any(c["id"] == campaign["id"] for c in httpx.get(f"{shop.http}/api/campaigns",
                                                            headers=ADMIN).json()["campaigns"])


def test_campaigns_are_created_once_per_idempotency_key_and_checked(shop):
    now = datetime.now(timezone.utc)
    body = {"name": "Once", "amount_off_cents": 500, "valid_from": now.isoformat(),
            "valid_until": (now + timedelta(days=1)).isoformat()}
    headers = {**ADMIN, "Idempotency-Key": uuid.uuid4().hex}
    first, again = post(shop, "/api/campaigns", body, headers), post(shop, "/api/campaigns", body, headers)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    both = post(shop, "/api/campaigns", {**body, "percent_off": 5}, ADMIN)
    assert both.status_code == 422 and "exactly one of" in both.json()["detail"]
    unknown = post(shop, "/api/coupons", {"campaign_id": first.json()["id"], "tryon_session_id": uuid.uuid4().hex})
    assert unknown.status_code == 404 and "no try-on session" in unknown.json()["detail"]


def test_unknown_coupon_codes_are_404_and_then_rate_limited(shop):
    """Last in this module: it spends this address's allowance of misses on both processes."""
    statuses = [httpx.get(f"{shop.http}/api/coupons/{'0000-0000-0000-%04d' % i}").status_code for i in range(60)]
    assert statuses[0] == 404 and 429 in statuses
