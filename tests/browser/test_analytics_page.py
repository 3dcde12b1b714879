"""The retailer's funnel page (/analytics) in a real Chromium against the real server: the admin
key signs in (a staff key is turned away), the funnel bars and the table show the same numbers as
/api/analytics/funnel for the reservations made here, per day and per store.

Screenshots go to test-artifacts/browser/ (or $TRYON_TEST_ARTIFACTS).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from browser_harness import missing_prerequisite
from commerce_harness import (
    PHONE_VIEWPORT, ApiRefused, api, foreign_requests, free_slots, new_staff_key, open_page, reserve, sign_in,
    stores_with_stock,
)

_reason = missing_prerequisite()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

pytestmark = pytest.mark.timeout(90)

SKU = "earrings-pearl-drop-gold"
WAIT_MS = 15_000
FUNNEL_FIELDS = ["sessions", "tried", "reservations", "confirmed", "checked_in", "fulfilled", "coupons_redeemed"]


@pytest.fixture(scope="module")
def funnel_data(tryon_server) -> dict:
    """A few reservations through the funnel's steps: reserved, confirmed, checked in, fulfilled."""
    today = datetime.now(timezone.utc).date()
    first = (today - timedelta(days=6)).isoformat()
    try:
        api(tryon_server, "GET", f"/api/analytics/funnel?from={first}&to={today}&group_by=day", key=tryon_server.admin_key)
    except ApiRefused as refused:
        if refused.status == 404:
            pytest.skip("GET /api/analytics/funnel answers 404 on this server: the funnel is not deployed yet")
        raise
    store = stores_with_stock(tryon_server, SKU)[0]
    slots = free_slots(tryon_server, store["store_id"])
    staff_key = new_staff_key(tryon_server, "Funnel desk", [store["store_id"]])
    reserve(tryon_server, SKU, store["store_id"], slots[0]["start"], confirm=False)
    reserve(tryon_server, SKU, store["store_id"], slots[1]["start"])
    sold = reserve(tryon_server, SKU, store["store_id"], slots[2]["start"])
    for action in ("check-in", "fulfil"):
        api(tryon_server, "POST", f"/api/stores/{store['store_id']}/reservations/{sold['code']}/{action}", key=staff_key)
    return {"from": first, "to": today.isoformat(), "store": store, "staff_key": staff_key}


def report(server, data: dict, group_by: str) -> dict:
    return api(server, "GET", f"/api/analytics/funnel?from={data['from']}&to={data['to']}&group_by={group_by}",
               key=server.admin_key)


def bar_values(page) -> dict[str, int]:
    return page.locator("[data-testid=funnel-chart] g[data-step]").evaluate_all(
        "gs => Object.fromEntries(gs.map(g => [g.dataset.step, Number(g.dataset.value)]))")


def test_the_funnel_page_draws_the_reservations_made_here(cameraless_browser, tryon_server, funnel_data, artifacts_dir):
    query = f"/analytics?from={funnel_data['from']}&to={funnel_data['to']}&group_by=day"
    context, page, watch = open_page(cameraless_browser, tryon_server, query)
    try:
        sign_in(page, tryon_server.admin_key)
        page.wait_for_function("window.analyticsState.loads > 0", timeout=WAIT_MS)
        expected = report(tryon_server, funnel_data, "day")
        totals = expected["totals"]
        assert totals["reservations"] >= 3 and totals["confirmed"] >= 2 and totals["fulfilled"] >= 1
        assert bar_values(page) == {field: totals[field] for field in FUNNEL_FIELDS}
        assert len(page.get_by_test_id("group-row").all()) == len(expected["rows"]) == 7
        days_drawn = page.locator("[data-testid=daily-chart] g[data-day]").evaluate_all("gs => gs.map(g => g.dataset.day)")
        assert days_drawn == [row["key"]["day"] for row in expected["rows"]]
        footer = page.get_by_test_id("totals-row").inner_text().split("\t")
        assert footer[0] == "Total" and int(footer[3]) == totals["reservations"] and int(footer[6]) == totals["fulfilled"]
        page.screenshot(path=str(artifacts_dir / "analytics_by_day.png"), full_page=True)

        page.get_by_test_id("group-by").select_option("store")
        page.wait_for_function("window.analyticsState.loads > 1", timeout=WAIT_MS)
        by_store = report(tryon_server, funnel_data, "store")
        store_row = page.get_by_test_id("group-row").filter(has_text=funnel_data["store"]["name"])
        expected_row = next(row for row in by_store["rows"] if row["key"]["store_id"] == funnel_data["store"]["store_id"])
        cells = store_row.inner_text().split("\t")
        assert int(cells[3]) == expected_row["reservations"] and int(cells[6]) == expected_row["fulfilled"]
        reserved_to_fulfilled = 100 * expected_row["fulfilled"] / expected_row["reservations"]
        assert cells[10] == (f"{reserved_to_fulfilled:.1f}%" if reserved_to_fulfilled < 10 else f"{int(reserved_to_fulfilled + 0.5)}%")
        page.set_viewport_size(PHONE_VIEWPORT)
        page.wait_for_timeout(200)  # the charts redraw at the new width
        page.screenshot(path=str(artifacts_dir / "analytics_by_store_phone.png"), full_page=True)
        assert not foreign_requests(watch, tryon_server)
        assert not watch.page_errors, watch.page_errors
    finally:
        context.close()


def test_a_staff_key_is_turned_away_from_the_funnel(cameraless_browser, tryon_server, funnel_data):
    context, page, watch = open_page(cameraless_browser, tryon_server, "/analytics")
    try:
        sign_in(page, funnel_data["staff_key"])
        page.wait_for_function("document.querySelector('[data-testid=signin-message]').textContent.includes('admin key')",
                               timeout=WAIT_MS)
        assert page.get_by_test_id("report").is_hidden()
        assert page.evaluate("sessionStorage.getItem('tryon.adminKey')") is None
    finally:
        context.close()
