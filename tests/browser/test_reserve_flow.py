"""Reserving from the try-on page, in a real Chromium against the real server and database: the
shopper picks a colour, says where they are, sees the nearby stores with that exact variant in
stock, picks a fitting time (shown in the store's time, not the browser's), reserves, confirms and
gets the QR code; a stock race, a refused location and a bad postcode are explained; the
reservation page (/r/CODE) shows it and cancels it.

Screenshots go to test-artifacts/browser/ (or $TRYON_TEST_ARTIFACTS).
"""

from __future__ import annotations

import re

import pytest

from browser_harness import missing_prerequisite, open_shopper_page
from commerce_harness import (
    CODE_PATTERN, PHONE_VIEWPORT, api, foreign_requests, free_slots, open_page, reserve, store_local, stores_with_stock,
)

_reason = missing_prerequisite()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

pytestmark = pytest.mark.timeout(90)

# A browser far from the stores' zone: fitting times must still read as the store's wall clock.
SHOPPER_ZONE = "America/New_York"
PANEL_TIMEOUT_MS = 15_000


def open_reserve_panel(page, postcode: str = "75009") -> None:
    page.get_by_test_id("reserve-open").click()
    page.get_by_test_id("reserve-dialog").wait_for(state="visible")
    # Keyboard first: the panel opens with the location box focused, Enter searches.
    assert page.evaluate("document.activeElement.id") == "reserve-where"
    page.keyboard.type(postcode)
    page.keyboard.press("Enter")
    page.locator("[data-testid^=store-option-]").first.wait_for(timeout=PANEL_TIMEOUT_MS)


def shown_store_ids(page) -> list[int]:
    return [int(test_id.rsplit("-", 1)[1]) for test_id in
            page.locator("[data-testid^=store-option-]").evaluate_all("els => els.map(e => e.dataset.testid)")]


def choose_store_and_slot(page, server, store_id: int) -> dict:
    """Pick the store and its second free fitting time of the first day with one; returns that slot."""
    page.get_by_test_id(f"store-option-{store_id}").click()
    slots = free_slots(server, store_id)
    first_day = store_local(slots[0]["start"]).date()
    same_day = [slot for slot in slots if store_local(slot["start"]).date() == first_day]
    slot = same_day[1] if len(same_day) > 1 else same_day[0]
    chip = page.get_by_test_id(f"slot-{slot['start']}")
    chip.wait_for(timeout=PANEL_TIMEOUT_MS)
    assert page.get_by_test_id(f"day-{first_day.isoformat()}").locator("input").is_checked()
    chip.click()
    return slot


