"""Live events over Server-Sent Events on two real server processes sharing one PostgreSQL
database and one Redis: an event reaches the pages of both processes whichever one dispatched
it; reservation streams need a key and stay within the key's stores; a page that reconnects
catches up on what it missed."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.server.commerce.world import ALWAYS_OPEN, PARIS, SKU
from tests.server.databases import ADMIN_KEY
from tests.server.events.sse_client import LiveStream

pytestmark = pytest.mark.timeout(90)
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def new_store(api: httpx.AsyncClient, on_hand: int | None = 5) -> int:
    """A new store, with `on_hand` units counted (None: no stock row, hence no event yet)."""
    reply = await api.post("/api/stores", json={"name": f"Store {uuid.uuid4().hex[:6]}", "lat": PARIS[0],
                                                "lon": PARIS[1], "opening_hours": ALWAYS_OPEN})
    assert reply.status_code == 201, reply.text
    store_id = reply.json()["id"]
    if on_hand is not None:
        await count(api, store_id, on_hand)
    return store_id


async def count(api: httpx.AsyncClient, store_id: int, on_hand: int) -> None:
    reply = await api.put(f"/api/stores/{store_id}/stock/{SKU}", json={"on_hand": on_hand})
    assert reply.status_code == 200, reply.text


async def reserve(api: httpx.AsyncClient, store_id: int) -> str:
    reply = await api.post("/api/reservations", json={"sku": SKU, "store_id": store_id},
                           headers={"Idempotency-Key": uuid.uuid4().hex})
    assert reply.status_code == 201, reply.text
    return reply.json()["code"]


def test_an_event_committed_on_one_server_reaches_live_pages_on_both(server_pair):
    async def go():
        async with httpx.AsyncClient(base_url=server_pair.a.http, headers=ADMIN) as a:
            store_id = await new_store(a, on_hand=None)  # its first event comes after the pages connect
            params = {"store_id": store_id}
            async with LiveStream(f"{server_pair.a.http}/api/events", params) as on_a, \
                    LiveStream(f"{server_pair.b.http}/api/events", params) as on_b:
                for on_hand in range(1, 7):
                    await count(a, store_id, on_hand)
                return on_a.content_type, await on_a.until(6), await on_b.until(6)

    content_type, on_a, on_b = asyncio.run(go())
    assert content_type.startswith("text/event-stream")
    # Each event was dispatched by one of the two processes, and both pages got every one: the
    # events crossed between the processes through Redis.
    assert {e.id for e in on_a} == {e.id for e in on_b} and len({e.id for e in on_b}) == 6
    assert sorted(e.data["payload"]["on_hand"] for e in on_b) == [1, 2, 3, 4, 5, 6]
    assert {e.topic for e in on_b} == {"stock.changed"} and all(e.data["topic"] == e.topic for e in on_b)


def test_staff_streams_need_a_key_and_see_only_their_stores_reservations(server_pair):
    async def go():
        async with httpx.AsyncClient(base_url=server_pair.a.http, headers=ADMIN) as a, \
                httpx.AsyncClient(base_url=server_pair.b.http) as b:
            mine, theirs = await new_store(a), await new_store(a)
            staff = await a.post("/api/staff-keys", json={"name": "front desk", "store_ids": [mine]})
            key = staff.json()["key"]
            asks = {"no key": {"topic": "reservation.*"}, "bad key": {"topic": "reservation.*", "key": "tsk_nope"},
                    "other store": {"store_id": theirs, "key": key}, "bad topic": {"topic": "reservations"}}
            refusals = {name: (await b.get("/api/events", params=params)).status_code for name, params in asks.items()}
            url = f"{server_pair.b.http}/api/events"
            async with LiveStream(url, {"topic": "reservation.*", "key": key}) as staff_page, \
                    LiveStream(url, {"topic": "reservation.*"}, ADMIN) as admin_page:
                await reserve(a, theirs)
                await admin_page.until(1)  # it was dispatched before the next one was even made
                await reserve(a, mine)
                [seen] = await staff_page.until(1)
                await admin_page.until(2)
                return refusals, seen, list(staff_page.events), list(admin_page.events), mine, theirs

    refusals, seen, staff_events, admin_events, mine, theirs = asyncio.run(go())
    assert refusals == {"no key": 401, "bad key": 401, "other store": 403, "bad topic": 422}
    assert seen.topic == "reservation.created" and seen.data["payload"]["store_id"] == mine
    assert [e.data["payload"]["store_id"] for e in staff_events] == [mine]
    assert [e.data["payload"]["store_id"] for e in admin_events] == [theirs, mine]


def test_a_page_that_reconnects_with_its_last_event_id_gets_what_it_missed(server_pair):
    async def go():
        async with httpx.AsyncClient(base_url=server_pair.a.http, headers=ADMIN) as a:
            store_id = await new_store(a, on_hand=None)
            params = {"store_id": store_id}
            async with LiveStream(f"{server_pair.b.http}/api/events", params) as page:
                await count(a, store_id, 1)
                [last] = await page.until(1)
            for on_hand in (2, 3):  # while the page is away
                await count(a, store_id, on_hand)
            async with LiveStream(f"{server_pair.b.http}/api/events", params,
                                  {"Last-Event-ID": str(last.id)}) as page:
                await count(a, store_id, 4)
                return await page.until(3)

    caught_up = asyncio.run(go())
    assert [e.data["payload"]["on_hand"] for e in caught_up] == [2, 3, 4]


def test_servers_log_no_error_after_live_pages_went_away(server_pair):
    for server in (server_pair.a, server_pair.b):
        assert server.alive() and "Traceback" not in server.log(), server.log()[-3000:]
