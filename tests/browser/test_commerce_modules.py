"""The commerce pages' pure modules (web_client/src), run in Chromium where they live: fitting
times grouped by the store's own day across a clock change, opening hours, what a shopper types
or a camera scans, Idempotency-Keys without a secure context, and the funnel's conversions."""

from __future__ import annotations

import re

import pytest

from browser_harness import missing_prerequisite

_reason = missing_prerequisite()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def module_page(cameraless_browser, tryon_server):
    """A page of the server's origin, far from Paris, to import the modules into."""
    context = cameraless_browser.new_context(locale="en-GB", timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(f"{tryon_server.base_url}/health")
    yield page
    context.close()


def run(page, body: str):
    """Evaluate `body` (an async function body with `m(name)` importing /static/<name>.js)."""
    return page.evaluate(f"async () => {{ const m = (name) => import(`/static/${{name}}.js`); {body} }}")


def test_fitting_times_group_by_the_store_day_across_the_october_clock_change(module_page):
    # Paris leaves summer time on 25 Oct 2026 at 01:00 UTC (03:00 CEST -> 02:00 CET).
    days = run(module_page, """
        const { groupSlotsByDay, formatTime } = await m("store_time");
        const slots = ["2026-10-24T21:30:00Z", "2026-10-24T22:30:00Z", "2026-10-25T00:30:00Z",
                       "2026-10-25T01:30:00Z", "2026-10-25T09:00:00Z"].map((start) => ({ start }));
        return groupSlotsByDay(slots, "Europe/Paris").map((day) =>
            [day.day, day.label, day.slots.map((slot) => formatTime(slot.start, "Europe/Paris"))]);
    """)
    assert days == [["2026-10-24", "Sat 24 Oct", ["23:30"]],
                    ["2026-10-25", "Sun 25 Oct", ["00:30", "02:30", "02:30", "10:00"]]]


def test_opening_hours_are_read_for_the_store_weekday_not_the_browser_one(module_page):
    lines = run(module_page, """
        const { describeOpening } = await m("store_time");
        const hours = { sat: [["10:00", "20:00"]], sun: [] };
        // Sat 5 Dec 16:00 UTC: Saturday 17:00 in Paris, but already Sunday 01:00 in this Tokyo browser;
        // 23:30 UTC: Sunday 00:30 in Paris, when the store is closed all day.
        const store = (open_now) => ({ timezone: "Europe/Paris", opening_hours: hours, open_now });
        return [describeOpening(store(false), new Date("2026-12-05T16:00:00Z")),
                describeOpening(store(true), new Date("2026-12-05T16:00:00Z")),
                describeOpening(store(false), new Date("2026-12-05T23:30:00Z"))];
    """)
    assert lines == ["Closed now \u00b7 today 10:00\u201320:00", "Open now \u00b7 10:00\u201320:00 today", "Closed today"]


def test_typed_places_and_scanned_codes_are_read_forgivingly(module_page):
    read = run(module_page, """
        const { parseTypedLocation } = await m("shopper_location");
        const { codeFromScan } = await m("qr_scanner");
        const tryParse = (text) => { try { return parseTypedLocation(text); } catch (error) { return error.reason; } };
        return {
            places: ["48.8707, 2.3319", " 48.87 2.33 ", "-33.9;18.4", "75009", "sw1a 1aa", "91, 200", "", "a/b"].map(tryParse),
            codes: ["http://shop.example/r/ABCD-EFGH-JKMN-PQRS", "abcd-efgh-jkmn-pqrs ", "https://x/r/K7QM2XPD9RTA6WEH?utm=1"].map(codeFromScan),
        };
    """)
    assert read["places"] == [{"lat": 48.8707, "lon": 2.3319}, {"lat": 48.87, "lon": 2.33}, {"lat": -33.9, "lon": 18.4},
                              {"postcode": "75009"}, {"postcode": "SW1A 1AA"}, "unreadable", "unreadable", "unreadable"]
    assert read["codes"] == ["ABCD-EFGH-JKMN-PQRS", "ABCD-EFGH-JKMN-PQRS", "K7QM2XPD9RTA6WEH"]


def test_idempotency_keys_are_uuid4_even_without_crypto_random_uuid(module_page):
    keys = run(module_page, """
        const { newIdempotencyKey } = await m("commerce_api");
        const native = newIdempotencyKey();
        const saved = crypto.randomUUID;
        crypto.randomUUID = undefined; // as on a plain-http shop tablet
        try { return [native, newIdempotencyKey(), newIdempotencyKey()]; } finally { crypto.randomUUID = saved; }
    """)
    uuid4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert all(uuid4.match(key) for key in keys), keys
    assert len(set(keys)) == 3


def test_funnel_conversions_divide_by_the_step_before_and_coupons_by_those_issued(module_page):
    steps = run(module_page, """
        const { funnelSteps, formatPercent } = await m("funnel_math");
        const totals = { sessions: 200, tried: 150, reservations: 12, confirmed: 9, checked_in: 6, fulfilled: 3,
                         coupons_issued: 4, coupons_redeemed: 1 };
        return funnelSteps(totals).map((step) => [step.field, step.value, formatPercent(step.ofPrevious)]);
    """)
    assert steps == [["sessions", 200, "\u2013"], ["tried", 150, "75%"], ["reservations", 12, "8.0%"],
                     ["confirmed", 9, "75%"], ["checked_in", 6, "67%"], ["fulfilled", 3, "50%"],
                     ["coupons_redeemed", 1, "25%"]]
