"""A hat in the shopper page's 3D (pose) mode: the page draws the hat with the server's own hat
head proxy (the result's occluder_domes), so three.js shows the same silhouette as the server's
compositor for the same pose, with no hole in the band or the crown.

The canvas goes to test-artifacts/browser/hat_pose_mode.png beside the server's render.
"""

from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest

from browser_harness import missing_prerequisite, open_shopper_page
from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.hat_occluder import occluder_from_domes
from tryon.products.catalog import load_product_model, resolve_product
from tryon.products.fit.hat import hat_opening
from tryon.render.compositor import get_compositor
from tryon.render.items import RenderItem
from tryon.render.studio_light import studio_light

_reason = missing_prerequisite()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

pytestmark = pytest.mark.timeout(120)

HAT = "hat-fedora"
STREAM_TIMEOUT_MS = 40_000


def wait_for_state(page, condition: str) -> None:
    page.wait_for_function(f"(() => {{ const s = window.tryonState; return Boolean({condition}); }})()",
                           timeout=STREAM_TIMEOUT_MS, polling=100)


def filled_outline(mask: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros(mask.shape, np.uint8)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return filled.astype(bool)


def test_pose_mode_hides_a_hat_with_the_servers_hat_proxy(camera_browser, tryon_server, artifacts_dir):
    context, page, _ = open_shopper_page(camera_browser, tryon_server, f"?mode=pose&product={HAT}")
    try:
        page.get_by_test_id("start-camera").click()
        wait_for_state(page, "s.source === 'camera' && s.connected")
        wait_for_state(page, "s.posesRendered >= 5 && s.lastRender && s.lastRender.copies > 0")
        drawn = page.evaluate("""() => ({
            png: document.getElementById('pose-canvas').toDataURL('image/png'),
            pose: window.tryonState.lastRender.pose })""")
    finally:
        context.close()
    pose, face = drawn["pose"], drawn["pose"]["faces"][0]
    canvas = cv2.imdecode(np.frombuffer(base64.b64decode(drawn["png"].split(",", 1)[1]), np.uint8),
                          cv2.IMREAD_UNCHANGED)
    c = pose["camera"]
    camera = CameraIntrinsics(c["fx"], c["fy"], c["cx"], c["cy"], c["width"], c["height"])
    browser = cv2.resize(canvas[..., 3], (camera.width, camera.height), interpolation=cv2.INTER_AREA) >= 128

    assert len(face["occluder_domes"]) == 2, "a hat's pose carries its head proxy"
    domes = tuple(np.reshape(d, (4, 4)) for d in face["occluder_domes"])
    placement = np.reshape(face["placements"][0], (4, 4))
    model = load_product_model(resolve_product(HAT))
    item = RenderItem(model, "browser-hat", None, placement)
    proxy = [occluder_from_domes(domes)]
    server = get_compositor().render_coverage(camera, [item], studio_light(), proxy)[..., 3] >= 128
    cv2.imwrite(str(artifacts_dir / "hat_pose_mode.png"),
                np.hstack([canvas[..., 3], cv2.resize(server.astype(np.uint8) * 255, canvas.shape[1::-1])]))

    overlap = (browser & server).sum() / max((browser | server).sum(), 1)
    assert overlap > 0.97, f"the page's hat covers other pixels than the server's ({overlap:.0%} in common)"
    # Nothing undrawn inside the outline above the band's front (band and crown: never behind the head).
    opening = hat_opening(model)
    front = placement @ [opening.centre_x, 0.0, opening.centre_z + opening.length_mm / 2, 1.0]
    band_row = int(camera.project(front[None, :3])[0, 1])
    holes = filled_outline(browser) & ~browser
    assert holes[: band_row - 2].sum() == 0, f"{holes[: band_row - 2].sum()} px undrawn in the hat's band or crown"
