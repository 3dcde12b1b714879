"""The commerce HTTP API against the real service, on SQLite and on PostgreSQL: stores, stock
(compare-and-set, idempotent adjustments, the ledger, CSV import), nearby availability,
reservations and their QR codes, and who may do what."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import cv2
import httpx
import numpy as np
import pytest

from tests.server.databases import ADMIN_KEY
from tests.server.live_server import commerce_server

pytestmark = pytest.mark.timeout(120)
SKU, OTHER = "round-classic-black", "rect-metro-tortoise"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with commerce_server(request.param, tmp_path_factory.mktemp(f"api-{request.param}")) as live, \
            httpx.Client(base_url=live.http, timeout=30) as client:
        yield client


def store(shop: httpx.Client, lat: float = 48.85, lon: float = 2.35, **fields) -> int:
    body = {"name": f"Store {uuid.uuid4().hex[:6]}", "lat": lat, "lon": lon, "opening_hours": ALWAYS_OPEN, **fields}
    return shop.post("/api/stores", json=body, headers=ADMIN).raise_for_status().json()["id"]


def put_stock(shop: httpx.Client, store_id: int, on_hand: int, sku: str = SKU, headers=None, **extra):
    return shop.put(f"/api/stores/{store_id}/stock/{sku}", json={"on_hand": on_hand, **extra},
                    headers=headers or ADMIN)


def staff_key(shop: httpx.Client, *store_ids: int) -> dict[str, str]:
    made = shop.post("/api/staff-keys", json={"name": "desk", "store_ids": list(store_ids)}, headers=ADMIN)
    return {"Authorization": f"Bearer {made.raise_for_status().json()['key']}"}


def reserve(shop: httpx.Client, store_id: int, key: str | None = None, **fields) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return shop.post("/api/reservations", json={"sku": SKU, "store_id": store_id, **fields},
                     headers=headers or {"Idempotency-Key": uuid.uuid4().hex})


# --- stores ---

def test_creating_a_store_needs_the_admin_key_and_valid_hours(shop):
    body = {"name": "X", "lat": 1, "lon": 2}
    assert shop.post("/api/stores", json=body).status_code == 401
    assert shop.post("/api/stores", json=body, headers={"Authorization": "Bearer wrong-key"}).status_code == 401
    bad_hours = shop.post("/api/stores", json={**body, "opening_hours": {"mon": [["18:00", "09:00"]]}}, headers=ADMIN)
    assert bad_hours.status_code == 422 and "closes before it opens" in bad_hours.json()["detail"]
    bad_zone = shop.post("/api/stores", json={**body, "timezone": "Mars/Olympus"}, headers=ADMIN)
    assert bad_zone.status_code == 422 and "unknown time zone" in bad_zone.json()["detail"]
    made = shop.post("/api/stores", json=body, headers=ADMIN)
    assert made.status_code == 201 and isinstance(made.json()["id"], int)
    assert shop.get(f"/api/stores/{made.json()['id']}").json()["name"] == "X"


def test_a_store_create_replayed_with_its_key_makes_one_store(shop):
    body = {"name": f"Once {uuid.uuid4().hex[:4]}", "lat": 10, "lon": 10}
    key = {**ADMIN, "Idempotency-Key": uuid.uuid4().hex}
    first, second = (shop.post("/api/stores", json=body, headers=key) for _ in range(2))
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    assert sum(s["name"] == body["name"] for s in shop.get("/api/stores").json()) == 1


# --- stock ---

def test_setting_stock_with_a_stale_version_is_refused_with_the_current_one(shop):
    store_id = store(shop)
    first = put_stock(shop, store_id, 5).json()
    assert (first["on_hand"], first["available"], first["version"]) == (5, 5, 1)
    stale = put_stock(shop, store_id, 7, expected_version=0)
    assert stale.status_code == 409 and stale.json()["version"] == 1 and "read it again" in stale.json()["detail"]
    fresh = put_stock(shop, store_id, 7, expected_version=1)
    assert fresh.status_code == 200 and fresh.json()["on_hand"] == 7


def test_an_adjustment_needs_a_key_and_its_replay_changes_stock_once(shop):
    store_id = store(shop)
    put_stock(shop, store_id, 5)
    path = f"/api/stores/{store_id}/stock/{SKU}/adjust"
    missing = shop.post(path, json={"delta": -1}, headers=ADMIN)
    assert missing.status_code == 422 and "Idempotency-Key" in missing.json()["detail"]
    headers = {**ADMIN, "Idempotency-Key": uuid.uuid4().hex}
    one, two = (shop.post(path, json={"delta": -2, "reason": "sale", "reference": "till 4"}, headers=headers)
                for _ in range(2))
    assert one.json() == two.json() and one.json()["on_hand"] == 3
    too_many = shop.post(path, json={"delta": -9}, headers={**ADMIN, "Idempotency-Key": uuid.uuid4().hex})
    assert too_many.status_code == 409 and "only 3 on hand" in too_many.json()["detail"]
    ledger = shop.get(f"/api/stores/{store_id}/stock/{SKU}/ledger", headers=ADMIN).json()
    assert [(e["reason"], e["on_hand_delta"]) for e in ledger] == [("adjust", -2), ("count", 5)]
    assert ledger[0]["reference"] == "sale: till 4" and ledger[0]["actor"] == "admin"


def test_unknown_skus_and_stores_are_404_and_bad_counts_422(shop):
    store_id = store(shop)
    assert put_stock(shop, store_id, 1, sku="no-such-sku").status_code == 404
    assert put_stock(shop, 999_999, 1).status_code == 404
    assert put_stock(shop, store_id, -1).status_code == 422


def test_the_csv_import_applies_good_rows_and_reports_each_bad_one(shop):
    a, b = store(shop), store(shop)
    csv = (f"store_id,sku,on_hand,reference\n{a},{SKU},4,nightly\n{b},{SKU},2,\n{a},{OTHER},x,\n"
           f"999999,{SKU},1,\n{a},no-such-sku,1,\n{b},{SKU},3,\n{a},{OTHER},-2,\n").encode()
    report = shop.post("/api/stock/import", content=csv, headers={**ADMIN, "Content-Type": "text/csv"}).json()
    assert (report["rows"], report["applied"], report["rejected_count"]) == (7, 2, 5)
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert "whole numbers" in reasons[4] and "no store with id 999999" in reasons[5]
    assert "unknown SKU" in reasons[6] and "already appears on line 3" in reasons[7] and "between 0" in reasons[8]
    assert shop.get(f"/api/stores/{a}/stock/{SKU}").json()["on_hand"] == 4
    ledger = shop.get(f"/api/stores/{a}/stock/{SKU}/ledger", headers=ADMIN).json()
    assert ledger[0]["reason"] == "import" and ledger[0]["reference"] == "nightly"
    bad = shop.post("/api/stock/import", content=b"sku,qty\nx,1\n", headers={**ADMIN, "Content-Type": "text/csv"})
    assert bad.status_code == 422 and "store_id" in bad.json()["detail"]


# --- availability ---

def test_nearby_availability_lists_stores_with_stock_nearest_first(shop):
    here = (45.0 + uuid.uuid4().int % 1000 / 1e4, 5.0)  # a spot no other test uses
    near, mid, far, empty = (store(shop, here[0] + d, here[1]) for d in (0.01, 0.05, 0.5, 0.02))
    for store_id, count in ((near, 2), (mid, 5), (far, 9), (empty, 0)):
        put_stock(shop, store_id, count)
    found = shop.get("/api/availability", params={"sku": SKU, "lat": here[0], "lon": here[1], "radius_km": 20}).json()
    assert [s["store_id"] for s in found["stores"]] == [near, mid]  # far is ~55 km away; empty has none
    assert found["stores"][0]["distance_km"] < found["stores"][1]["distance_km"]
    assert [s["available"] for s in found["stores"]] == [2, 5] and found["stores"][0]["next_slots"]
    reserve(shop, near, quantity=2).raise_for_status()
    after = shop.get("/api/availability", params={"sku": SKU, "lat": here[0], "lon": here[1], "radius_km": 20}).json()
    assert [s["store_id"] for s in after["stores"]] == [mid]  # the hold took the near store's last units


def test_availability_for_several_skus_keeps_stores_that_have_them_all(shop):
    here = (40.0 + uuid.uuid4().int % 1000 / 1e4, -3.7)
    both, one = store(shop, here[0], here[1]), store(shop, here[0] + 0.01, here[1])
    put_stock(shop, both, 1), put_stock(shop, both, 1, sku=OTHER), put_stock(shop, one, 3)
    query = {"sku": [SKU, OTHER], "lat": here[0], "lon": here[1], "radius_km": 5}
    assert [s["store_id"] for s in shop.get("/api/availability", params=query).json()["stores"]] == [both]
    relaxed = shop.get("/api/availability", params={**query, "require_all": False}).json()["stores"]
    assert [(s["store_id"], s["has_all"]) for s in relaxed] == [(both, True), (one, False)]


def test_availability_by_postcode_and_its_errors(shop):
    code = f"9{uuid.uuid4().int % 10000:04d}"
    store_id = store(shop, 43.3, 5.4, postcode=code)
    put_stock(shop, store_id, 1)
    found = shop.get("/api/availability", params={"sku": SKU, "postcode": code}).json()
    assert [s["store_id"] for s in found["stores"]] == [store_id]
    nowhere = shop.get("/api/availability", params={"sku": SKU})
    assert nowhere.status_code == 422 and "lat and lon" in nowhere.json()["detail"]
    assert shop.get("/api/availability", params={"sku": SKU, "postcode": "ZZ99"}).status_code == 422
    assert shop.get("/api/availability", params={"sku": SKU, "lat": 95, "lon": 0}).status_code == 422


# --- reservations ---

def test_a_reservation_needs_a_key_and_says_clearly_when_stock_is_short(shop):
    store_id = store(shop)
    put_stock(shop, store_id, 1)
    assert shop.post("/api/reservations", json={"sku": SKU, "store_id": store_id}).status_code == 422
    made = reserve(shop, store_id, contact={"name": "Ada", "email": "ada@example.com"})
    assert made.status_code == 201
    body = made.json()
    assert body["status"] == "held" and body["expires_at"] and body["store"]["id"] == store_id
    short = reserve(shop, store_id)
    assert short.status_code == 409 and short.json()["error"] == "InsufficientStock"
    assert short.json()["detail"] == f"not enough stock: 1 x {SKU} requested at store {store_id}, 0 available"
    assert reserve(shop, store_id, sku="no-such-sku").status_code == 404
    assert reserve(shop, 987_654).status_code == 404


def test_the_qr_code_opens_the_reservation_page(shop):
    store_id = store(shop)
    put_stock(shop, store_id, 1)
    code = reserve(shop, store_id).json()["code"]
    png = shop.get(f"/api/reservations/{code}/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    image = cv2.imdecode(np.frombuffer(png.content, np.uint8), cv2.IMREAD_GRAYSCALE)
    # OpenCV's classic detector misses ~1 code in 400; its ArUco-based one reads those
    text = cv2.QRCodeDetector().detectAndDecode(image)[0] or cv2.QRCodeDetectorAruco().detectAndDecode(image)[0]
    assert text == f"{str(shop.base_url).rstrip('/')}/r/{code}"
    svg = shop.get(f"/api/reservations/{code}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content


def test_a_shopper_confirms_views_and_cancels_with_the_code_only(shop):
    store_id = store(shop)
    put_stock(shop, store_id, 1)
    code = reserve(shop, store_id).json()["code"]
    typed = code.lower().replace("-", " ")  # read out over the phone
    confirmed = shop.post(f"/api/reservations/{typed}/confirm", json={"contact": {"phone": "+33 1 23 45 67 89"}})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["contact"] == {"phone": "+33 1 23 45 67 89"}
    assert shop.get(f"/api/reservations/{code}").json()["status"] == "confirmed"
    assert shop.post(f"/api/reservations/{code}/cancel").json()["status"] == "cancelled"
    assert shop.get(f"/api/stores/{store_id}/stock/{SKU}").json()["available"] == 1


# --- who may do what ---

def test_a_staff_key_works_on_its_store_and_gets_403_on_any_other(shop):
    mine, theirs = store(shop), store(shop)
    key = staff_key(shop, mine)
    put_stock(shop, theirs, 3)
    assert put_stock(shop, mine, 3, headers=key).status_code == 200
    refused = put_stock(shop, theirs, 0, headers=key)
    assert refused.status_code == 403 and f"store {theirs}" in refused.json()["detail"]
    assert shop.get(f"/api/stores/{theirs}/reservations", headers=key).status_code == 403
    assert shop.get(f"/api/stores/{theirs}/stock", headers=key).status_code == 403
    code = reserve(shop, theirs).json()["code"]
    assert shop.post(f"/api/stores/{theirs}/reservations/{code}/cancel", headers=key).status_code == 403
    # naming its own store does not reach another store's reservation either
    assert shop.post(f"/api/stores/{mine}/reservations/{code}/cancel", headers=key).status_code == 404
    assert shop.get(f"/api/reservations/{code}").json()["status"] == "held"
    assert shop.post("/api/stores", json={"name": "Mine now", "lat": 0, "lon": 0}, headers=key).status_code == 403
    assert shop.get("/api/me", headers=key).json()["stores"][0]["id"] == mine


def test_reservation_lists_need_a_key_and_revoked_keys_stop_working(shop):
    store_id = store(shop)
    assert shop.get(f"/api/stores/{store_id}/reservations").status_code == 401
    made = shop.post("/api/staff-keys", json={"name": "temp", "store_ids": [store_id]}, headers=ADMIN).json()
    key = {"Authorization": f"Bearer {made['key']}"}
    assert shop.get(f"/api/stores/{store_id}/reservations", headers=key).status_code == 200
    assert made["key"] not in str(shop.get("/api/staff-keys", headers=ADMIN).json())  # shown once only
    assert shop.delete(f"/api/staff-keys/{made['id']}", headers=ADMIN).status_code == 204
    assert shop.get(f"/api/stores/{store_id}/reservations", headers=key).status_code == 401


def test_reservation_codes_are_random_and_guessing_them_is_cut_off(shop):
    store_id = store(shop)
    put_stock(shop, store_id, 30)
    codes = [reserve(shop, store_id).json()["code"] for _ in range(30)]
    assert len(set(codes)) == 30 and all(len(c) == 19 and c.count("-") == 3 for c in codes)
    # consecutive reservations share no structure an attacker could walk
    assert len({c[:4] for c in codes}) > 20
    misses = [shop.get(f"/api/reservations/{'0000-0000-0000-' + str(1000 + i)}").status_code for i in range(25)]
    first_refusal = misses.index(429)  # earlier tests' misses from this address count too
    assert 15 <= first_refusal <= 20 and set(misses[:first_refusal]) == {404} and set(misses[first_refusal:]) == {429}
