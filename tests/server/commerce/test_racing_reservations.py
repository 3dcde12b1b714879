"""The guarantees under real concurrency: 200 clients in 4 processes against 2 server processes,
on a SQLite file and on PostgreSQL. Exactly the free units (or slot places) are reserved, every
other client hears a clear no, and the counters, the ledger and the reservations agree."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import pytest

from tests.server.commerce.racing_clients import race
from tests.server.databases import ADMIN_KEY
from tests.server.live_server import LiveServer, commerce_server

pytestmark = pytest.mark.timeout(240)
SKU = "round-classic-black"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The service in two worker processes on one database."""
    with commerce_server(request.param, tmp_path_factory.mktemp(f"race-{request.param}"), workers=2) as live:
        yield live


def new_store(shop: LiveServer, on_hand: int, **fields) -> int:
    body = {"name": f"Race {uuid.uuid4().hex[:6]}", "lat": 48.85, "lon": 2.35, "opening_hours": ALWAYS_OPEN, **fields}
    store = httpx.post(f"{shop.http}/api/stores", json=body, headers=ADMIN).raise_for_status().json()
    httpx.put(f"{shop.http}/api/stores/{store['id']}/stock/{SKU}", json={"on_hand": on_hand},
              headers=ADMIN).raise_for_status()
    return store["id"]


def reservation(store_id: int, key: str | None = None, **fields):
    return ("POST", "/api/reservations", {"sku": SKU, "store_id": store_id, "quantity": 1, **fields},
            {"Idempotency-Key": key or uuid.uuid4().hex})


def stock_of(shop: LiveServer, store_id: int) -> dict:
    return httpx.get(f"{shop.http}/api/stores/{store_id}/stock/{SKU}").raise_for_status().json()


def ledger_totals(shop: LiveServer, store_id: int) -> tuple[int, int, Counter]:
    entries = httpx.get(f"{shop.http}/api/stores/{store_id}/stock/{SKU}/ledger?limit=1000",
                        headers=ADMIN).raise_for_status().json()
    return (sum(e["on_hand_delta"] for e in entries), sum(e["allocated_delta"] for e in entries),
            Counter(e["reason"] for e in entries))


def test_two_hundred_racing_reservations_for_the_last_ten_units_never_oversell(shop):
    store_id = new_store(shop, on_hand=10)
    replies = race(shop.http, [reservation(store_id) for _ in range(200)])
    statuses = Counter(status for status, _ in replies)
    assert statuses == {201: 10, 409: 190}, statuses
    refusals = [body for status, body in replies if status == 409]
    assert all(r["error"] == "InsufficientStock" and "not enough stock" in r["detail"] and r["available"] == 0
               for r in refusals)
    codes = {body["code"] for status, body in replies if status == 201}
    assert len(codes) == 10
    stock = stock_of(shop, store_id)
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (10, 10, 0)
    on_hand, allocated, reasons = ledger_totals(shop, store_id)
    assert (on_hand, allocated) == (10, 10) and reasons["hold"] == 10
    held = httpx.get(f"{shop.http}/api/stores/{store_id}/reservations", headers=ADMIN).json()["reservations"]
    assert {r["code"] for r in held} == codes and all(r["status"] == "held" for r in held)


def test_racing_bookings_never_overbook_the_last_places_of_a_fitting_slot(shop):
    store_id = new_store(shop, on_hand=500, fitting_capacity=3, slot_minutes=30)
    slots = httpx.get(f"{shop.http}/api/stores/{store_id}/slots?days=2").json()["slots"]
    slot = slots[4]["start"]
    replies = race(shop.http, [reservation(store_id, slot_start=slot) for _ in range(200)])
    statuses = Counter(status for status, _ in replies)
    assert statuses == {201: 3, 409: 197}, statuses
    assert all(body["error"] == "SlotFull" and "fully booked" in body["detail"]
               for status, body in replies if status == 409)
    after = next(s for s in httpx.get(f"{shop.http}/api/stores/{store_id}/slots?days=2").json()["slots"]
                 if s["start"] == slot)
    assert after["places_left"] == 0
    stock = stock_of(shop, store_id)
    assert stock["reserved"] == 3  # refused bookings left no stock held
    assert ledger_totals(shop, store_id)[1] == 3


def test_fifty_racing_replays_of_one_key_create_one_reservation_and_all_get_it(shop):
    store_id = new_store(shop, on_hand=5)
    key = uuid.uuid4().hex
    replies = race(shop.http, [reservation(store_id, key=key) for _ in range(50)])
    assert {status for status, _ in replies} == {201}
    assert len({body["code"] for _, body in replies}) == 1
    assert all(body == replies[0][1] for _, body in replies)
    assert stock_of(shop, store_id)["reserved"] == 1


def test_racing_check_ins_and_no_shows_of_one_reservation_let_exactly_one_side_win(shop):
    store_id = new_store(shop, on_hand=1)
    held = httpx.post(f"{shop.http}/api/reservations", json={"sku": SKU, "store_id": store_id},
                      headers={"Idempotency-Key": uuid.uuid4().hex}).raise_for_status().json()
    httpx.post(f"{shop.http}/api/reservations/{held['code']}/confirm").raise_for_status()
    path = f"/api/stores/{store_id}/reservations/{held['code']}"
    requests = [("POST", f"{path}/{'check-in' if i % 2 else 'no-show'}", None, ADMIN) for i in range(40)]
    replies = race(shop.http, requests)
    winners = {body["status"] for status, body in replies if status == 200}
    losers = [body for status, body in replies if status != 200]
    final = httpx.get(f"{shop.http}/api/reservations/{held['code']}").json()["status"]
    assert winners == {final} and final in ("checked_in", "no_show")
    assert len(losers) == 20 and all(r["error"] == "TransitionNotAllowed" for r in losers)
    stock = stock_of(shop, store_id)
    assert stock["available"] == (1 if final == "no_show" else 0)
    on_hand, allocated, _ = ledger_totals(shop, store_id)
    assert (on_hand, allocated) == (stock["on_hand"], stock["reserved"])


def test_an_expired_hold_frees_its_unit_for_the_next_shopper_without_a_sweep(shop):
    store_id = new_store(shop, on_hand=1, hold_seconds=1)
    first = httpx.post(f"{shop.http}/api/reservations", json={"sku": SKU, "store_id": store_id},
                       headers={"Idempotency-Key": uuid.uuid4().hex}).raise_for_status().json()
    refused = httpx.post(f"{shop.http}/api/reservations", json={"sku": SKU, "store_id": store_id},
                         headers={"Idempotency-Key": uuid.uuid4().hex})
    assert refused.status_code == 409
    deadline = datetime.fromisoformat(first["expires_at"].replace("Z", "+00:00"))
    time.sleep(max(0.0, (deadline - datetime.now(timezone.utc)).total_seconds()) + 0.2)
    assert stock_of(shop, store_id)["available"] == 1  # readers stop counting it at once
    assert httpx.get(f"{shop.http}/api/reservations/{first['code']}").json()["status"] == "expired"
    again = httpx.post(f"{shop.http}/api/reservations", json={"sku": SKU, "store_id": store_id},
                       headers={"Idempotency-Key": uuid.uuid4().hex})
    assert again.status_code == 201
    confirm = httpx.post(f"{shop.http}/api/reservations/{first['code']}/confirm")
    assert confirm.status_code == 409 and confirm.json()["error"] == "HoldExpired"
    _, allocated, reasons = ledger_totals(shop, store_id)
    assert allocated == 1 and reasons["expire"] == 1
