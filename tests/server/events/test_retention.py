"""Retention on both databases: dispatched events and finished deliveries older than
TRYON_EVENT_RETENTION_DAYS go, in bounded batches; undispatched events, pending deliveries and
the events they belong to stay; a live page whose Last-Event-ID is older than what is kept is
told to reload instead of being given a replay with a hole in it."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import insert, select

from server.db.database import Database
from server.db.migrate import migrate
from server.db.tables import DELIVERIES, OUTBOX, WEBHOOKS
from server.events.bus import EventBus
from server.events.live_scope import LiveScope
from server.events.replay import events_after, replay_horizon
from server.events.retention import Pruned, prune_events
from server.events.sse import CONNECTED, event_stream
from tests.server.commerce.world import Clock, open_commerce

pytestmark = pytest.mark.timeout(60)
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
CUTOFF = NOW - timedelta(days=7)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def add_event(db: Database, created: datetime, dispatched: datetime | None) -> int:
    async def work(conn):
        return (await conn.execute(insert(OUTBOX).returning(OUTBOX.c.id),
                                   {"topic": "stock.changed", "payload": {"store_id": 1}, "created_at": created,
                                    "dispatched_at": dispatched})).scalar_one()

    return await db.write(work)


async def add_delivery(db: Database, event_id: int, webhook_id: int, status: str, last_attempt: datetime,
                       delivered: datetime | None = None) -> int:
    async def work(conn):
        return (await conn.execute(insert(DELIVERIES).returning(DELIVERIES.c.id),
                                   {"event_id": event_id, "webhook_id": webhook_id, "status": status, "attempts": 1,
                                    "next_attempt_at": last_attempt, "last_error": "",
                                    "delivered_at": delivered})).scalar_one()

    return await db.write(work)


async def add_hook(db: Database) -> int:
    async def work(conn):
        return (await conn.execute(insert(WEBHOOKS).returning(WEBHOOKS.c.id),
                                   {"url": "https://93.184.216.34/hook", "secret": "whsec_retention-test-secret",
                                    "topics": [], "active": True, "created_at": days_ago(30)})).scalar_one()

    return await db.write(work)


async def ids(db: Database, table) -> set[int]:
    async with db.read() as conn:
        return set((await conn.execute(select(table.c.id))).scalars())


async def bare_database(url: str) -> Database:
    db = Database(url)
    await migrate(db)
    return db


def test_retention_deletes_only_old_dispatched_events_and_finished_deliveries(database_url):
    async def go() -> tuple[Pruned, Pruned, dict[str, Any], set[int], set[int]]:
        db = await bare_database(database_url)
        try:
            hook = await add_hook(db)
            old = [await add_event(db, days_ago(10), days_ago(10)) for _ in range(7)]  # more than a batch of 3
            w: dict[str, Any] = {"old": old}
            w["undispatched"] = await add_event(db, days_ago(10), None)
            w["recent"] = await add_event(db, days_ago(1), days_ago(1))
            w["with_pending"] = await add_event(db, days_ago(10), days_ago(10))
            w["pending"] = await add_delivery(db, w["with_pending"], hook, "pending", days_ago(10))
            w["with_delivered"] = await add_event(db, days_ago(10), days_ago(10))
            w["delivered"] = await add_delivery(db, w["with_delivered"], hook, "delivered", days_ago(10), days_ago(10))
            w["with_failed"] = await add_event(db, days_ago(9), days_ago(9))
            w["failed"] = await add_delivery(db, w["with_failed"], hook, "failed", days_ago(8))
            w["with_retried"] = await add_event(db, days_ago(10), days_ago(10))  # retried by hand two days ago
            w["retried"] = await add_delivery(db, w["with_retried"], hook, "delivered", days_ago(2), days_ago(2))
            w["recent_delivered"] = await add_delivery(db, w["recent"], hook, "delivered", days_ago(1), days_ago(1))
            first = await prune_events(db, CUTOFF, batch=3)
            again = await prune_events(db, CUTOFF, batch=3)
            return first, again, w, await ids(db, OUTBOX), await ids(db, DELIVERIES)
        finally:
            await db.dispose()

    first, again, w, events, deliveries = asyncio.run(go())
    assert events == {w["undispatched"], w["recent"], w["with_pending"], w["with_retried"]}
    assert deliveries == {w["pending"], w["retried"], w["recent_delivered"]}
    assert first == Pruned(deliveries=2, events=len(w["old"]) + 2) and again == Pruned(0, 0)


def test_a_big_backlog_goes_in_bounded_batches_over_several_sweeps(database_url):
    async def go() -> list[Pruned]:
        db = await bare_database(database_url)
        try:
            for _ in range(11):
                await add_event(db, days_ago(30), days_ago(30))
            return [await prune_events(db, CUTOFF, batch=3, max_batches=2) for _ in range(3)]
        finally:
            await db.dispose()

    assert [pruned.events for pruned in asyncio.run(go())] == [6, 4, 0]  # the eleventh, the newest, stays


def test_the_newest_event_stays_so_that_no_event_id_is_ever_handed_out_again(database_url):
    async def go():
        db = await bare_database(database_url)
        try:
            old = [await add_event(db, days_ago(30), days_ago(30)) for _ in range(3)]
            pruned = await prune_events(db, CUTOFF)
            kept = await ids(db, OUTBOX)
            new = await add_event(db, NOW, None)
            return old, pruned, kept, new
        finally:
            await db.dispose()

    old, pruned, kept, new = asyncio.run(go())
    assert pruned.events == 2 and kept == {old[-1]}
    assert new > old[-1]  # SQLite would have given the new event id 1 again, had every row gone


def test_the_sweeper_deletes_what_is_older_than_the_retention_setting(database_url, tmp_path):
    async def go():
        clock = Clock(NOW)
        async with open_commerce(database_url, tmp_path, clock, event_retention_days=2) as rt:
            hook = await add_hook(rt.db)
            gone = await add_event(rt.db, days_ago(3), days_ago(3))
            kept = await add_event(rt.db, days_ago(1), days_ago(1))
            await add_delivery(rt.db, gone, hook, "delivered", days_ago(3), days_ago(3))
            recent = await add_delivery(rt.db, kept, hook, "delivered", days_ago(1), days_ago(1))
            before = await ids(rt.db, OUTBOX)
            await rt.sweep_once()
            return kept, gone, recent, before, await ids(rt.db, OUTBOX), await ids(rt.db, DELIVERIES)

    kept, gone, recent, before, after, deliveries = asyncio.run(go())
    assert {kept, gone} <= before and after == {kept} and deliveries == {recent}


def test_a_page_whose_last_event_is_older_than_what_is_kept_is_told_to_reload(database_url):
    horizon = replay_horizon(NOW, 7)

    async def go():
        db = await bare_database(database_url)
        try:
            deleted = await add_event(db, days_ago(10), days_ago(10))
            ancient = await add_event(db, days_ago(9), days_ago(9))  # still there, past the 7 days' horizon
            recent = [await add_event(db, days_ago(1), days_ago(1)) for _ in range(3)]
            await prune_events(db, days_ago(9.5))
            before_replay = await ids(db, OUTBOX)
            caught_up = await events_after(db, recent[0], kept_since=horizon)
            over_limit = await events_after(db, recent[0], limit=1, kept_since=horizon)
            after_deleted = await events_after(db, deleted, kept_since=horizon)
            stream = event_stream(EventBus(), LiveScope(("*",), None),
                                  lambda: events_after(db, ancient, kept_since=horizon), heartbeat_s=30)
            frames = [await anext(stream), await anext(stream)]
            await stream.aclose()
            return recent, caught_up, over_limit, after_deleted, ancient, deleted, before_replay, frames
        finally:
            await db.dispose()

    recent, caught_up, over_limit, after_deleted, ancient, deleted, before_replay, frames = asyncio.run(go())
    assert caught_up.complete and [e.id for e in caught_up.events] == recent[1:]
    assert ancient in before_replay and deleted not in before_replay
    assert not over_limit.complete and over_limit.events == [] and over_limit.latest_id == recent[-1]
    assert not after_deleted.complete and after_deleted.events == []
    assert frames[0] == CONNECTED
    lines = frames[1].decode().splitlines()
    assert lines[:2] == ["event: replay.incomplete", f"id: {recent[-1]}"]  # a reconnect goes on from the newest
    data = json.loads(lines[2].removeprefix("data: "))
    assert data["last_event_id"] == ancient and data["latest_event_id"] == recent[-1] and "reload" in data["detail"]
