"""A real model over a real photo: the Khronos sunglasses on the official Obama portrait, at a
hand-picked placement (no face tracking here). Writes test-artifacts/render_sample_*.png for a
person to look at."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from render_models import FLIP_YZ
from tryon.geometry.camera import CameraIntrinsics
from tryon.products.load import load_model
from tryon.render.compositor import Compositor, get_compositor
from tryon.render.items import RenderItem

# The portrait, cropped to 4:3 from the top and scaled to 640 wide, has the eyes at about
# (345, 128) px and a face ~176 px wide; 150 mm glasses at 60 degrees FoV match that at ~440 mm.
EYES_PX = (345.0, 128.0)
DISTANCE_MM = 440.0


@pytest.fixture(scope="module")
def portrait(shared_data) -> np.ndarray:
    image = cv2.imread(str(shared_data / "faces/obama_official_portrait_frontal.jpg"))
    height, width = image.shape[:2]
    top = int(0.02 * height)
    crop = image[top : top + int(width * 3 / 4), :]
    return cv2.resize(crop, (640, 480), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def sunglasses(shared_data):
    # "other" keeps the file's glTF axes (+Y up, +Z front); the placement below centres it.
    return load_model(shared_data / "models3d/sunglasses_khronos/SunglassesKhronos.glb", category="other")


def on_the_eyes(model, camera: CameraIntrinsics) -> RenderItem:
    lo, hi = model.bounds.astype(np.float64)
    front_centre = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, hi[2]])
    target = camera.unproject(np.array([EYES_PX]), np.array([DISTANCE_MM]))[0]
    m = np.eye(4)
    m[:3, :3] = FLIP_YZ
    m[:3, 3] = target - FLIP_YZ @ front_centre
    return RenderItem(model, "khronos-sunglasses", None, m)


def test_sunglasses_render_over_a_portrait(portrait, sunglasses, artifacts):
    camera = CameraIntrinsics.from_fov(640, 480)
    placed = on_the_eyes(sunglasses, camera)
    out = get_compositor().render(portrait, camera, [placed], [])
    cv2.imwrite(str(artifacts / "render_sample_sunglasses_640x480.png"), out)
    for mode in ("fxaa", "ssaa", "none"):
        image = Compositor(mode).render(portrait, camera, [placed], [])
        zoom = cv2.resize(image[80:190, 220:470], None, fx=3, fy=3, interpolation=cv2.INTER_NEAREST)
        cv2.imwrite(str(artifacts / f"render_sample_sunglasses_zoom_{mode}.png"), zoom)

    changed = np.abs(out.astype(int) - portrait.astype(int)).sum(axis=2) > 0
    rows, cols = np.nonzero(changed.any(axis=1))[0], np.nonzero(changed.any(axis=0))[0]
    width_px = cols.max() - cols.min()
    assert 150 < width_px < 260, f"sunglasses {width_px} px wide"
    assert abs((cols.min() + cols.max()) / 2 - EYES_PX[0]) < 20
    assert rows.min() < EYES_PX[1] < rows.max()
    # Tinted lenses over the eyes: darker than the skin, but not black (the face shows through).
    lens = out[int(EYES_PX[1]), int(EYES_PX[0]) - 50]
    skin = portrait[int(EYES_PX[1]), int(EYES_PX[0]) - 50]
    assert lens.mean() < skin.mean() and lens.mean() > 3
    # Nothing changed away from the glasses.
    assert np.array_equal(out[rows.max() + 3 :], portrait[rows.max() + 3 :])
