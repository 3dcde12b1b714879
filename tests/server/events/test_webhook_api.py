"""The webhook API on the real service: admin only, URLs and topics checked with a clear 422,
the secret shown once, deliveries listed with their attempts and errors, a failed one retried."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from server.events.signing import SIGNATURE_HEADER, verify
from tests.server.events.receivers import Receiver
from tests.server.events.test_live_events import ADMIN, count, new_store

pytestmark = pytest.mark.timeout(60)


async def deliveries_until(api: httpx.AsyncClient, hook_id: int, status: str, timeout_s: float = 20.0) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        rows = (await api.get(f"/api/webhooks/{hook_id}/deliveries", params={"status": status})).json()
        if rows:
            return rows
        if time.monotonic() > deadline:
            every = (await api.get(f"/api/webhooks/{hook_id}/deliveries")).json()
            raise AssertionError(f"no {status} delivery within {timeout_s} s: {every}")
        await asyncio.sleep(0.05)


def test_webhook_calls_are_admin_only_and_refuse_bad_urls_and_topics_clearly(server_pair):
    async def go():
        async with httpx.AsyncClient(base_url=server_pair.a.http, headers=ADMIN) as api:
            store_id = await new_store(api)
            staff_key = (await api.post("/api/staff-keys", json={"name": "desk", "store_ids": [store_id]})).json()
            hook = {"url": "https://pos.example.com/h"}
            anonymous = await api.post("/api/webhooks", json=hook, headers={"Authorization": ""})
            staff = await api.post("/api/webhooks", json=hook, headers={"Authorization": f"Bearer {staff_key['key']}"})
            bad = {url: await api.post("/api/webhooks", json={"url": url})
                   for url in ("ftp://pos.example.com/h", "pos.example.com/h", "https:///h", "http://host:99999/")}
            bad_topic = await api.post("/api/webhooks", json={"url": "https://pos.example.com/h", "topics": ["stock"]})
            return anonymous.status_code, staff.status_code, bad, bad_topic

    anonymous, staff, bad, bad_topic = asyncio.run(go())
    assert (anonymous, staff) == (401, 403)
    assert {url: reply.status_code for url, reply in bad.items()} == dict.fromkeys(bad, 422)
    assert "https://" in bad["ftp://pos.example.com/h"].json()["detail"]
    assert bad["https:///h"].json()["error"] == "InvalidWebhookUrl"
    assert bad_topic.status_code == 422 and "reservation.*" in bad_topic.json()["detail"]


def test_a_webhook_registered_through_the_api_receives_signed_events_and_a_failed_one_is_retried(server_pair):
    async def go(receiver):
        async with httpx.AsyncClient(base_url=server_pair.a.http, headers=ADMIN) as api:
            store_id = await new_store(api)
            created = await api.post("/api/webhooks", json={"url": receiver.url, "topics": ["stock.changed"]})
            hook = created.json()
            listed = (await api.get("/api/webhooks")).json()
            await count(api, store_id, 7)  # refused 3 times (the servers try 3 times): failed
            [failed] = await deliveries_until(api, hook["id"], "failed")
            receiver.refuse_first = 0
            retried = await api.post(f"/api/webhooks/{hook['id']}/deliveries/{failed['id']}/retry")
            [delivered] = await deliveries_until(api, hook["id"], "delivered")
            again = await api.post(f"/api/webhooks/{hook['id']}/deliveries/{failed['id']}/retry")
            removed = await api.delete(f"/api/webhooks/{hook['id']}")
            gone = await api.get(f"/api/webhooks/{hook['id']}/deliveries")
            return created, hook, listed, failed, retried, delivered, again, removed, gone

    with Receiver(refuse_first=3) as receiver:
        created, hook, listed, failed, retried, delivered, again, removed, gone = asyncio.run(go(receiver))
        requests = list(receiver.requests)
    assert created.status_code == 201 and hook["secret"].startswith("whsec_") and hook["topics"] == ["stock.changed"]
    [shown] = [h for h in listed if h["id"] == hook["id"]]
    assert "secret" not in shown and shown["secret_hint"] == "…" + hook["secret"][-4:]
    assert failed["attempts"] == 3 and failed["last_error"].startswith("HTTP 500")
    assert failed["topic"] == "stock.changed"
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    assert delivered["attempts"] == 4 and delivered["delivered_at"] is not None
    assert again.status_code == 409 and again.json()["error"] == "DeliveryNotFailed"
    assert removed.status_code == 204 and gone.status_code == 404
    assert [r.answered for r in requests] == [500, 500, 500, 200]
    assert all(verify(hook["secret"], r.body, r.headers[SIGNATURE_HEADER]) for r in requests)
