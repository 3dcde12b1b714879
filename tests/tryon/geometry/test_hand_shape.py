"""A hand's silhouette and depth from its landmarks, and which hands may hide a face's product."""

from __future__ import annotations

import numpy as np

from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.hand_occluder import build_hand_occluder
from tryon.geometry.hand_shape import hand_shape, hand_translation_mm
from tryon.geometry.hands_over_faces import IN_FRONT_OF_BRIDGE_MM, FaceRegion, hands_over_faces
from tryon.tracking.hands import TrackedHand

CAMERA = CameraIntrinsics.from_fov(640, 480)


def open_hand_m() -> np.ndarray:
    """(21,3) metres: a flat open hand facing the camera, knuckles 19 mm apart (a model hand)."""
    joints = np.zeros((21, 3))
    joints[0] = (0.0, 0.04, 0.0)
    for finger in range(5):
        base = 1 + 4 * finger
        x = -0.045 + 0.019 * finger if finger else -0.05
        for k in range(4):
            joints[base + k] = (x - (0.012 * k if finger == 0 else 0.0), 0.0 - 0.025 * k, 0.002 * k)
    joints[1:5, 1] += 0.03  # the thumb starts lower on the palm
    return joints


def seen_at(world_m: np.ndarray, translation_mm: np.ndarray) -> TrackedHand:
    camera_mm = world_m * 1000.0 + translation_mm
    pixels = CAMERA.project(camera_mm)
    return TrackedHand(np.column_stack([pixels, np.zeros(21)]), world_m)


def test_the_hands_distance_comes_back_from_its_pixels():
    world = open_hand_m()
    for truth in (np.array([-40.0, 10.0, 350.0]), np.array([80.0, -30.0, 600.0])):
        hand = seen_at(world, truth)
        assert np.allclose(hand_translation_mm(hand.landmarks_px[:, :2], world * 1000.0, CAMERA), truth, atol=0.5)


def test_fingers_are_as_wide_as_the_knuckle_spacing_at_any_distance():
    world = open_hand_m()
    near = hand_shape(seen_at(world, np.array([0.0, 0.0, 300.0])), CAMERA)
    far = hand_shape(seen_at(world, np.array([0.0, 0.0, 600.0])), CAMERA)
    knuckle_gap_px = np.linalg.norm(near.joints_px[9] - near.joints_px[5])
    assert abs(2 * near.radii_px[9] - knuckle_gap_px) < 0.1 * knuckle_gap_px
    assert np.allclose(near.radii_px[9], 2 * far.radii_px[9], rtol=0.02)


def test_the_occluder_projects_onto_the_silhouette_at_the_hands_depth():
    shape = hand_shape(seen_at(open_hand_m(), np.array([0.0, 0.0, 400.0])), CAMERA)
    occluder = build_hand_occluder(shape, CAMERA)
    pixels = CAMERA.project(occluder.vertices.astype(np.float64))
    x0, y0, x1, y1 = shape.box_px()
    assert (pixels[:, 0] >= x0 - 0.01).all() and (pixels[:, 0] <= x1 + 0.01).all()
    assert (pixels[:, 1] >= y0 - 0.01).all() and (pixels[:, 1] <= y1 + 0.01).all()
    assert 380 < occluder.vertices[:, 2].min() and occluder.vertices[:, 2].max() < 420
    assert int(occluder.indices.max()) < len(occluder.vertices)


def test_a_hand_over_a_face_is_put_in_front_of_it_and_one_beside_keeps_its_depth():
    world = open_hand_m()
    face = FaceRegion((260.0, 150.0, 380.0, 330.0), 500.0)
    # Estimated 30 mm behind the face's bridge (a small hand reads too far), seen over the face.
    over = seen_at(world, np.array([0.0, 0.0, 530.0]))
    # Level with the face, beside its box but within its product region (by a temple).
    beside = seen_at(world, np.array([-110.0, -30.0, 500.0]))
    far_away = seen_at(world, np.array([-400.0, 150.0, 500.0]))
    shapes = hands_over_faces([over, beside, far_away], [face], CAMERA)
    assert len(shapes) == 2  # the hand far from the face cannot hide its product
    assert shapes[0].depth_mm.max() <= 500.0 - IN_FRONT_OF_BRIDGE_MM
    assert np.allclose(shapes[1].depth_mm, hand_shape(beside, CAMERA).depth_mm)
