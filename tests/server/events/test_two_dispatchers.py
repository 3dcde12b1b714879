"""Two processes' event runtimes on one database (as two servers would run) share the outbox:
every event reaches the webhook exactly once, none is lost, and each is fanned out once."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select

from server.db.models import OutboxEvent
from tests.server.commerce.world import add_store, open_commerce
from tests.server.events.event_world import add_webhook, count_stock, deliveries, eventually
from tests.server.events.receivers import Receiver

pytestmark = pytest.mark.timeout(60)
WRITERS, COMMITS, EVENTS_PER_COMMIT = 2, 15, 4  # 120 events, committed from both processes at once


def test_two_dispatchers_deliver_every_event_exactly_once(database_url, tmp_path):
    async def go(receiver):
        async with open_commerce(database_url, tmp_path / "a", webhook_allow_private=True) as one, \
                open_commerce(database_url, tmp_path / "b", webhook_allow_private=True) as two:
            hook = await add_webhook(one, receiver.url)
            store = await add_store(one)

            async def write(runtime):
                for commit in range(COMMITS):
                    await count_stock(runtime, store["id"], *range(commit, commit + EVENTS_PER_COMMIT))

            await asyncio.gather(write(one), write(two))
            async with one.db.read() as conn:
                total = (await conn.execute(select(func.count()).select_from(OutboxEvent))).scalar_one()
            await receiver.until(total, timeout_s=30)
            await asyncio.sleep(0.5)  # time for a duplicate to arrive, if there were one
            rows = await eventually(lambda: all_recorded(one, hook["id"], total), what="every delivery recorded")
            return total, list(receiver.requests), rows, one.events.events_dispatched + two.events.events_dispatched

    with Receiver() as receiver:
        total, requests, rows, dispatched = asyncio.run(go(receiver))
    ids = [json.loads(r.body)["id"] for r in requests]
    assert total == WRITERS * COMMITS * EVENTS_PER_COMMIT
    assert len(ids) == total and len(set(ids)) == total  # every event once, none twice
    assert dispatched == total  # and each was fanned out by exactly one of the two dispatchers
    assert all(row["attempts"] == 1 for row in rows)


async def all_recorded(runtime, webhook_id: int, count: int):
    rows = await deliveries(runtime, webhook_id, "delivered")
    return rows if len(rows) == count else None
