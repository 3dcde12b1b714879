"""Webhooks on both databases: events arrive signed, on the topics asked for, retried with
growing waits, given up after the last attempt and retried by hand; a hanging receiver never
holds up the others."""

from __future__ import annotations

import asyncio
import json

import pytest

from server.commerce.clock import utc_now
from server.commerce.reservations import ReservationRequest, create_reservation
from server.events.delivery_worker import PER_WEBHOOK
from server.events.signing import SIGNATURE_HEADER, verify
from server.events.webhooks import retry_delivery
from tests.server.commerce.world import SKU, add_store, open_commerce
from tests.server.events.event_world import add_webhook, count_stock, deliveries, eventually
from tests.server.events.receivers import Receiver

pytestmark = pytest.mark.timeout(60)


async def all_delivered(runtime, webhook_id: int, count: int):
    rows = await deliveries(runtime, webhook_id, "delivered")
    return rows if len(rows) == count else None


def test_an_event_reaches_each_webhook_on_its_topics_signed_with_its_secret(database_url, tmp_path):
    async def go(every, reservations):
        async with open_commerce(database_url, tmp_path, webhook_allow_private=True) as rt:
            to_every = await add_webhook(rt, every.url, secret="retailer-chosen-secret-123")
            to_reservations = await add_webhook(rt, reservations.url, ["reservation.*"])
            store = await add_store(rt)
            await count_stock(rt, store["id"], 4)
            await create_reservation(rt.db, ReservationRequest(SKU, store["id"], 2), "key-1", rt.clock)
            got_every = await every.until(3)  # the count's and the hold's stock.changed, reservation.created
            got_reservations = await reservations.until(1)
            rows = await eventually(lambda: all_delivered(rt, to_every["id"], 3), what="3 deliveries recorded")
            return to_every, to_reservations, got_every, got_reservations, rows

    with Receiver() as every, Receiver() as reservations:
        hook, reservations_hook, got_every, got_reservations, rows = asyncio.run(go(every, reservations))
    assert hook["secret"] == "retailer-chosen-secret-123" and reservations_hook["secret"].startswith("whsec_")
    bodies = [json.loads(r.body) for r in got_every]
    assert sorted(b["topic"] for b in bodies) == ["reservation.created", "stock.changed", "stock.changed"]
    assert all(verify(hook["secret"], r.body, r.headers[SIGNATURE_HEADER]) for r in got_every)
    [count] = [r for r in got_every if b'"reason":"count"' in r.body]
    assert not verify(hook["secret"], count.body.replace(b'"on_hand":4', b'"on_hand":9'), count.headers[SIGNATURE_HEADER])
    assert not verify(reservations_hook["secret"], got_every[0].body, got_every[0].headers[SIGNATURE_HEADER])
    [reservation] = [json.loads(r.body) for r in got_reservations]
    assert reservation["topic"] == "reservation.created" and reservation["payload"]["quantity"] == 2
    assert set(reservation) == {"id", "topic", "created_at", "payload"}
    assert verify(reservations_hook["secret"], got_reservations[0].body, got_reservations[0].headers[SIGNATURE_HEADER])
    assert got_reservations[0].headers["X-Tryon-Event"] == "reservation.created"
    assert len(rows) == 3 and all(r["attempts"] == 1 for r in rows)


def test_a_refusing_webhook_is_retried_with_growing_waits_until_it_accepts(database_url, tmp_path):
    async def go(receiver):
        async with open_commerce(database_url, tmp_path, webhook_retry_base_s=0.1, webhook_allow_private=True) as rt:
            hook = await add_webhook(rt, receiver.url)
            store = await add_store(rt)
            await count_stock(rt, store["id"], 1)
            requests = await receiver.until(4)
            [row] = await eventually(lambda: deliveries(rt, hook["id"], "delivered"), what="the delivery")
            return requests, row

    with Receiver(refuse_first=3) as receiver:
        requests, row = asyncio.run(go(receiver))
    assert [r.answered for r in requests] == [500, 500, 500, 200]
    assert len({r.body for r in requests}) == 1  # the same event each time
    waits = [later.at - earlier.at for earlier, later in zip(requests, requests[1:])]
    assert waits[0] >= 0.1 and waits[1] >= 0.2 and waits[2] >= 0.4, waits  # 0.1 s doubling, jitter only adds
    assert waits[2] < 2.0, waits
    assert row["attempts"] == 4 and row["last_error"].startswith("HTTP 500")


def test_a_webhook_that_keeps_refusing_fails_after_the_last_attempt_and_a_retry_delivers_it(database_url, tmp_path):
    async def go(receiver):
        async with open_commerce(database_url, tmp_path, webhook_retry_base_s=0.02, webhook_max_attempts=3,
                                 webhook_allow_private=True) as rt:
            hook = await add_webhook(rt, receiver.url)
            store = await add_store(rt)
            await count_stock(rt, store["id"], 1)
            [failed] = await eventually(lambda: deliveries(rt, hook["id"], "failed"), what="the delivery failing")
            await asyncio.sleep(0.3)  # long enough for a fourth attempt, had there been one
            tried = receiver.count()
            receiver.refuse_first = 0
            retried = await rt.db.write(lambda conn: retry_delivery(conn, hook["id"], failed["id"], utc_now()))
            rt.events.notify()
            [delivered] = await eventually(lambda: deliveries(rt, hook["id"], "delivered"), what="the retry")
            return failed, tried, retried, delivered

    with Receiver(refuse_first=100, refuse_status=503) as receiver:
        failed, tried, retried, delivered = asyncio.run(go(receiver))
    assert tried == 3 and failed["attempts"] == 3 and failed["last_error"].startswith("HTTP 503")
    assert retried["status"] == "pending" and delivered["attempts"] == 4 and delivered["delivered_at"]


async def timeouts(runtime, webhook_id: int):
    return [row for row in await deliveries(runtime, webhook_id) if "no answer within 1 s" in row["last_error"]]


def test_a_backlog_for_a_hanging_webhook_does_not_hold_up_the_others(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'tryon.db'}"

    async def go(hanging, healthy):
        async with open_commerce(db_url, tmp_path, webhook_timeout_s=1, webhook_allow_private=True) as rt:
            slow = await add_webhook(rt, hanging.url)
            store = await add_store(rt)
            await count_stock(rt, store["id"], *range(1, 41))  # more than a process has request slots
            await eventually(lambda: all_pending(rt, slow["id"], 40), what="the backlog")
            await add_webhook(rt, healthy.url)
            await count_stock(rt, store["id"], *range(1, 11))
            started = asyncio.get_running_loop().time()
            await healthy.until(10, timeout_s=5)
            took = asyncio.get_running_loop().time() - started
            timed_out = await eventually(lambda: timeouts(rt, slow["id"]), what="a timeout recorded")
            return took, timed_out

    with Receiver(answer_after_s=4) as hanging, Receiver() as healthy:
        took, timed_out = asyncio.run(go(hanging, healthy))
    assert took < 0.9, took  # before the backlog's first requests time out (1 s)
    assert hanging.max_concurrent <= PER_WEBHOOK, hanging.max_concurrent  # however long its backlog
    assert timed_out[0]["status"] == "pending" and timed_out[0]["attempts"] == 1  # it will be tried again


async def all_pending(runtime, webhook_id: int, count: int):
    return len(await deliveries(runtime, webhook_id, "pending")) == count
