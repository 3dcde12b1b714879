"""The compositor's hooks for product pictures: a given light instead of the frame's, and
products drawn over nothing with their coverage as alpha, in every anti-aliasing mode."""

from __future__ import annotations

import numpy as np
import pytest

from render_models import item, quad
from tryon.geometry.camera import CameraIntrinsics
from tryon.products.model import Material
from tryon.render.compositor import Compositor
from tryon.render.studio_light import studio_light

CAMERA = CameraIntrinsics.from_fov(320, 240)
GREY = Material("grey", base_color=(0.5, 0.5, 0.5, 1.0), roughness=0.8)
HALF = Material("half", base_color=(0.5, 0.5, 0.5, 0.5), roughness=0.8, alpha_mode="BLEND")


@pytest.fixture(scope="module", params=["fxaa", "ssaa", "none"])
def compositor(request) -> Compositor:
    return Compositor(request.param)


def test_a_given_light_lights_products_the_same_over_any_frame(compositor):
    placed = [item(quad(60.0, 40.0, GREY), "grey quad", (0.0, 0.0, 300.0))]
    centre = (slice(110, 130), slice(150, 170))
    dark, bright = np.full((240, 320, 3), 10, np.uint8), np.full((240, 320, 3), 240, np.uint8)
    estimated = [compositor.render(f, CAMERA, placed, [])[centre] for f in (dark, bright)]
    given = [compositor.render(f, CAMERA, placed, [], light=studio_light())[centre] for f in (dark, bright)]
    assert not np.array_equal(*estimated), "the live path follows the frame's light"
    assert np.array_equal(*given)


def test_products_over_nothing_carry_their_coverage_as_alpha(compositor):
    placed = [item(quad(60.0, 40.0, GREY), "grey quad", (-40.0, 0.0, 300.0)),
              item(quad(60.0, 40.0, HALF), "half quad", (40.0, 0.0, 300.0))]
    out = compositor.render_coverage(CAMERA, placed, studio_light())
    assert out.shape == (240, 320, 4) and out.dtype == np.uint8
    opaque, half = CAMERA.project(np.array([[-40.0, 0.0, 300.0], [40.0, 0.0, 300.0]])).astype(int)
    assert out[opaque[1], opaque[0], 3] == 255
    assert abs(int(out[half[1], half[0], 3]) - 128) <= 1
    assert (out[:20, :, 3] == 0).all() and (out[:20, :, :3] == 0).all(), "nothing drawn, nothing covered"
    over_black = compositor.render(np.zeros((240, 320, 3), np.uint8), CAMERA, placed, [], light=studio_light())
    assert np.array_equal(out[..., :3], over_black), "colour is the picture over black (premultiplied)"