def test_a_shopper_reserves_the_worn_colour_for_a_fitting_and_gets_the_qr_code(camera_browser, tryon_server,
                                                                               artifacts_dir):
    product, variant = "cateye-luna", "tortoise"
    sku = f"{product}-{variant}"
    expected = stores_with_stock(tryon_server, sku)
    assert expected, f"the demo stores should have {sku} near 75009"
    context, page, watch = open_shopper_page(camera_browser, tryon_server, locale="en-GB", timezone_id=SHOPPER_ZONE)
    try:
        page.set_viewport_size(PHONE_VIEWPORT)
        page.get_by_test_id("start-camera").click()
        page.wait_for_function("window.tryonState.sessionId", timeout=PANEL_TIMEOUT_MS)
        session_id = page.evaluate("window.tryonState.sessionId")
        page.get_by_test_id("product-select").select_option(product)
        page.get_by_test_id("variant-select").select_option(variant)

        open_reserve_panel(page)
        name = next(entry["name"] for entry in api(tryon_server, "GET", "/api/products") if entry["id"] == product)
        assert page.get_by_test_id("reserve-product").inner_text() == f"{name}, {variant}"
        assert shown_store_ids(page) == [store["store_id"] for store in expected], "stores differ from the API's, nearest first"
        first = expected[0]
        card = page.get_by_test_id(f"store-option-{first['store_id']}")
        assert f"{first['available']} {variant} in stock" in card.inner_text()
        assert re.search(r"\d+\.\d km", card.inner_text())
        assert re.search(r"Open now|Closed now|Closed today", card.inner_text())
        page.screenshot(path=str(artifacts_dir / "reserve_stores.png"))

        slot = choose_store_and_slot(page, tryon_server, first["store_id"])
        # Store time, not the New York browser's: the chip reads the Paris wall clock.
        assert page.get_by_test_id(f"slot-{slot['start']}").inner_text().startswith(store_local(slot["start"]).strftime("%H:%M"))
        assert "Paris time" in page.get_by_test_id("reserve-slot-zone").inner_text()
        page.get_by_test_id("reserve-name").fill("Ada Shopper")
        page.get_by_test_id("reserve-email").fill("ada@example.com")
        page.screenshot(path=str(artifacts_dir / "reserve_slots.png"))
        page.get_by_test_id("reserve-submit").click()

        page.get_by_test_id("reserve-hold").wait_for(state="visible", timeout=PANEL_TIMEOUT_MS)
        countdown = page.get_by_test_id("reserve-countdown").inner_text()
        minutes, _ = countdown.split(":")
        assert re.fullmatch(r"\d+:\d\d", countdown) and 13 <= int(minutes) <= 15, f"hold countdown {countdown!r}"
        page.screenshot(path=str(artifacts_dir / "reserve_hold.png"))
        page.get_by_test_id("reserve-confirm").click()

        done = page.get_by_test_id("reserve-done")
        done.wait_for(state="visible", timeout=PANEL_TIMEOUT_MS)
        code = done.get_by_test_id("reservation-code").inner_text()
        assert re.fullmatch(CODE_PATTERN, code)
        page.wait_for_function("(() => { const img = document.querySelector('[data-testid=reserve-done] img');"
                               " return img && img.complete && img.naturalWidth > 0; })()", timeout=PANEL_TIMEOUT_MS)
        assert done.get_by_test_id("status-badge").inner_text() == "Confirmed"
        assert first["name"] in done.inner_text()
        assert done.get_by_test_id("reservation-page-link").get_attribute("href") == f"/r/{code}"
        page.screenshot(path=str(artifacts_dir / "reserve_confirmed.png"))

        saved = api(tryon_server, "GET", f"/api/reservations/{code}")
        assert saved["status"] == "confirmed" and saved["sku"] == sku and saved["store_id"] == first["store_id"]
        assert saved["slot_start"] == slot["start"]
        assert saved["contact"]["name"] == "Ada Shopper"
        assert saved["tryon_session_id"] == session_id, "the reservation should point back at its try-on session"
        assert page.evaluate("window.tryonState.reservation") == {"code": code, "status": "confirmed"}
        assert not foreign_requests(watch, tryon_server)
        assert not watch.page_errors, watch.page_errors
    finally:
        context.close()


def test_the_last_one_taken_meanwhile_is_explained_and_the_list_refreshed(cameraless_browser, tryon_server,
                                                                         artifacts_dir):
    sku = "rect-metro-gunmetal"
    target = stores_with_stock(tryon_server, sku)[0]
    context, page, watch = open_page(cameraless_browser, tryon_server, "/?product=rect-metro&variant=gunmetal",
                                     viewport=PHONE_VIEWPORT)
    rival = None
    try:
        page.wait_for_function("window.tryonState && window.tryonState.initialised")
        open_reserve_panel(page)
        choose_store_and_slot(page, tryon_server, target["store_id"])
        page.get_by_test_id("reserve-name").fill("Late Shopper")
        page.get_by_test_id("reserve-phone").fill("+33 6 00 00 00 00")
        # Another shopper takes every one left at that store while this one types.
        rival = reserve(tryon_server, sku, target["store_id"], quantity=target["available"], confirm=False)
        page.get_by_test_id("reserve-submit").click()

        message = page.get_by_test_id("reserve-message")
        page.wait_for_function("document.querySelector('[data-testid=reserve-message]').textContent.includes('last one')",
                               timeout=PANEL_TIMEOUT_MS)
        assert target["name"] in message.inner_text() and message.get_attribute("data-kind") == "error"
        page.wait_for_function(f"!document.querySelector('[data-testid=store-option-{target['store_id']}]')",
                               timeout=PANEL_TIMEOUT_MS)
        assert shown_store_ids(page), "the other stores should still be offered"
        assert page.get_by_test_id("reserve-hold").is_hidden()
        page.screenshot(path=str(artifacts_dir / "reserve_sold_out_meanwhile.png"))
        assert not watch.page_errors, watch.page_errors
    finally:
        if rival:
            api(tryon_server, "POST", f"/api/reservations/{rival['code']}/cancel")
        context.close()


