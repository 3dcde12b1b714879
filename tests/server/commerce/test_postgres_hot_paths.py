"""PostgreSQL's hot paths (one-statement reservations, asyncpg availability reads) against the
general paths they stand in for: the same rows, events, answers and errors, on a real database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from server.commerce import availability, reservations, reservations_pg
from server.commerce.availability import NearbyQuery, nearby_availability
from server.commerce.errors import IdempotencyKeyReused, InsufficientStock, SlotFull, UnknownSku, UnknownStore
from server.commerce.ledger import rebuilt_totals
from server.commerce.reservations import ReservationRequest, create_reservation
from server.commerce.stock import set_on_hand, stock_level
from server.db.tables import IDEMPOTENCY, LEDGER, OUTBOX, RESERVATIONS, SLOTS, STORES
from tests.server.commerce.world import SKU, Clock, open_commerce, stocked_store

pytestmark = pytest.mark.timeout(120)


def reserve(rt, store_id: int, key: str, quantity: int = 1, **fields):
    return create_reservation(rt.db, ReservationRequest(SKU, store_id, quantity, **fields), key, rt.clock)


class Spy:
    """Counts how reservations were made: in one statement, or by the general path."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, general_only: bool = False) -> None:
        self.fast = self.general = 0
        take, create = reservations_pg.take, reservations._create

        async def counted_take(db, attempt):
            if general_only:
                return None
            made = await take(db, attempt)
            self.fast += made is not None
            return made

        async def counted_create(*args, **kwargs):
            self.general += 1
            return await create(*args, **kwargs)

        monkeypatch.setattr(reservations_pg, "take", counted_take)
        monkeypatch.setattr(reservations, "_create", counted_create)


async def written_by(rt, code: str) -> dict:
    """Every row a reservation wrote, with what differs between any two reservations masked."""
    async with rt.db.read() as conn:
        row = dict((await conn.execute(select(RESERVATIONS).where(RESERVATIONS.c.code == code))).mappings().one())
        ledger = (await conn.execute(select(LEDGER).where(LEDGER.c.reference == code))).mappings().all()
        events = (await conn.execute(select(OUTBOX.c.topic, OUTBOX.c.payload).order_by(OUTBOX.c.id))).all()
        stored = (await conn.execute(select(IDEMPOTENCY.c.status_code, IDEMPOTENCY.c.response)
                                     .where(IDEMPOTENCY.c.response["code"].as_string() == code))).one()
    created = [p for t, p in events if t == "reservation.created" and p["code"] == code]
    store_id = row["store_id"]
    changed = [p for t, p in events if t == "stock.changed" and p["store_id"] == store_id and p["reason"] == "hold"]
    mask = {"id": 0, "code": "C", "store_id": 0}
    return {"row": {**row, **mask}, "ledger": [{**dict(e), "id": 0, "store_id": 0, "reference": "C"} for e in ledger],
            "created": [{**p, **mask} for p in created], "changed": [{**p, "store_id": 0} for p in changed],
            "stored": (stored.status_code, {**stored.response, "code": "C", "store_id": 0,
                                            "links": None, "store": {**stored.response["store"], "id": 0}})}


def test_one_statement_reservation_writes_exactly_what_the_general_path_writes(postgres_url, tmp_path, monkeypatch):
    async def go():
        async with open_commerce(postgres_url, tmp_path) as rt:
            fast_store = await stocked_store(rt, 5, name="Same")
            general_store = await stocked_store(rt, 5, name="Same")
            slot = rt.clock() + timedelta(hours=2)
            contact = {"name": "Ada", "email": "ada@example.org"}
            await reserve(rt, fast_store["id"], "warm")  # the SKU's product is now known in-process
            spy = Spy(monkeypatch)
            _, fast = await reserve(rt, fast_store["id"], "f", 2, slot_start=slot, contact=contact,
                                    tryon_session_id="s-1")
            used = (spy.fast, spy.general)
            monkeypatch.undo()
            Spy(monkeypatch, general_only=True)
            await reserve(rt, general_store["id"], "warm too")  # the same history on both stores
            _, general = await reserve(rt, general_store["id"], "g", 2, slot_start=slot, contact=contact,
                                       tryon_session_id="s-1")
            return used, fast, general, await written_by(rt, fast["code"]), await written_by(rt, general["code"])

    used, fast, general, fast_rows, general_rows = asyncio.run(go())
    assert used == (1, 0)  # one statement, no general path
    mask = {"code": "C", "store_id": 0, "links": None, "store": {**fast["store"], "id": 0}}
    assert {**fast, **mask} == {**general, **mask}
    assert fast_rows == general_rows
    assert fast_rows["created"] and fast_rows["changed"] and fast_rows["stored"][0] == 201


def test_a_store_edited_by_another_process_is_never_used_stale(postgres_url, tmp_path, monkeypatch):
    async def go():
        async with open_commerce(postgres_url, tmp_path) as rt:
            store = await stocked_store(rt, 10, hold_seconds=600)
            await reserve(rt, store["id"], "warm")
            spy = Spy(monkeypatch)
            _, before = await reserve(rt, store["id"], "a")
            async with rt.db.begin_write() as conn:  # as another server process would, behind this one's cache
                await conn.execute(update(STORES).where(STORES.c.id == store["id"]).values(hold_seconds=60,
                                                                                           name="Renamed"))
            _, after = await reserve(rt, store["id"], "b")
            _, again = await reserve(rt, store["id"], "c")
            return before, after, again, spy.fast, spy.general, rt.clock()

    before, after, again, fast, general, now = asyncio.run(go())
    assert before["expires_at"] == (now + timedelta(seconds=600)).isoformat().replace("+00:00", "Z")
    for made in (after, again):
        assert made["expires_at"] == (now + timedelta(seconds=60)).isoformat().replace("+00:00", "Z")
        assert made["store"]["name"] == "Renamed"
    assert (fast, general) == (2, 1)  # a, then c from the refreshed cache; b found the change and went general


