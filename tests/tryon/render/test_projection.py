"""The clip-space projection reproduces CameraIntrinsics.project, and the screen footprint
bounds what a product can cover."""

from __future__ import annotations

import numpy as np

from tryon.geometry.camera import CameraIntrinsics
from tryon.render.projection import FAR_MM, NEAR_MM, patch_camera, projection_from_intrinsics, screen_footprint

CAMERA = CameraIntrinsics(fx=610.0, fy=590.0, cx=318.2, cy=247.9, width=640, height=480)


def _to_pixels(clip_from_camera: np.ndarray, points: np.ndarray, camera: CameraIntrinsics) -> np.ndarray:
    clip = np.c_[points, np.ones(len(points))] @ clip_from_camera.T
    ndc = clip[:, :3] / clip[:, 3:]
    return np.stack([(ndc[:, 0] + 1) / 2 * camera.width, (ndc[:, 1] + 1) / 2 * camera.height, ndc[:, 2]], axis=1)


def test_projected_points_land_where_camera_project_puts_them():
    rng = np.random.default_rng(0)
    points = np.c_[rng.uniform(-300, 300, (50, 2)), rng.uniform(60, 4000, 50)]
    pixels = _to_pixels(projection_from_intrinsics(CAMERA), points, CAMERA)
    assert np.allclose(pixels[:, :2], CAMERA.project(points), atol=1e-6)


def test_depth_spans_the_near_to_far_range_and_grows_with_distance():
    pixels = _to_pixels(projection_from_intrinsics(CAMERA), np.array([[0, 0, NEAR_MM], [0, 0, 500], [0, 0, FAR_MM]]), CAMERA)
    assert np.allclose(pixels[[0, 2], 2], [-1.0, 1.0])
    assert -1.0 < pixels[1, 2] < 1.0
    assert NEAR_MM <= 50 and FAR_MM >= 5000


def test_a_patch_camera_sees_the_same_pixels_shifted_to_the_patch():
    box = (100, 50, 300, 200)
    points = np.array([[10.0, -20.0, 400.0], [-50.0, 30.0, 800.0]])
    inside = patch_camera(CAMERA, box).project(points)
    assert np.allclose(inside + [box[0], box[1]], CAMERA.project(points))


def test_the_footprint_bounds_the_projected_points():
    points = np.array([[-40.0, -10.0, 500.0], [40.0, 15.0, 520.0]])
    x0, y0, x1, y1 = screen_footprint(CAMERA, points, pad_px=2)
    uv = CAMERA.project(points)
    assert x0 <= uv[:, 0].min() - 2 + 1 and x1 >= uv[:, 0].max() + 2 - 1
    assert y0 <= uv[:, 1].min() - 2 + 1 and y1 >= uv[:, 1].max() + 2 - 1


def test_the_footprint_of_nothing_visible_is_none_and_of_a_near_plane_crossing_is_everything():
    assert screen_footprint(CAMERA, np.array([[0.0, 0.0, -100.0]])) is None
    assert screen_footprint(CAMERA, np.array([[5000.0, 0.0, 500.0], [6000.0, 10.0, 500.0]])) is None
    assert screen_footprint(CAMERA, np.array([[0.0, 0.0, 5.0], [0.0, 0.0, 500.0]])) == (0, 0, 640, 480)
