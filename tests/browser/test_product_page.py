"""The product page (/products/{id}) in a real Chromium against the real server: the three.js
viewer draws the model, the variant switch changes its pixels, the real size is shown in mm, and
"Try it on" opens the live page wearing that product. The shoe is imported through the admin API
first, as a retailer would. Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from browser_harness import PageWatch, missing_prerequisite, missing_test_data

_reason = missing_prerequisite() or missing_test_data()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

pytestmark = pytest.mark.timeout(180)
LOAD_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def imported_shoe(tryon_server, shared_data: Path) -> dict:
    data = (shared_data / "models3d" / "materials_variants_shoe" / "MaterialsVariantsShoe.glb").read_bytes()
    made = httpx.post(f"{tryon_server.base_url}/api/catalog/products", content=data, timeout=120,
                      params={"filename": "MaterialsVariantsShoe.glb", "id": "browser-shoe", "name": "Browser sneaker"},
                      headers={"Authorization": f"Bearer {tryon_server.admin_key}"})
    if made.status_code == 409:  # made by an earlier module run against the same server
        return httpx.get(f"{tryon_server.base_url}/api/products/browser-shoe").json()
    assert made.status_code == 201, made.text
    return made.json()


def open_page(browser, server, path: str):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    watch = PageWatch()
    watch.attach(page)
    page.goto(f"{server.base_url}{path}")
    return context, page, watch


def open_product_page(browser, server, product_id: str):
    return open_page(browser, server, f"/products/{product_id}")


def wait_for_model(page, variant: str) -> None:
    """Until the viewer has drawn the model wearing `variant` (its URL names the variant)."""
    page.wait_for_function(
        """(variant) => { const s = window.productPage; return s && s.viewer && s.viewer.loadedUrl
            && s.viewer.loadedUrl.includes(`variant=${encodeURIComponent(variant)}`) && s.viewer.frames > 1; }""",
        arg=variant, timeout=LOAD_TIMEOUT_MS, polling=100)
    page.wait_for_timeout(300)  # the orbit damping settles


def viewer_pixels(page) -> np.ndarray:
    data_url = page.evaluate("document.querySelector('[data-testid=viewer]').toDataURL('image/png')")
    image = cv2.imdecode(np.frombuffer(base64.b64decode(data_url.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def drawn_fraction(image: np.ndarray) -> float:
    """Share of the canvas that is not the viewer's background (#f4f4f2)."""
    background = np.array([0xF2, 0xF4, 0xF4])  # BGR
    return float((np.abs(image.astype(int) - background).sum(axis=2) > 24).mean())


def test_the_viewer_draws_the_imported_shoe_and_the_variant_switch_changes_it(cameraless_browser, tryon_server,
                                                                              imported_shoe, artifacts_dir):
    context, page, watch = open_product_page(cameraless_browser, tryon_server, imported_shoe["id"])
    try:
        wait_for_model(page, "midnight")
        first = viewer_pixels(page)
        assert drawn_fraction(first) > 0.05, "the viewer shows no model"
        page.screenshot(path=str(artifacts_dir / "product_page_shoe_midnight.png"))
        page.click("[data-testid=variant-street]")
        wait_for_model(page, "street")
        second = viewer_pixels(page)
        page.screenshot(path=str(artifacts_dir / "product_page_shoe_street.png"))
        changed = np.abs(first.astype(int) - second.astype(int)).sum(axis=2) > 30
        assert changed.mean() > 0.02, "switching the variant did not change the picture"
        assert page.get_attribute("[data-testid=variant-street]", "aria-pressed") == "true"
        width = page.text_content("[data-dimension=width]")
        assert width == f"{round(imported_shoe['dimensions_mm'][0])} mm"
        assert page.is_visible("[data-testid=not-wearable]") and not page.is_visible("[data-testid=try-on]")
        assert not watch.page_errors and not watch.console_errors, (watch.page_errors, watch.console_errors)
        assert all(url.startswith(tryon_server.base_url) or url.startswith("data:") or url.startswith("blob:")
                   for url in watch.requests), "the page fetched from somewhere else"
    finally:
        context.close()


def test_try_it_on_opens_the_live_page_with_that_product_and_variant(cameraless_browser, tryon_server, artifacts_dir):
    context, page, watch = open_product_page(cameraless_browser, tryon_server, "round-classic")
    try:
        wait_for_model(page, "black")
        assert drawn_fraction(viewer_pixels(page)) > 0.02
        assert page.text_content("[data-dimension=width]").endswith(" mm")
        page.click("[data-testid=variant-gold]")
        wait_for_model(page, "gold")
        page.screenshot(path=str(artifacts_dir / "product_page_round_classic_gold.png"))
        page.click("[data-testid=try-on]")
        page.wait_for_function("window.tryonState && window.tryonState.initialised", timeout=15_000)
        assert page.url.endswith("/?product=round-classic&variant=gold")
        assert page.eval_on_selector("#product-select", "el => el.value") == "round-classic"
        assert page.eval_on_selector("#variant-select", "el => el.value") == "gold"
        assert not watch.page_errors and not watch.console_errors, (watch.page_errors, watch.console_errors)
    finally:
        context.close()


def test_an_unknown_product_says_so(cameraless_browser, tryon_server):
    context, page, _ = open_product_page(cameraless_browser, tryon_server, "no-such-product")
    try:
        page.wait_for_function("document.querySelector('[data-testid=message]').textContent.includes('no product')",
                               timeout=15_000)
    finally:
        context.close()


def test_the_catalog_page_shows_rendered_thumbnails_that_lead_to_product_pages(cameraless_browser, tryon_server,
                                                                               imported_shoe, artifacts_dir):
    context, page, watch = open_page(cameraless_browser, tryon_server, "/products")
    try:
        card = f"[data-product={imported_shoe['id']}]"
        page.wait_for_selector(card, timeout=15_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.catalog-card img')].every((i) => i.complete && i.naturalWidth > 0)",
            timeout=LOAD_TIMEOUT_MS, polling=200)
        page.screenshot(path=str(artifacts_dir / "catalog_page.png"), full_page=True)
        ids = page.eval_on_selector_all("[data-product]", "cards => cards.map((c) => c.dataset.product)")
        assert {"round-classic", imported_shoe["id"]} <= set(ids)
        assert "3D view" in page.text_content(card) and "3 variants" in page.text_content(card)
        page.click(f"{card} a")
        wait_for_model(page, "midnight")
        assert page.url.endswith(f"/products/{imported_shoe['id']}")
        assert not watch.page_errors and not watch.console_errors, (watch.page_errors, watch.console_errors)
    finally:
        context.close()
