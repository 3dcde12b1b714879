"""Reservations through the domain on both databases: holds, confirmation, check-in, fulfilment,
cancellation, lapsing (with a clock the test moves), slots and idempotency."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from server.commerce.errors import (HoldExpired, IdempotencyKeyReused, InsufficientStock, InvalidRequest,
                                    ReservationNotFound, SlotFull, TransitionNotAllowed, UnknownSku, UnknownStore)
from server.commerce.ledger import rebuilt_totals
from server.commerce.reservations import ReservationRequest, create_reservation, get_reservation, transition
from server.commerce.statuses import Action
from server.commerce.stock import set_on_hand, stock_level
from tests.server.commerce.world import SKU, Clock, open_commerce, stocked_store

pytestmark = pytest.mark.timeout(120)


async def level(runtime, store_id: int):
    async with runtime.db.read() as conn:
        return await stock_level(conn, store_id, SKU, runtime.clock())


async def ledger_agrees(runtime, store_id: int) -> None:
    async with runtime.db.read() as conn:
        on_hand, allocated = await rebuilt_totals(conn, store_id, SKU)
        current = await stock_level(conn, store_id, SKU, runtime.clock())
    assert (on_hand, allocated) == (current.on_hand, current.allocated)


def reserve(runtime, store_id: int, key: str, quantity: int = 1, **fields):
    return create_reservation(runtime.db, ReservationRequest(SKU, store_id, quantity, **fields), key, runtime.clock)


def test_a_hold_takes_stock_and_fulfilment_takes_it_off_the_shelf(database_url, tmp_path):
    async def go():
        async with open_commerce(database_url, tmp_path) as rt:
            store = await stocked_store(rt, 3)
            status, held = await reserve(rt, store["id"], "k1", quantity=2, contact={"name": "Ada", "email": "a@b.fr"})
            assert status == 201 and held["status"] == "held" and held["product_id"] == "round-classic"
            assert (await level(rt, store["id"])).available == 1
            confirmed = await transition(rt.db, held["code"], Action.CONFIRM, rt.clock, "shopper")
            checked_in = await transition(rt.db, held["code"], Action.CHECK_IN, rt.clock, "staff")
            fulfilled = await transition(rt.db, held["code"], Action.FULFIL, rt.clock, "staff")
            after = await level(rt, store["id"])
            await ledger_agrees(rt, store["id"])
            return confirmed, checked_in, fulfilled, after

    confirmed, checked_in, fulfilled, after = asyncio.run(go())
    assert [confirmed["status"], checked_in["status"], fulfilled["status"]] == ["confirmed", "checked_in", "fulfilled"]
    assert (after.on_hand, after.allocated, after.available) == (1, 0, 1)


def test_cancelling_gives_the_stock_back_and_a_second_cancel_changes_nothing(database_url, tmp_path):
    async def go():
        async with open_commerce(database_url, tmp_path) as rt:
            store = await stocked_store(rt, 1)
            _, held = await reserve(rt, store["id"], "k1")
            with pytest.raises(InsufficientStock) as short:
                await reserve(rt, store["id"], "k2")
            first = await transition(rt.db, held["code"], Action.CANCEL, rt.clock, "shopper")
            again = await transition(rt.db, held["code"], Action.CANCEL, rt.clock, "shopper")
            available = (await level(rt, store["id"])).available
            await ledger_agrees(rt, store["id"])
            return short.value, first, again, available

    short, first, again, available = asyncio.run(go())
    assert short.available == 0 and "not enough stock" in str(short)
    assert first["status"] == again["status"] == "cancelled" and available == 1


def test_transitions_the_status_does_not_allow_are_refused_clearly(database_url, tmp_path):
    async def go():
        async with open_commerce(database_url, tmp_path) as rt:
            store = await stocked_store(rt, 2)
            _, held = await reserve(rt, store["id"], "k1")
            errors = []
            for action in (Action.CHECK_IN, Action.FULFIL, Action.NO_SHOW):
                with pytest.raises(TransitionNotAllowed) as exc:
                    await transition(rt.db, held["code"], action, rt.clock, "staff")
                errors.append(str(exc.value))
            await transition(rt.db, held["code"], Action.CANCEL, rt.clock, "shopper")
            with pytest.raises(TransitionNotAllowed) as late:
                await transition(rt.db, held["code"], Action.CONFIRM, rt.clock, "shopper")
            return errors, str(late.value)

    errors, late = asyncio.run(go())
    assert "is held: it cannot be checked in" in errors[0] and "cannot be fulfilled" in errors[1]
    assert "is cancelled: it cannot be confirmed" in late


def test_an_expired_hold_stops_counting_at_once_and_cannot_be_confirmed(database_url, tmp_path):
    async def go():
        clock = Clock()
        async with open_commerce(database_url, tmp_path, clock) as rt:
            store = await stocked_store(rt, 1, hold_seconds=60)
            _, held = await reserve(rt, store["id"], "k1")
            before = (await level(rt, store["id"])).available
            clock.advance(seconds=61)
            during = await level(rt, store["id"])  # nothing swept yet: readers ignore the lapsed hold
            shown = await get_reservation_now(rt, held["code"])
            with pytest.raises(HoldExpired):
                await transition(rt.db, held["code"], Action.CONFIRM, rt.clock, "shopper")
            after = await level(rt, store["id"])
            await ledger_agrees(rt, store["id"])
            return before, during, shown, after

    before, during, shown, after = asyncio.run(go())
    assert before == 0 and during.available == 1 and during.allocated == 1 and shown["status"] == "expired"
    assert after.allocated == 0 and after.available == 1


async def get_reservation_now(rt, code):
    async with rt.db.read() as conn:
        return await get_reservation(conn, code, rt.clock())


def test_a_new_reservation_takes_stock_a_lapsed_hold_still_counted(database_url, tmp_path):
    async def go():
        clock = Clock()
        async with open_commerce(database_url, tmp_path, clock) as rt:
            store = await stocked_store(rt, 1, hold_seconds=30)
            _, first = await reserve(rt, store["id"], "k1")
            clock.advance(seconds=31)
            status, second = await reserve(rt, store["id"], "k2")  # frees the lapsed hold, then succeeds
            old = await get_reservation_now(rt, first["code"])
            await ledger_agrees(rt, store["id"])
            return status, second, old, await level(rt, store["id"])

    status, second, old, after = asyncio.run(go())
    assert status == 201 and second["status"] == "held" and old["status"] == "expired"
    assert (after.allocated, after.available) == (1, 0)


def test_the_sweeper_releases_lapsed_holds_and_no_shows(database_url, tmp_path):
    async def go():
        clock = Clock()
        async with open_commerce(database_url, tmp_path, clock) as rt:
            store = await stocked_store(rt, 5, hold_seconds=60, pickup_hours=2)
            _, a = await reserve(rt, store["id"], "a")
            _, b = await reserve(rt, store["id"], "b")
            await transition(rt.db, b["code"], Action.CONFIRM, rt.clock, "shopper")
            clock.advance(seconds=61)
            first = await rt.sweep_once()
            clock.advance(hours=2)
            second = await rt.sweep_once()
            statuses = [(await get_reservation_now(rt, c))["status"] for c in (a["code"], b["code"])]
            await ledger_agrees(rt, store["id"])
            return first, second, statuses, await level(rt, store["id"])

    first, second, statuses, after = asyncio.run(go())
    assert (first, second) == (1, 1) and statuses == ["expired", "no_show"]
    assert (after.allocated, after.available) == (0, 5)


def test_slot_places_are_limited_and_freed_by_cancelling(database_url, tmp_path):
    async def go():
        clock = Clock()
        async with open_commerce(database_url, tmp_path, clock) as rt:
            store = await stocked_store(rt, 10, fitting_capacity=2, slot_minutes=30, timezone="Europe/Paris")
            slot = clock.now + timedelta(hours=3)
            _, a = await reserve(rt, store["id"], "a", slot_start=slot)
            await reserve(rt, store["id"], "b", slot_start=slot)
            with pytest.raises(SlotFull) as full:
                await reserve(rt, store["id"], "c", slot_start=slot)
            await transition(rt.db, a["code"], Action.CANCEL, rt.clock, "shopper")
            status, c = await reserve(rt, store["id"], "c", slot_start=slot)
            return a, full.value, status, c, await level(rt, store["id"])

    a, full, status, c, after = asyncio.run(go())
    assert a["slot_end"] == "2026-12-02T12:30:00Z" and "fully booked" in str(full)
    assert status == 201 and after.allocated == 2  # the refused attempt left no stock held


def test_slots_off_the_grid_in_the_past_or_beyond_the_horizon_are_refused(database_url, tmp_path):
    async def go():
        clock = Clock()
        async with open_commerce(database_url, tmp_path, clock) as rt:
            store = await stocked_store(rt, 5, slot_minutes=30, booking_days=7, timezone="Europe/Paris",
                                        opening_hours={"wed": [["10:00", "18:00"]], "thu": [["10:00", "18:00"]]})
            messages = []
            for i, slot in enumerate((clock.now + timedelta(hours=1, minutes=10),   # 11:10 Paris: off the grid
                                      clock.now - timedelta(hours=1),                # the past
                                      clock.now + timedelta(days=8),                 # beyond 7 days
                                      clock.now + timedelta(hours=10))):             # 20:00 Paris: closed
                with pytest.raises(InvalidRequest) as exc:
                    await reserve(rt, store["id"], f"k{i}", slot_start=slot)
                messages.append(str(exc.value))
            return messages, await level(rt, store["id"])

    messages, after = asyncio.run(go())
    assert "not a fitting slot" in messages[0] and "already started" in messages[1]
    assert "7 days ahead" in messages[2] and "not a fitting slot" in messages[3]
    assert after.allocated == 0


def test_a_confirmed_fitting_becomes_a_no_show_after_its_slot_and_grace(database_url, tmp_path):
    async def go():
        clock = Clock()
        async with open_commerce(database_url, tmp_path, clock) as rt:
            store = await stocked_store(rt, 1, slot_minutes=30)
            slot = clock.now + timedelta(hours=1)
            _, held = await reserve(rt, store["id"], "k", slot_start=slot)
            confirmed = await transition(rt.db, held["code"], Action.CONFIRM, rt.clock, "shopper")
            clock.advance(hours=1, minutes=59)  # slot end + 29 min: still expected
            during = (await get_reservation_now(rt, held["code"]))["status"]
            clock.advance(minutes=2)
            after = (await get_reservation_now(rt, held["code"]))["status"]
            with pytest.raises(HoldExpired):
                await transition(rt.db, held["code"], Action.CHECK_IN, rt.clock, "staff")
            return confirmed, during, after, await level(rt, store["id"])

    confirmed, during, after, stock = asyncio.run(go())
    assert confirmed["expires_at"] == "2026-12-02T11:00:00Z"  # slot end 10:30 + 30 min grace
    assert (during, after) == ("confirmed", "no_show") and stock.available == 1 and stock.allocated == 0


def test_replaying_a_key_returns_the_first_result_and_reusing_it_differently_is_refused(database_url, tmp_path):
    async def go():
        async with open_commerce(database_url, tmp_path) as rt:
            store = await stocked_store(rt, 5)
            first = await reserve(rt, store["id"], "same-key")
            replay = await reserve(rt, store["id"], "same-key")
            with pytest.raises(IdempotencyKeyReused):
                await reserve(rt, store["id"], "same-key", quantity=2)
            return first, replay, await level(rt, store["id"])

    first, replay, after = asyncio.run(go())
    assert first == replay and after.allocated == 1


def test_a_replay_after_stock_ran_out_still_returns_the_original_reservation(database_url, tmp_path):
    async def go():
        async with open_commerce(database_url, tmp_path) as rt:
            store = await stocked_store(rt, 1)
            first = await reserve(rt, store["id"], "k")
            await rt.db.write(lambda conn: set_on_hand(conn, store_id=store["id"], sku=SKU, on_hand=0,
                                                       now=rt.clock(), actor="test"))
            return first, await reserve(rt, store["id"], "k")

    first, replay = asyncio.run(go())
    assert replay == first


def test_unknown_stores_skus_and_codes_are_not_found(database_url, tmp_path):
    async def go():
        async with open_commerce(database_url, tmp_path) as rt:
            store = await stocked_store(rt, 1)
            with pytest.raises(UnknownStore):
                await reserve(rt, 9999, "a")
            with pytest.raises(UnknownSku):
                await create_reservation(rt.db, ReservationRequest("no-such-sku", store["id"]), "b", rt.clock)
            for code in ("0000-0000-0000-0000", "'; drop table reservations; --", ""):
                with pytest.raises(ReservationNotFound):
                    await transition(rt.db, code, Action.CANCEL, rt.clock, "x")
            with pytest.raises(InvalidRequest):
                await reserve(rt, store["id"], "c", contact={"email": "not-an-address"})

    asyncio.run(go())
