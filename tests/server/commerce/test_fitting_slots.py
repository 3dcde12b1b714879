"""Fitting slots from opening hours (pure): the grid, time zones, daylight-saving days, bad hours."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from server.commerce.errors import InvalidRequest
from server.commerce.slots import SlotRules, check_slot, free_slots, open_now, slots_on, validate_opening_hours

UTC = timezone.utc


def rules(hours, tz="Europe/Paris", minutes=30, capacity=2, days=14) -> SlotRules:
    return SlotRules(tz, validate_opening_hours(hours), minutes, capacity, days)


def test_slots_fill_each_opening_range_in_local_time():
    paris = rules({"wed": [["09:00", "10:30"], ["14:00", "15:00"]]})
    starts = list(slots_on(paris, date(2026, 12, 2)))  # a Wednesday, UTC+1
    assert [s.strftime("%H:%M") for s in starts] == ["08:00", "08:30", "09:00", "13:00", "13:30"]
    assert list(slots_on(paris, date(2026, 12, 3))) == []  # Thursday: closed


def test_a_slot_that_would_run_past_closing_is_not_offered():
    assert len(list(slots_on(rules({"wed": [["09:00", "10:40"]]}, minutes=30), date(2026, 12, 2)))) == 3


def test_the_spring_forward_hour_is_skipped_and_the_autumn_hour_offered_once():
    night = rules({d: [["00:00", "24:00"]] for d in ("sun",)}, minutes=60)
    spring = list(slots_on(night, date(2026, 3, 29)))  # Paris skips 02:00-03:00
    autumn = list(slots_on(night, date(2026, 10, 25)))  # Paris repeats 02:00-03:00
    assert len(spring) == 23 and len(autumn) == 24 and len(set(autumn)) == 24
    assert all(b > a for a, b in zip(autumn, autumn[1:]))


def test_summer_and_winter_slots_keep_the_local_wall_clock():
    shop = rules({"wed": [["10:00", "11:00"]]}, minutes=60)
    assert next(slots_on(shop, date(2026, 7, 1))) == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert next(slots_on(shop, date(2026, 12, 2))) == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_booking_checks_the_grid_the_clock_and_the_horizon():
    shop = rules({"wed": [["10:00", "12:00"]], "thu": [["10:00", "12:00"]]}, days=1)
    now = datetime(2026, 12, 2, 9, 15, tzinfo=UTC)  # 10:15 Paris
    assert check_slot(shop, datetime(2026, 12, 2, 10, 0, tzinfo=UTC), now) == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    for bad, words in ((datetime(2026, 12, 2, 9, 0, tzinfo=UTC), "already started"),
                       (datetime(2026, 12, 2, 10, 10, tzinfo=UTC), "not a fitting slot"),
                       (datetime(2026, 12, 3, 10, 0, tzinfo=UTC), "1 days ahead"),
                       (datetime(2026, 12, 2, 11, 0), "time zone offset")):
        with pytest.raises(InvalidRequest, match=words):
            check_slot(shop, bad, now)


def test_free_slots_skip_full_ones_and_report_places_left():
    shop = rules({"wed": [["10:00", "12:00"]]}, capacity=2)
    now = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    first, second = datetime(2026, 12, 2, 9, 0, tzinfo=UTC), datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    slots = free_slots(shop, now, {first: 2, second: 1}, limit=2)
    assert slots == [(second, 1), (second + timedelta(minutes=30), 2)]
    assert free_slots(rules({"wed": [["10:00", "12:00"]]}, capacity=0), now, {}, limit=3) == []


def test_open_now_follows_the_store_clock():
    shop = rules({"wed": [["10:00", "19:00"]]})
    assert open_now(shop, datetime(2026, 12, 2, 9, 30, tzinfo=UTC)) and not open_now(shop, datetime(2026, 12, 2, 18, 0,
                                                                                                     tzinfo=UTC))


@pytest.mark.parametrize("hours, words", [
    ({"mon": [["9:00", "18:00"]]}, "HH:MM"),
    ({"mon": [["18:00", "09:00"]]}, "closes before it opens"),
    ({"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}, "overlaps"),
    ({"funday": []}, "unknown day"),
    ({"mon": "9-5"}, "list of"),
])
def test_bad_opening_hours_are_refused_naming_the_problem(hours, words):
    with pytest.raises(InvalidRequest, match=words):
        validate_opening_hours(hours)
