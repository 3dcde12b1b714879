"""Depth-only hand proxy: the hand's silhouette (finger capsules + palm, hand_shape.py) as a
mesh in the camera frame, at each joint's depth, so the product parts behind a hand disappear
through the existing occluder pass (no extra full-frame pass, no mask texture).

Every vertex is a silhouette pixel unprojected to its depth, so the mesh projects exactly onto
the silhouette whatever the depth; depth only decides what it hides.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.hand_shape import BONES, HandShape, bone_quads
from tryon.render.items import Occluder

DISC_SEGMENTS = 16  # a 20 px radius disc drawn with 16 sides is off a true circle by 0.4 px
JOINTS = 21


@lru_cache(maxsize=1)
def _fixed_triangles() -> np.ndarray:
    """(M,3) uint32 triangles of the joint discs (centre, then rim, per joint) and bone quads."""
    per_disc = DISC_SEGMENTS + 1
    rim = np.arange(DISC_SEGMENTS)
    disc = np.stack([np.zeros(DISC_SEGMENTS, int), 1 + rim, 1 + (rim + 1) % DISC_SEGMENTS], axis=1)
    discs = (disc[None] + per_disc * np.arange(JOINTS)[:, None, None]).reshape(-1, 3)
    first_quad = JOINTS * per_disc
    quad = np.array([(0, 1, 2), (0, 2, 3)])
    quads = (quad[None] + first_quad + 4 * np.arange(len(BONES))[:, None, None]).reshape(-1, 3)
    return np.concatenate([discs, quads]).astype(np.uint32)


@lru_cache(maxsize=1)
def _unit_ring() -> np.ndarray:
    angles = np.linspace(0.0, 2.0 * np.pi, DISC_SEGMENTS, endpoint=False)
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def build_hand_occluder(shape: HandShape, camera: CameraIntrinsics) -> Occluder:
    """The hand's silhouette as one depth-only mesh in the camera frame (mm)."""
    joints, radii, depth = shape.joints_px, shape.radii_px, shape.depth_mm
    per_disc = DISC_SEGMENTS + 1
    discs = np.empty((JOINTS, per_disc, 2))
    discs[:, 0] = joints
    discs[:, 1:] = joints[:, None, :] + radii[:, None, None] * _unit_ring()[None]
    disc_depth = np.repeat(depth, per_disc)
    quads = bone_quads(shape).reshape(-1, 2)
    quad_depth = depth[BONES[:, [0, 1, 1, 0]]].reshape(-1)
    hull = cv2.convexHull(joints[[0, 1, 2, 5, 9, 13, 17]].astype(np.float32), returnPoints=False).reshape(-1)
    palm_ids = np.array([0, 1, 2, 5, 9, 13, 17])[hull]
    pixels = np.concatenate([discs.reshape(-1, 2), quads, joints[palm_ids]])
    depths = np.concatenate([disc_depth, quad_depth, depth[palm_ids]])
    first_palm = len(pixels) - len(palm_ids)
    fan = np.stack([np.zeros(len(palm_ids) - 2, int), np.arange(1, len(palm_ids) - 1),
                    np.arange(2, len(palm_ids))], axis=1) + first_palm
    indices = np.concatenate([_fixed_triangles(), fan.astype(np.uint32)])
    vertices = camera.unproject(pixels, depths).astype(np.float32)
    return Occluder(vertices, indices)
