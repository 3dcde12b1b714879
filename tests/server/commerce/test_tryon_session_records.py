"""Try-on sessions in the commerce database, the funnel's top: the live stream's summaries, sessions
recorded through the API, repeats and races that merge into one row, and a database failure that
never ends a shopper's session."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from server.catalog.service import ProductCatalog
from server.commerce.errors import InvalidRequest, TryonSessionNotFound, UnknownSku, UnknownStore
from server.commerce.tryon_sessions import (SessionRecord, TriedItem, TryonSessionStore, default_variants,
                                            get_session_record, merged, record_from_api, record_session,
                                            require_known_variants)
from server.db.database import Database
from server.settings import Settings
from server.stream.client import TryOnClient
from server.stream.registry import SessionRegistry
from server.stream.session import StreamSession
from server.stream.ws import StreamServices, _SessionRunner
from tests.server.commerce.world import Clock, add_store, open_commerce

pytestmark = pytest.mark.timeout(120)
DEFAULTS = default_variants(ProductCatalog().entries())


def stream_summary(session_id: str, started: str = "2026-12-02T08:50:00.000Z",
                   tried: list[dict] | None = None) -> dict:
    """A summary as server/stream/session.py writes it."""
    return {"session_id": session_id, "started_at": started, "ended_at": "2026-12-02T08:55:00.000Z",
            "duration_s": 300.0, "frames_received": 8, "frames_processed": 8, "dropped_superseded": 0,
            "dropped_rate_limited": 0, "frame_errors": 0, "mean_latency_ms": 21.5, "p95_latency_ms": 30.1,
            "tried": tried if tried is not None else [{"product": "round-classic", "variant": "gold", "frames": 5},
                                                      {"product": "hat-fedora", "variant": None, "frames": 3}],
            "close_code": 1000, "close_reason": "end"}


def api_record(session_id: str, items: list[tuple[str, str | None]], clock: Clock, **fields) -> SessionRecord:
    fields.setdefault("started_at", clock() - timedelta(minutes=20))
    return record_from_api(session_id, fields["started_at"], fields.get("ended_at"), fields.get("store_id"), items,
                           DEFAULTS, clock())


async def record(runtime, session: SessionRecord) -> dict:
    return await runtime.db.write(lambda conn: record_session(conn, session))


async def read_record(runtime, session_id: str) -> dict:
    async with runtime.db.read() as conn:
        return await get_session_record(conn, session_id)


def worn(record: dict) -> set[tuple[str, str]]:
    return {(i["product_id"], i["variant"]) for i in record["items"]}


def test_a_stream_summary_becomes_a_session_with_the_variants_worn(database_url, tmp_path):
    session_id = uuid.uuid4().hex

    async def go():
        async with open_commerce(database_url, tmp_path, Clock()) as runtime:
            store = TryonSessionStore(runtime.db, runtime.clock, DEFAULTS)
            await store.append(stream_summary(session_id))
            return await read_record(runtime, session_id), await store.get(session_id), await store.get("nobody")

    kept, summary, missing = asyncio.run(go())
    assert kept["source"] == "stream" and kept["started_at"] == "2026-12-02T08:50:00Z"
    assert kept["ended_at"] == "2026-12-02T08:55:00Z" and kept["store_id"] is None
    # no variant named: the catalog's first, as the shopper page showed it
    assert worn(kept) == {("round-classic", "gold"), ("hat-fedora", "charcoal")}
    assert summary == stream_summary(session_id) and missing is None


def test_recording_a_session_again_merges_and_the_stream_summary_wins(database_url, tmp_path):
    session_id = uuid.uuid4().hex
    clock = Clock()

    async def go():
        async with open_commerce(database_url, tmp_path, clock) as runtime:
            shop = await add_store(runtime, "Opéra")
            store = TryonSessionStore(runtime.db, runtime.clock, DEFAULTS)
            first = await record(runtime, api_record(session_id, [("rect-metro", "tortoise")], clock,
                                                     store_id=shop["id"]))
            await store.append(stream_summary(session_id))
            await record(runtime, api_record(session_id, [("rect-metro", "tortoise")], clock))  # a client's retry
            return shop, first, await read_record(runtime, session_id)

    shop, first, last = asyncio.run(go())
    assert first["source"] == "api" and first["summary"]["tried"] == [{"product": "rect-metro", "variant": "tortoise"}]
    assert last["source"] == "stream" and last["summary"] == stream_summary(session_id)
    assert last["store_id"] == shop["id"] and last["ended_at"] == "2026-12-02T08:55:00Z"
    assert last["started_at"] == "2026-12-02T08:40:00Z"  # the earliest start either recorder saw
    assert worn(last) == {("rect-metro", "tortoise"), ("round-classic", "gold"), ("hat-fedora", "charcoal")}


def test_racing_recorders_of_one_session_leave_one_row_with_every_variant(database_url, tmp_path):
    session_id = uuid.uuid4().hex
    clock = Clock()
    variants = [("round-classic", v) for v in ("black", "tortoise", "gold")] + [("cateye-luna", "rose")]

    async def go():
        async with open_commerce(database_url, tmp_path, clock, db_pool_size=20) as one, \
                open_commerce(database_url, tmp_path, clock, db_pool_size=20) as two:
            jobs = [record(runtime, api_record(session_id, [variants[i % 4]], clock))
                    for i, runtime in enumerate([one, two] * 15)]
            await asyncio.gather(*jobs)
            async with one.db.read() as conn:
                rows = (await conn.exec_driver_sql("select count(*) from tryon_sessions")).scalar()
            return rows, await read_record(one, session_id)

    rows, kept = asyncio.run(go())
    assert rows == 1 and worn(kept) == set(variants)


def test_sessions_from_the_api_are_checked_before_they_are_kept(database_url, tmp_path):
    clock = Clock()
    now = clock()
    good_id = uuid.uuid4().hex
    for fields, words in [({"session_id": "short"}, "32 to 64 letters"),
                          ({"started_at": datetime(2026, 12, 2, 8, 0)}, "needs a UTC offset"),
                          ({"started_at": now + timedelta(hours=1)}, "in the future"),
                          ({"ended_at": now - timedelta(hours=2)}, "before started_at")]:
        args = {"session_id": good_id, "started_at": now - timedelta(hours=1), "ended_at": None, **fields}
        with pytest.raises(InvalidRequest, match=words):
            record_from_api(args["session_id"], args["started_at"], args["ended_at"], None, [], DEFAULTS, now)

    async def go():
        async with open_commerce(database_url, tmp_path, clock) as runtime:
            with pytest.raises(UnknownSku, match="no variant 'plaid' of product 'round-classic'"):
                async with runtime.db.read() as conn:
                    await require_known_variants(conn, [TriedItem("round-classic", "plaid")])
            with pytest.raises(UnknownStore):
                await record(runtime, api_record(good_id, [], clock, store_id=999))
            with pytest.raises(TryonSessionNotFound):
                await read_record(runtime, good_id)

    asyncio.run(go())


def test_the_stream_summary_is_kept_over_an_api_one_but_the_newest_api_one_replaces_its_kind():
    started = datetime(2026, 12, 2, 9, tzinfo=timezone.utc)
    stream_row = {"source": "stream", "started_at": started, "ended_at": None, "store_id": None, "summary": {"a": 1}}
    from_api = SessionRecord("x" * 32, "api", started - timedelta(minutes=1), started + timedelta(minutes=5), 3,
                             summary={"b": 2})
    assert merged(stream_row, from_api) == {"source": "stream", "started_at": started - timedelta(minutes=1),
                                            "ended_at": started + timedelta(minutes=5), "store_id": 3,
                                            "summary": {"a": 1}}
    api_row = {**stream_row, "source": "api", "store_id": 7}
    assert merged(api_row, from_api)["summary"] == {"b": 2} and merged(api_row, from_api)["store_id"] == 7


def test_a_database_failure_while_keeping_a_summary_is_logged_and_the_session_goes_on(tmp_path, caplog):
    """A PostgreSQL URL where nothing listens: the write fails, keep_summary logs it and returns."""
    async def go():
        db = Database("postgresql://nobody@127.0.0.1:9/none")
        services = StreamServices(Settings(data_dir=tmp_path), ProductCatalog(), SessionRegistry(1),
                                  TryonSessionStore(db, Clock(), DEFAULTS), ThreadPoolExecutor(1))
        session = StreamSession()
        runner = _SessionRunner(None, session, services)  # type: ignore[arg-type]  # no socket is needed to keep
        try:
            await runner.keep_summary(session.summary(1000, "end"))
        finally:
            await db.dispose()
            services.executor.shutdown()
        return runner.summary_kept, session.session_id

    with caplog.at_level(logging.ERROR, logger="tryon.server.stream"):
        kept, session_id = asyncio.run(go())
    assert kept and f"could not keep the summary of session {session_id}" in caplog.text


# --- through the running service ---

def test_a_live_stream_session_ends_up_in_the_database_and_is_served_back(server, camera_frames):
    async def go():
        async with TryOnClient(server.ws) as client:
            await client.configure(product="cateye-luna", variant="rose")
            for i, frame in enumerate(camera_frames[:3]):
                await client.send_frame(i, frame)
                while (await asyncio.wait_for(client.recv(), 20)).kind != "result":
                    pass
            return client.session_id, await client.end()

    session_id, summary = asyncio.run(go())
    # the summary is kept before the client hears of it: it is there at once
    assert httpx.get(f"{server.http}/api/sessions/{session_id}").json() == {k: v for k, v in summary.items()
                                                                           if k != "type"}
    kept = httpx.get(f"{server.http}/api/tryon-sessions/{session_id}").json()
    assert kept["source"] == "stream" and kept["items"][0]["product_id"] == "cateye-luna"
    assert worn(kept) == {("cateye-luna", "rose")}
    with sqlite3.connect(server.data_dir / "tryon.db") as db:
        (stored,) = db.execute("select summary from tryon_sessions where id = ?", (session_id,)).fetchone()
    assert json.loads(stored)["frames_processed"] == 3


def test_a_session_recorded_through_the_api_is_idempotent_and_served_back(server):
    session_id = uuid.uuid4().hex
    body = {"id": session_id, "started_at": "2026-01-10T10:00:00Z", "ended_at": "2026-01-10T10:04:00Z",
            "items": [{"product_id": "rect-metro", "variant": "gunmetal"}, {"product_id": "sunglasses-shade"}]}
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    first = httpx.post(f"{server.http}/api/tryon-sessions", json=body, headers=headers)
    again = httpx.post(f"{server.http}/api/tryon-sessions", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert first.json()["source"] == "api" and worn(first.json()) == {("rect-metro", "gunmetal"),
                                                                      ("sunglasses-shade", "grey")}
    summary = httpx.get(f"{server.http}/api/sessions/{session_id}").json()
    assert summary["session_id"] == session_id and summary["source"] == "api" and len(summary["tried"]) == 2
    naive = httpx.post(f"{server.http}/api/tryon-sessions", json={**body, "started_at": "2026-01-10T10:00:00"})
    unknown = httpx.post(f"{server.http}/api/tryon-sessions",
                         json={**body, "id": uuid.uuid4().hex, "items": [{"product_id": "round-classic",
                                                                          "variant": "plaid"}]})
    assert naive.status_code == 422 and "UTC offset" in naive.json()["detail"]
    assert unknown.status_code == 404 and "plaid" in unknown.json()["detail"]
    assert httpx.get(f"{server.http}/api/tryon-sessions/{uuid.uuid4().hex}").status_code == 404
