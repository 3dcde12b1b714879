"""Coarser copies of heavy primitives: they stay on the surface, keep normals, UVs and seams, and
are drawn only where the difference stays under half a pixel."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
import trimesh

from render_models import FLIP_YZ, item, quad_primitive
from tryon.geometry.camera import CameraIntrinsics
from tryon.products.load import load_model
from tryon.products.model import Material, Primitive, ProductModel
from tryon.render.compositor import Compositor
from tryon.render.items import RenderItem
from tryon.render.level_of_detail import (
    MAX_DEVIATION_PX,
    compare_surfaces,
    detail_levels,
    model_detail_levels,
)

CAMERA = CameraIntrinsics.from_fov(640, 480)
GREY = Material("grey", base_color=(0.6, 0.6, 0.6, 1.0), roughness=0.5)


def sphere(radius: float = 20.0, subdivisions: int = 4) -> Primitive:
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    positions = np.asarray(mesh.vertices, np.float32)
    normals = positions / np.linalg.norm(positions, axis=1, keepdims=True)
    return Primitive("sphere", positions, normals, None, np.asarray(mesh.faces, np.uint32), GREY)


def grid(x0: float, x1: float, size: float, steps: int, uv_of_xy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A flat z = 0 grid over [x0, x1] x [0, size]: positions, uvs, triangles."""
    xs, ys = np.meshgrid(np.linspace(x0, x1, steps + 1), np.linspace(0.0, size, steps + 1))
    positions = np.stack([xs.ravel(), ys.ravel(), np.zeros(xs.size)], axis=1).astype(np.float32)
    index = np.arange(xs.size).reshape(xs.shape)
    a, b, c, d = index[:-1, :-1].ravel(), index[:-1, 1:].ravel(), index[1:, 1:].ravel(), index[1:, :-1].ravel()
    triangles = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)]).astype(np.uint32)
    return positions, uv_of_xy(positions).astype(np.float32), triangles


def left_uv(p: np.ndarray) -> np.ndarray:
    return np.stack([0.2 + p[:, 0] / 100.0, p[:, 1] / 50.0], axis=1)


def right_uv(p: np.ndarray) -> np.ndarray:
    return np.stack([0.7 + p[:, 0] / 80.0, 1.0 - p[:, 1] / 50.0], axis=1)


def seamed_sheet() -> Primitive:
    """Two flat grids meeting at x = 0 with their own texture mapping: a UV seam, the vertices
    along it split as glTF files have them."""
    left = grid(-20.0, 0.0, 20.0, 24, left_uv)
    right = grid(0.0, 20.0, 20.0, 24, right_uv)
    positions = np.concatenate([left[0], right[0]])
    uvs = np.concatenate([left[1], right[1]])
    triangles = np.concatenate([left[2], right[2] + len(left[0])])
    normals = np.tile(np.array([0.0, 0.0, 1.0], np.float32), (len(positions), 1))
    return Primitive("sheet", positions, normals, uvs, triangles, GREY)


def test_a_dense_sphere_gets_coarser_copies_that_stay_on_its_surface():
    levels = detail_levels(sphere())
    assert len(levels) >= 2
    assert levels[0].deviation_mm == 0.0
    counts = [level.triangle_count for level in levels]
    assert counts == sorted(counts, reverse=True) and counts[-1] <= counts[0] // 2
    for level in levels[1:]:
        positions = level.primitive.positions.astype(np.float64)
        radius_error = np.abs(np.linalg.norm(positions, axis=1) - 20.0)
        assert radius_error.max() <= level.deviation_mm + 1e-4
        assert level.deviation_mm < 0.5
        normals = level.primitive.normals.astype(np.float64)
        assert np.allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-5)
        radial = positions / np.linalg.norm(positions, axis=1, keepdims=True)
        assert np.degrees(np.arccos(np.clip((normals * radial).sum(axis=1), -1, 1))).max() < 5.0


def test_light_primitives_are_drawn_as_they_are():
    levels = detail_levels(quad_primitive(40.0, 40.0, GREY))
    assert len(levels) == 1