def test_a_full_slot_aborts_the_whole_statement(postgres_url, tmp_path, monkeypatch):
    async def go():
        async with open_commerce(postgres_url, tmp_path) as rt:
            store = await stocked_store(rt, 10, fitting_capacity=1)
            slot = rt.clock() + timedelta(hours=3)
            await reserve(rt, store["id"], "warm")
            spy = Spy(monkeypatch)
            _, first = await reserve(rt, store["id"], "a", slot_start=slot)
            with pytest.raises(SlotFull) as full:
                await reserve(rt, store["id"], "b", slot_start=slot)
            async with rt.db.read() as conn:
                level = await stock_level(conn, store["id"], SKU, rt.clock())
                totals = await rebuilt_totals(conn, store["id"], SKU)
                rows = (await conn.execute(text("select count(*) from reservations"))).scalar_one()
                booked = (await conn.execute(select(SLOTS.c.booked).where(SLOTS.c.store_id == store["id"]))).scalar()
                keys = (await conn.execute(select(IDEMPOTENCY.c.key).order_by(IDEMPOTENCY.c.key))).scalars().all()
            return first, full.value, level, totals, rows, booked, keys, spy.fast

    first, full, level, totals, rows, booked, keys, fast = asyncio.run(go())
    assert first["slot_start"] and "fully booked" in str(full) and fast == 1
    assert (level.allocated, totals, rows, booked) == (2, (10, 2), 2, 1)  # warm + a: nothing of b remains
    assert keys == ["a", "warm"]  # the refused request stored no result: retrying its key tries again


def test_replays_and_reused_keys_on_the_one_statement_path(postgres_url, tmp_path):
    async def go():
        async with open_commerce(postgres_url, tmp_path) as rt:
            store = await stocked_store(rt, 1)
            await rt.db.write(lambda conn: set_on_hand(conn, store_id=store["id"], sku=SKU, on_hand=2,
                                                       now=rt.clock(), actor="test"))
            await reserve(rt, store["id"], "warm")
            first = await reserve(rt, store["id"], "k")
            replay = await reserve(rt, store["id"], "k")  # stock is gone now: the replay still answers
            with pytest.raises(IdempotencyKeyReused):
                await reserve(rt, store["id"], "k", quantity=2)
            with pytest.raises(InsufficientStock):
                await reserve(rt, store["id"], "k2")
            return first, replay

    first, replay = asyncio.run(go())
    assert first == replay and first[0] == 201


def test_unknown_and_closed_stores_and_unknown_skus_are_explained(postgres_url, tmp_path):
    async def go():
        async with open_commerce(postgres_url, tmp_path) as rt:
            store = await stocked_store(rt, 5)
            open_store = await stocked_store(rt, 5)
            await reserve(rt, store["id"], "warm")
            async with rt.db.begin_write() as conn:
                await conn.execute(update(STORES).where(STORES.c.id == store["id"]).values(active=False))
            errors = []
            for request in (ReservationRequest(SKU, store["id"]), ReservationRequest(SKU, 999_999),
                            ReservationRequest("no-such-sku", open_store["id"])):
                try:
                    await create_reservation(rt.db, request, f"k{len(errors)}", rt.clock)
                except Exception as exc:  # noqa: BLE001 - the test names the types below
                    errors.append(type(exc))
            return errors

    assert asyncio.run(go()) == [UnknownStore, UnknownStore, UnknownSku]


def test_postgres_availability_reads_answer_as_the_general_reads_do(postgres_url, tmp_path):
    async def go():
        clock = Clock()
        async with open_commerce(postgres_url, tmp_path, clock) as rt:
            near = await stocked_store(rt, 3, name="Near", fitting_capacity=2, hold_seconds=60)
            far = await stocked_store(rt, 1, name="Far", lat=48.90, lon=2.40)
            slot = clock() + timedelta(hours=1)
            await reserve(rt, near["id"], "a", slot_start=slot)
            await reserve(rt, far["id"], "b")
            clock.advance(seconds=61)  # near's hold has lapsed, unswept: both reads must add it back
            await reserve(rt, near["id"], "c", slot_start=slot)
            query = NearbyQuery((SKU,), 48.8566, 2.3522, 25.0, slots=20, include_out_of_stock=True)
            pg = await nearby_availability(rt.db, query, clock())
            async with rt.db.read() as conn:
                general = await availability._answer(query.validated(), clock(), availability._SqlAlchemyReads(conn))
            return pg, general, slot

    pg, general, slot = asyncio.run(go())
    assert pg == general
    assert [s["name"] for s in pg] == ["Near", "Far"]
    assert pg[0]["available"] == 2 and pg[1]["available"] == 0
    booked = [s for s in pg[0]["next_slots"] if s["start"] == slot.isoformat().replace("+00:00", "Z")]
    assert booked == [{"start": booked[0]["start"], "places_left": 1}]  # c's place is taken, a's lapsed one free
