"""Where the product-picture camera stands: pure geometry, no GL."""

from __future__ import annotations

import numpy as np
import pytest

from render_models import box
from tryon.products.model import Material
from tryon.render.view_framing import FILL, bounding_sphere, camera_from_model, view_camera


def sphere_outline_radius_px(camera, matrix, sphere) -> float:
    """Largest distance from the image centre of the sphere's projected outline (sampled densely)."""
    rng = np.random.default_rng(0)
    directions = rng.normal(size=(20000, 3))
    points = sphere.centre + sphere.radius * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    in_camera = points @ matrix[:3, :3].T + matrix[:3, 3]
    uv = camera.project(in_camera)
    return float(np.hypot(uv[:, 0] - camera.cx, uv[:, 1] - camera.cy).max())


def test_the_bounding_sphere_is_centred_on_the_bounds_and_holds_every_vertex():
    model = box(40.0, Material())
    shifted = type(model)(tuple(
        type(p)(p.name, p.positions + np.float32([5.0, 100.0, -3.0]), p.normals, p.uvs, p.indices, p.material)
        for p in model.primitives))
    sphere = bounding_sphere(shifted)
    assert np.allclose(sphere.centre, [5.0, 100.0, -3.0], atol=1e-4)
    assert sphere.radius == pytest.approx(20.0 * np.sqrt(3.0), rel=1e-5)


@pytest.mark.parametrize("size_mm", [6.0, 60.0, 2000.0])
@pytest.mark.parametrize("yaw, pitch", [(0.0, 0.0), (30.0, 10.0), (200.0, -45.0), (90.0, 89.0)])
def test_the_sphere_fills_eighty_percent_of_the_shorter_side_at_any_size_and_angle(size_mm, yaw, pitch):
    sphere = bounding_sphere(box(size_mm, Material()))
    camera = view_camera(640, 400)
    matrix = camera_from_model(sphere, yaw, pitch)
    centre = matrix[:3, :3] @ sphere.centre + matrix[:3, 3]
    assert camera.project(centre[None])[0] == pytest.approx([320.0, 200.0])
    assert sphere_outline_radius_px(camera, matrix, sphere) == pytest.approx(FILL * 400 / 2, rel=2e-3)


def test_yaw_turns_the_products_right_side_and_pitch_its_top_toward_the_camera():
    sphere = bounding_sphere(box(10.0, Material()))
    right, top = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    # Camera frame: z forward, so the side facing the camera has the most negative z.
    side_view = camera_from_model(sphere, 90.0, 0.0)[:3, :3]
    assert (side_view @ right)[2] == pytest.approx(-np.linalg.norm(side_view @ right))
    from_above = camera_from_model(sphere, 0.0, 30.0)[:3, :3]
    assert (from_above @ top)[2] < 0.0, "the top leans toward the camera"
    assert (from_above @ top)[1] < 0.0, "and still points up the image (-y)"
