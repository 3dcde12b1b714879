"""The shopper page's 3D mode hides the product under a hand in front of the face: Chromium's fake
camera plays the part of the clip where a thumb stands before a lens, and the canvas the page
draws with three.js must be empty under the server's hand mask and drawn beside it."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
import pytest

from browser_harness import launch_with_fake_camera, missing_prerequisite, open_shopper_page, write_fake_camera
from test_shopper_page import GLASSES, assert_no_page_errors, decode_data_url, eye_region, start_camera, wait_for_state

_reason = missing_prerequisite()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

pytestmark = pytest.mark.timeout(120)

THUMB_FRAMES = range(80, 111)  # the thumb stands still before her right lens


@pytest.fixture(scope="module")
def thumb_camera_y4m(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Frames 80-110 of the clip, forward then backward, as a YUV4MPEG2 fake camera."""
    return write_fake_camera(tmp_path_factory.mktemp("thumb_camera") / "thumb_640x360.y4m", THUMB_FRAMES)


@pytest.fixture(scope="module")
def thumb_browser(playwright_driver, thumb_camera_y4m: Path):
    browser = launch_with_fake_camera(playwright_driver, thumb_camera_y4m)
    yield browser
    browser.close()


def mask_in_canvas(mask: dict, camera: dict, canvas_shape: tuple[int, int]) -> np.ndarray:
    """(H, W) uint8 of the canvas: the hand mask stretched as docs/protocol.md says."""
    png = base64.b64decode(mask["png_base64"])
    small = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    scale = mask["scale"]
    full = np.zeros((camera["height"], camera["width"]), np.uint8)
    x0, y0, x1, y1 = mask["box_px"]
    full[y0:y1, x0:x1] = cv2.resize(small, (small.shape[1] * scale, small.shape[0] * scale))[:y1 - y0, :x1 - x0]
    return cv2.resize(full, (canvas_shape[1], canvas_shape[0]), interpolation=cv2.INTER_LINEAR)


def test_the_3d_mode_hides_the_product_under_the_hand_mask(thumb_browser, tryon_server, artifacts_dir):
    context, page, watch = open_shopper_page(thumb_browser, tryon_server, f"?mode=pose&product={GLASSES}")
    try:
        start_camera(page)
        wait_for_state(page, "s.posesRendered >= 5 && s.lastRender && s.lastRender.copies > 0"
                             " && s.lastRender.handMask && s.lastRender.pose.hand_mask")
        drawn = page.evaluate("""() => ({
            png: document.getElementById('pose-canvas').toDataURL('image/png'),
            pose: window.tryonState.lastRender.pose })""")
        canvas = decode_data_url(drawn["png"], cv2.IMREAD_UNCHANGED)
        page.screenshot(path=str(artifacts_dir / "pose_mode_hand_mask.png"))
        pose = drawn["pose"]
        mask = mask_in_canvas(pose["hand_mask"], pose["camera"], canvas.shape[:2])
        alpha = canvas[:, :, 3]
        eyes = np.zeros(alpha.shape, bool)
        eyes[eye_region({**pose, "image": {"mirrored": False}}, scale=canvas.shape[1] / pose["camera"]["width"])] = True
        kernel = np.ones((9, 9), np.uint8)
        under = eyes & (cv2.erode(mask, kernel) > 200)  # well inside the hand
        beside = eyes & (cv2.dilate(mask, kernel) == 0)  # well clear of it
        cv2.imwrite(str(artifacts_dir / "pose_mode_hand_mask_canvas.png"),
                    np.dstack([canvas[:, :, :3], np.maximum(alpha, (under * 128).astype(np.uint8))]))
        assert under.sum() > 0.05 * eyes.sum(), "the thumb must stand before a lens in these frames"
        assert (alpha[under] > 0).mean() < 0.02, "the product is drawn over the hand"
        assert (alpha[beside] > 0).mean() > 0.15, "the product must still be drawn beside the hand"
        assert_no_page_errors(watch)
    finally:
        context.close()