def test_location_comes_from_the_browser_or_a_clear_message_says_what_to_do(cameraless_browser, tryon_server,
                                                                            artifacts_dir):
    query = "/?product=round-classic&variant=gold"
    granted, page, watch = open_page(cameraless_browser, tryon_server, query, viewport=PHONE_VIEWPORT,
                                     geolocation={"latitude": 48.8566, "longitude": 2.3522}, permissions=["geolocation"])
    try:
        page.wait_for_function("window.tryonState && window.tryonState.initialised")
        page.get_by_test_id("reserve-open").click()
        page.get_by_test_id("reserve-locate").click()
        page.locator("[data-testid^=store-option-]").first.wait_for(timeout=PANEL_TIMEOUT_MS)
        assert page.get_by_test_id("reserve-where").input_value() == "48.8566, 2.3522"
    finally:
        granted.close()

    refused, page, watch = open_page(cameraless_browser, tryon_server, query, viewport=PHONE_VIEWPORT)
    try:
        page.wait_for_function("window.tryonState && window.tryonState.initialised")
        page.get_by_test_id("reserve-open").click()
        message = page.get_by_test_id("reserve-message")

        page.get_by_test_id("reserve-locate").click()
        page.wait_for_function("document.querySelector('[data-testid=reserve-message]').dataset.kind === 'error'",
                               timeout=PANEL_TIMEOUT_MS)
        assert "Location access was refused" in message.inner_text() and "postcode" in message.inner_text()
        page.screenshot(path=str(artifacts_dir / "reserve_location_refused.png"))

        page.get_by_test_id("reserve-where").fill("where am I?")
        page.get_by_test_id("reserve-find").click()
        assert "neither a postcode" in message.inner_text()

        page.get_by_test_id("reserve-where").fill("99999")
        page.get_by_test_id("reserve-find").click()
        page.wait_for_function("document.querySelector('[data-testid=reserve-message]').textContent.includes('99999')",
                               timeout=PANEL_TIMEOUT_MS)
        assert "no store near postcode" in message.inner_text()
        assert page.get_by_test_id("reserve-dialog").is_visible()
        page.keyboard.press("Escape")
        assert page.get_by_test_id("reserve-dialog").is_hidden(), "Escape should close the panel"
        assert not watch.page_errors, watch.page_errors
    finally:
        refused.close()


def test_the_reservation_page_shows_it_in_store_time_and_cancel_frees_the_stock(cameraless_browser, tryon_server,
                                                                                artifacts_dir):
    sku = "hat-fedora-navy"
    store = stores_with_stock(tryon_server, sku)[0]
    slot = free_slots(tryon_server, store["store_id"])[0]
    reservation = reserve(tryon_server, sku, store["store_id"], slot["start"])
    code = reservation["code"]
    context, page, watch = open_page(cameraless_browser, tryon_server, f"/r/{code}", viewport=PHONE_VIEWPORT,
                                     timezone_id=SHOPPER_ZONE)
    try:
        card = page.get_by_test_id("reservation-card")
        card.wait_for(timeout=PANEL_TIMEOUT_MS)
        assert card.get_by_test_id("reservation-code").inner_text() == code
        assert card.get_by_test_id("status-badge").inner_text() == "Confirmed"
        text = card.inner_text()
        start, end = store_local(slot["start"]), store_local(slot["end"])
        assert f"{start:%H:%M}\u2013{end:%H:%M} (Paris time)" in text, text
        assert store["name"] in text and "navy" in text
        page.wait_for_function("(() => { const img = document.querySelector('[data-testid=reservation-qr]');"
                               " return img && img.complete && img.naturalWidth > 0; })()", timeout=PANEL_TIMEOUT_MS)
        assert "show this QR code" in page.get_by_test_id("next-text").inner_text()
        page.screenshot(path=str(artifacts_dir / "reservation_page.png"), full_page=True)

        dialogs: list[str] = []
        page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
        page.get_by_test_id("cancel").click()
        page.wait_for_function("document.querySelector('[data-testid=status-badge]').textContent === 'Cancelled'",
                               timeout=PANEL_TIMEOUT_MS)
        assert dialogs and code in dialogs[0], "cancelling should ask first"
        assert page.get_by_test_id("cancel").is_hidden()
        assert api(tryon_server, "GET", f"/api/reservations/{code}")["status"] == "cancelled"
        after = {s["store_id"]: s["available"] for s in stores_with_stock(tryon_server, sku)}
        assert after[store["store_id"]] == store["available"], "the cancelled item should be available again"
        page.screenshot(path=str(artifacts_dir / "reservation_cancelled.png"), full_page=True)

        page.goto(f"{tryon_server.base_url}/r/0000-0000-0000-0000")
        page.wait_for_function("document.querySelector('[data-testid=message]').dataset.kind === 'error'",
                               timeout=PANEL_TIMEOUT_MS)
        assert "no reservation with the code" in page.get_by_test_id("message").inner_text()
        assert not foreign_requests(watch, tryon_server)
        assert not watch.page_errors, watch.page_errors
    finally:
        context.close()
