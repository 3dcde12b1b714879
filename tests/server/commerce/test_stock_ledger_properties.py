"""Property-based: under any sequence of counts, adjustments, reservations, status changes, time
passing and sweeps, on a real database, the stock row, its ledger and its reservations agree:
available is never negative, on-hand and allocated equal their ledger sums, allocated equals
the units of the reservations that hold stock, and a reservation succeeds exactly when enough
was available."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from server.commerce.errors import HoldExpired, InsufficientStock, NegativeStock, TransitionNotAllowed
from server.commerce.ledger import rebuilt_totals
from server.commerce.reservations import ReservationRequest, create_reservation, transition
from server.commerce.statuses import ALLOCATING, Action
from server.commerce.stock import adjust_on_hand, set_on_hand, stock_level
from server.db.tables import RESERVATIONS
from tests.server.commerce.world import SKU, Clock, add_store, open_commerce

pytestmark = pytest.mark.timeout(600)
HOLD_SECONDS = 60
ACTIONS = [Action.CONFIRM, Action.CANCEL, Action.CHECK_IN, Action.FULFIL, Action.NO_SHOW]

operations = st.lists(st.one_of(
    st.tuples(st.just("set"), st.integers(0, 8)),
    st.tuples(st.just("adjust"), st.integers(-3, 3).filter(bool)),
    st.tuples(st.just("reserve"), st.integers(1, 3)),
    st.tuples(st.sampled_from(ACTIONS), st.integers(0, 20)),
    st.tuples(st.just("advance"), st.integers(1, 90)),
    st.tuples(st.just("sweep"), st.just(0)),
), min_size=1, max_size=30)


async def check_invariants(rt, store_id: int) -> int:
    now = rt.clock()
    async with rt.db.read() as conn:
        level = await stock_level(conn, store_id, SKU, now)
        ledger_on_hand, ledger_allocated = await rebuilt_totals(conn, store_id, SKU)
        rows = (await conn.execute(select(RESERVATIONS.c.status, RESERVATIONS.c.expires_at, RESERVATIONS.c.quantity)
                                   .where(RESERVATIONS.c.store_id == store_id))).all()
        count = (await conn.execute(select(func.count()).select_from(RESERVATIONS)
                                    .where(RESERVATIONS.c.store_id == store_id))).scalar_one()
    holding = sum(r.quantity for r in rows if r.status in ALLOCATING)
    live = sum(r.quantity for r in rows if r.status in ALLOCATING and (r.expires_at is None or r.expires_at > now))
    assert level.available >= 0 and level.on_hand >= 0
    assert (level.on_hand, level.allocated) == (ledger_on_hand, ledger_allocated)
    assert level.allocated == holding
    assert level.available == max(0, level.on_hand - live)
    assert count == len(rows)
    return level.available


async def run_sequence(database_url: str, tmp_path, ops) -> None:
    clock = Clock()
    async with open_commerce(database_url, tmp_path, clock) as rt:
        store = await add_store(rt, hold_seconds=HOLD_SECONDS)
        store_id = store["id"]
        codes: list[str] = []
        keys = itertools.count()
        available = await check_invariants(rt, store_id)
        for op, arg in ops:
            now = clock()
            if op == "set":
                await rt.db.write(lambda conn: set_on_hand(conn, store_id=store_id, sku=SKU, on_hand=arg, now=now,
                                                           actor="prop"))
            elif op == "adjust":
                try:
                    await rt.db.write(lambda conn: adjust_on_hand(conn, store_id=store_id, sku=SKU, delta=arg,
                                                                  now=now, actor="prop"))
                except NegativeStock:
                    pass
            elif op == "reserve":
                try:
                    _, made = await create_reservation(rt.db, ReservationRequest(SKU, store_id, arg),
                                                       f"{store_id}-{next(keys)}", clock)
                    codes.append(made["code"])
                    assert arg <= available, "reserved more than was available"
                except InsufficientStock as exc:
                    assert arg > available and exc.available == available
            elif op in ACTIONS:
                if codes:
                    try:
                        await transition(rt.db, codes[arg % len(codes)], op, clock, "prop")
                    except (TransitionNotAllowed, HoldExpired, NegativeStock):
                        pass
            elif op == "advance":
                clock.advance(seconds=arg)
            elif op == "sweep":
                await rt.sweep_once()
            available = await check_invariants(rt, store_id)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_stock_ledger_invariants_hold_under_any_operation_sequence_on_sqlite(ops, tmp_path):
    asyncio.run(run_sequence(f"sqlite:///{tmp_path / 'prop.db'}", tmp_path, ops))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_stock_ledger_invariants_hold_under_any_operation_sequence_on_postgresql(ops, postgres_url, tmp_path):
    asyncio.run(run_sequence(postgres_url, tmp_path, ops))
