"""Fitting slots from a store's opening hours (pure): local wall-clock hours in the store's time
zone become UTC instants, daylight-saving changes included.

A slot is [start, start + slot_minutes) inside one opening range; a store open 09:00-12:00 with
30-minute slots offers 09:00, 09:30, ..., 11:30. Times that do not exist locally (the hour
skipped in spring) are not offered; a repeated hour (autumn) is offered once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.commerce.errors import InvalidRequest

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
DEFAULT_HOURS: dict[str, list[list[str]]] = {d: [["10:00", "19:00"]] for d in DAYS[:6]} | {"sun": []}


@dataclass(frozen=True)
class SlotRules:
    """What decides a store's slots."""

    timezone: str
    opening_hours: Mapping[str, Any]
    slot_minutes: int
    capacity: int
    booking_days: int

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.timezone)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(f"unknown time zone {name!r}: use an IANA name such as Europe/Paris") from None


def _minutes(hhmm: str) -> int:
    return 24 * 60 if hhmm == "24:00" else int(hhmm[:2]) * 60 + int(hhmm[3:])


def validate_opening_hours(hours: Mapping[str, Any]) -> dict[str, list[list[str]]]:
    """The hours in canonical form (every day present, ranges sorted), or InvalidRequest naming
    the first problem."""
    if not isinstance(hours, Mapping):
        raise InvalidRequest('opening_hours must be an object like {"mon": [["09:00", "18:00"]], ...}')
    unknown = sorted(set(hours) - set(DAYS))
    if unknown:
        raise InvalidRequest(f"opening_hours: unknown day {unknown[0]!r}; days are {', '.join(DAYS)}")
    clean: dict[str, list[list[str]]] = {}
    for day in DAYS:
        ranges = hours.get(day, [])
        if not isinstance(ranges, list):
            raise InvalidRequest(f"opening_hours.{day} must be a list of [open, close] pairs")
        parsed = []
        for pair in ranges:
            if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                    or not all(isinstance(t, str) and _HHMM.match(t) for t in pair)):
                raise InvalidRequest(f'opening_hours.{day}: {pair!r} is not a pair of "HH:MM" times')
            if _minutes(pair[0]) >= _minutes(pair[1]):
                raise InvalidRequest(f"opening_hours.{day}: {pair[0]}-{pair[1]} closes before it opens")
            parsed.append([pair[0], pair[1]])
        parsed.sort(key=lambda p: _minutes(p[0]))
        for (a0, a1), (b0, _) in zip(parsed, parsed[1:]):
            if _minutes(b0) < _minutes(a1):
                raise InvalidRequest(f"opening_hours.{day}: {a0}-{a1} overlaps the next range")
        clean[day] = parsed
    return clean


def _local_instant(day: date, minutes: int, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall-clock time, or None if that time does not exist that day."""
    local = datetime.combine(day, time()) + timedelta(minutes=minutes)
    aware = local.replace(tzinfo=tz)
    back = aware.astimezone(timezone.utc).astimezone(tz)
    if back.replace(tzinfo=None) != local:
        return None  # skipped by a daylight-saving jump
    return aware.astimezone(timezone.utc)


def slots_on(rules: SlotRules, day: date) -> Iterator[datetime]:
    """Slot starts (UTC) on a local calendar day."""
    ranges = tuple((opens, closes) for opens, closes in rules.opening_hours.get(DAYS[day.weekday()], []))
    return iter(_day_grid(rules.timezone, ranges, rules.slot_minutes, day))


@lru_cache(maxsize=50_000)
def _day_grid(tz_name: str, ranges: tuple[tuple[str, str], ...], slot_minutes: int,
              day: date) -> tuple[datetime, ...]:
    """One day's slot starts, memoised: stores mostly share a few opening-hour patterns, and the
    local-to-UTC conversions were most of the cost of a nearby-availability answer."""
    tz = zone(tz_name)
    out = []
    for opens, closes in ranges:
        start, end = _minutes(opens), _minutes(closes)
        m = start
        while m + slot_minutes <= end:
            instant = _local_instant(day, m, tz)
            if instant is not None:
                out.append(instant)
            m += slot_minutes
    return tuple(out)


def local_date(rules: SlotRules, instant: datetime) -> date:
    return instant.astimezone(rules.zone).date()


def upcoming_slots(rules: SlotRules, now: datetime, until: datetime | None = None) -> Iterator[datetime]:
    """Slot starts after `now`, in order, up to the booking horizon (or `until`)."""
    horizon = now + timedelta(days=rules.booking_days)
    if until is not None:
        horizon = min(horizon, until)
    day = local_date(rules, now)
    last = local_date(rules, horizon)
    while day <= last:
        for start in slots_on(rules, day):
            if now < start <= horizon:
                yield start
        day += timedelta(days=1)


def check_slot(rules: SlotRules, slot_start: datetime, now: datetime) -> datetime:
    """The slot start as a UTC instant if a shopper may book it now, else InvalidRequest saying why."""
    if slot_start.tzinfo is None:
        raise InvalidRequest("slot_start needs a time zone offset, e.g. 2026-12-03T10:30:00Z")
    slot_start = slot_start.astimezone(timezone.utc)
    if slot_start <= now:
        raise InvalidRequest(f"the fitting slot {slot_start.isoformat()} has already started")
    if slot_start > now + timedelta(days=rules.booking_days):
        raise InvalidRequest(f"fitting slots can be booked up to {rules.booking_days} days ahead")
    if rules.capacity <= 0:
        raise InvalidRequest("this store does not offer fitting slots")
    if slot_start not in set(slots_on(rules, local_date(rules, slot_start))):
        local = slot_start.astimezone(rules.zone)
        raise InvalidRequest(f"{local.strftime('%a %Y-%m-%d %H:%M')} ({rules.timezone}) is not a fitting slot of "
                             f"this store: slots are {rules.slot_minutes} minutes within opening hours")
    return slot_start


def slot_end(rules: SlotRules, slot_start: datetime) -> datetime:
    return slot_start + timedelta(minutes=rules.slot_minutes)


def free_slots(rules: SlotRules, now: datetime, booked: Mapping[datetime, int], limit: int,
               capacity_overrides: Mapping[datetime, int] | None = None) -> list[tuple[datetime, int]]:
    """The next `limit` slots with a free place, as (start, places left)."""
    out: list[tuple[datetime, int]] = []
    if rules.capacity <= 0 or limit <= 0:
        return out
    overrides = capacity_overrides or {}
    for start in upcoming_slots(rules, now):
        left = overrides.get(start, rules.capacity) - booked.get(start, 0)
        if left > 0:
            out.append((start, left))
            if len(out) == limit:
                break
    return out


def open_now(rules: SlotRules, now: datetime) -> bool:
    local = now.astimezone(rules.zone)
    m = local.hour * 60 + local.minute
    return any(_minutes(a) <= m < _minutes(b) for a, b in rules.opening_hours.get(DAYS[local.weekday()], []))