def test_texture_coordinates_and_seams_stay_where_they_were():
    sheet = seamed_sheet()
    levels = detail_levels(sheet)
    assert len(levels) >= 2
    coarse = levels[-1].primitive
    assert len(coarse.indices) <= len(sheet.indices) // 4
    positions, uvs = coarse.positions.astype(np.float64), coarse.uvs.astype(np.float64)
    # Each triangle keeps the mapping of its own side of the seam, at every corner.
    for triangle in coarse.indices:
        side = left_uv if positions[triangle, 0].mean() < 0 else right_uv
        assert np.allclose(uvs[triangle], side(positions[triangle]), atol=1e-5)
    # No crack: the seam line is covered by vertices from both sides, at the same places.
    on_seam = np.abs(positions[:, 0]) < 1e-6
    ys = np.sort(positions[on_seam, 1])
    assert np.allclose(ys[0::2], ys[1::2]) and len(ys) >= 2 * 25


def test_a_copy_that_lights_differently_is_told_apart():
    original = sphere(subdivisions=3)
    turn = np.radians(30.0)
    rotation = np.array([[np.cos(turn), 0, np.sin(turn)], [0, 1, 0], [-np.sin(turn), 0, np.cos(turn)]])
    relit = replace(original, normals=(original.normals @ rotation.T).astype(np.float32))
    deviation, normal_turn = compare_surfaces(original, relit)
    assert deviation < 1e-6
    assert normal_turn == pytest.approx(30.0, abs=0.5)


def test_a_heavy_model_far_away_draws_a_coarse_copy_that_looks_the_same():
    model = ProductModel((sphere(),))
    frame = np.full((480, 640, 3), 90, np.uint8)
    far = item(model, "lod sphere", (0.0, 0.0, 900.0))
    with_levels, full = Compositor(), Compositor(level_of_detail=False)
    coarse = with_levels.render(frame, CAMERA, [far], [])
    exact = full.render(frame, CAMERA, [far], [])
    # At 900 mm a pixel spans ~1.6 mm here: the coarsest copy is within half of that.
    levels = model_detail_levels(model)[0]
    allowed = MAX_DEVIATION_PX * 900.0 / CAMERA.fx
    assert levels[-1].deviation_mm <= allowed
    gpu = with_levels.models.get("lod sphere", model).primitives[0]
    assert gpu.mesh_for(allowed) is gpu.levels[-1]
    assert gpu.mesh_for(0.0) is gpu.levels[0]
    difference = np.abs(coarse.astype(int) - exact.astype(int)).max(axis=2)
    assert (difference > 8).sum() <= 12 and difference.max() <= 40


def test_the_khronos_sunglasses_at_webcam_size_look_the_same_with_fewer_triangles(shared_data, artifacts):
    sunglasses = load_model(shared_data / "models3d/sunglasses_khronos/SunglassesKhronos.glb", category="other")
    levels = {primitive.name: lv for primitive, lv in zip(sunglasses.primitives, model_detail_levels(sunglasses))}
    # The lenses, nose pads and ear hooks get copies; the thin metal frame and its hinges would
    # light differently and never do.
    assert len(levels["LensesExterior"]) >= 2 and len(levels["EarhookLeft"]) >= 2
    assert len(levels["Frames"]) == 1
    image = cv2.imread(str(shared_data / "faces/obama_official_portrait_frontal.jpg"))
    height, width = image.shape[:2]
    top = int(0.02 * height)
    portrait = cv2.resize(image[top : top + int(width * 3 / 4)], (640, 480), interpolation=cv2.INTER_AREA)
    # On the eyes (about (345, 128) px in this crop), 440 mm away, as in test_sample_render.
    lo, hi = sunglasses.bounds.astype(np.float64)
    m = np.eye(4)
    m[:3, :3] = FLIP_YZ
    eyes = CAMERA.unproject(np.array([[345.0, 128.0]]), np.array([440.0]))[0]
    m[:3, 3] = eyes - FLIP_YZ @ np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, hi[2]])
    placed = RenderItem(sunglasses, "khronos lod", None, m)
    coarse = Compositor().render(portrait, CAMERA, [placed], [])
    exact = Compositor(level_of_detail=False).render(portrait, CAMERA, [placed], [])
    cv2.imwrite(str(artifacts / "render_level_of_detail_640x480.png"), np.hstack([exact, coarse]))
    difference = np.abs(coarse.astype(int) - exact.astype(int)).max(axis=2)
    drawn = (np.abs(exact.astype(int) - portrait.astype(int)).max(axis=2) > 0).sum()
    assert (difference > 8).sum() <= 0.01 * drawn
