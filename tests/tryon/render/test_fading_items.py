"""Products drawn at an opacity below 1 (fading in or out): one layer over the frame, mixed in
linear light, inner surfaces never showing, and nothing else touched."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from render_models import UNLIT_WHITE, box, item, quad, quad_primitive, yaw
from tryon.geometry.camera import CameraIntrinsics
from tryon.products.model import Material, ProductModel
from tryon.render.compositor import Compositor
from tryon.render.lighting import SRGB_TO_LINEAR

CAMERA = CameraIntrinsics.from_fov(640, 480)


def uniform(value: int | tuple[int, int, int] = 60) -> np.ndarray:
    return np.full((480, 640, 3), value, np.uint8)


def linear(image: np.ndarray) -> np.ndarray:
    return SRGB_TO_LINEAR[image]


def faded(render_item, opacity: float):
    return dataclasses.replace(render_item, opacity=opacity)


@pytest.fixture(scope="module", params=["fxaa", "ssaa", "none"])
def compositor(request) -> Compositor:
    return Compositor(request.param)


@pytest.fixture(scope="module")
def plain() -> Compositor:
    return Compositor("none")


@pytest.mark.parametrize("opacity", [0.25, 0.5, 0.8])
def test_a_fading_product_mixes_with_the_frame_in_linear_light(plain, opacity):
    frame = uniform(60)
    white = item(quad(60.0, 40.0, UNLIT_WHITE), "white card", (0.0, 0.0, 500.0))
    full = plain.render(frame, CAMERA, [white], [])[240, 320]
    part = plain.render(frame, CAMERA, [faded(white, opacity)], [])[240, 320]
    expected = opacity * linear(full) + (1 - opacity) * linear(frame[240, 320])
    assert np.abs(linear(part) - expected).max() < 0.01


def test_only_the_nearest_surface_of_a_fading_product_shows(plain):
    """Two opaque sheets, red before blue (unlit, below white so nothing clips): fading, the
    blue one must not show through the red."""
    red = quad_primitive(60.0, 60.0, Material(base_color=(0.0, 0.0, 0.0, 1.0), roughness=1.0, emissive=(0.6, 0.0, 0.0)), z=10.0,
                         name="near red")
    blue = quad_primitive(60.0, 60.0, Material(base_color=(0.0, 0.0, 0.0, 1.0), roughness=1.0, emissive=(0.0, 0.0, 0.6)), z=-10.0,
                          name="far blue")
    sheets = item(ProductModel((blue, red)), "two sheets", (0.0, 0.0, 500.0))
    frame = uniform(60)
    full = plain.render(frame, CAMERA, [sheets], [])[240, 320]
    half = plain.render(frame, CAMERA, [faded(sheets, 0.5)], [])[240, 320]
    expected = 0.5 * linear(full) + 0.5 * linear(frame[240, 320])
    assert np.abs(linear(half) - expected).max() < 0.01  # blue (channel 0) included: no extra blue


def test_a_fading_box_is_its_full_opacity_picture_mixed_with_the_frame(compositor):
    # A smooth picture, like skin: FXAA smooths what shows through a fading product as it does
    # through a lens, which on noise would be most of the difference.
    ramp = np.linspace(40, 220, 640)[None, :, None] * np.array([0.6, 0.8, 1.0])
    frame = np.broadcast_to(ramp, (480, 640, 3)).astype(np.uint8)
    red_box = item(box(50.0, Material(base_color=(0.9, 0.2, 0.2, 1.0))), "red box", (10.0, 0.0, 450.0), rotation=yaw(35))
    full = compositor.render(frame, CAMERA, [red_box], [])
    half = compositor.render(frame, CAMERA, [faded(red_box, 0.5)], [])
    inside = np.abs(full.astype(int) - frame).sum(axis=2) > 30
    inside[:, :2] = inside[:, -2:] = False
    expected = 0.5 * linear(full) + 0.5 * linear(frame)
    error = np.abs(linear(half) - expected)[inside]
    assert np.percentile(error, 99) < 0.02  # edges may differ where anti-aliasing mixed pixels
    far = np.ones(frame.shape[:2], bool)
    far[100:380, 160:480] = False
    assert np.array_equal(half[far], frame[far])  # the rest of the frame comes back bit-exact


def test_a_fading_tinted_lens_dims_the_eyes_proportionally_less(plain):
    lens = item(quad(60.0, 40.0, Material(base_color=(0.1, 0.1, 0.1, 0.8), roughness=1.0, alpha_mode="BLEND")),
                "dark lens", (0.0, 0.0, 500.0))
    frame = uniform(200)
    full = linear(plain.render(frame, CAMERA, [lens], [])[240, 320])
    half = linear(plain.render(frame, CAMERA, [faded(lens, 0.5)], [])[240, 320])
    expected = 0.5 * full + 0.5 * linear(frame[240, 320])
    assert np.abs(half - expected).max() < 0.01


def test_fading_glass_lets_through_the_mix_of_its_tint_and_clear_light(plain):
    glass = Material("grey glass", base_color=(0.3, 0.3, 0.3, 1.0), roughness=1.0, transmission=1.0)
    lens = item(quad(60.0, 40.0, glass), "glass", (0.0, 0.0, 500.0))
    frame = uniform(180)
    full = linear(plain.render(frame, CAMERA, [lens], [])[240, 320])
    half = linear(plain.render(frame, CAMERA, [faded(lens, 0.5)], [])[240, 320])
    expected = 0.5 * full + 0.5 * linear(frame[240, 320])
    assert np.abs(half - expected).max() < 0.01


def test_a_fading_product_leaves_a_full_one_beside_it_as_it_was(plain):
    frame = uniform(60)
    left = item(box(40.0, Material(base_color=(0.2, 0.8, 0.2, 1.0))), "green box", (-60.0, 0.0, 500.0), rotation=yaw(20))
    right = item(box(40.0, Material(base_color=(0.9, 0.2, 0.2, 1.0))), "red box", (60.0, 0.0, 500.0), rotation=yaw(20))
    alone = plain.render(frame, CAMERA, [left], [])
    both = plain.render(frame, CAMERA, [left, faded(right, 0.4)], [])
    assert np.array_equal(both[:, :300], alone[:, :300])
    # ... and the next frame, with everything opaque again, draws exactly as before any fade.
    again = plain.render(frame, CAMERA, [left], [])
    assert np.array_equal(again, alone)
