"""Depth-only hand proxy: the hand's silhouette (finger capsules + palm, hand_shape.py) as a
mesh in the camera frame, at each joint's depth, so the product parts behind a hand disappear
through the existing occluder pass (no extra full-frame pass, no mask texture).

Every vertex is a silhouette pixel unprojected to its depth, so the mesh projects exactly onto
the silhouette whatever the depth; depth only decides what it hides.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache

import cv2
import numpy as np

from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.hand_shape import BONES, PALM, HandShape, bone_quads
from tryon.render.items import Occluder

DISC_SEGMENTS = 16  # a 20 px radius disc drawn with 16 sides is off a true circle by 0.4 px
JOINTS = 21
# Silhouettes kept for reuse: a still hand is drawn from the same two answers for several
# frames, each moved to a new depth as the face moves (hands_over_faces), the outline unchanged.
_OUTLINES_KEPT = 4
_outlines: OrderedDict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()
_outlines_lock = threading.Lock()  # sessions render on several frame threads


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


@lru_cache(maxsize=1)
def _vertex_joints() -> np.ndarray:
    """(N,) the joint whose depth each disc and quad vertex takes."""
    discs = np.repeat(np.arange(JOINTS), DISC_SEGMENTS + 1)
    quads = BONES[:, [0, 1, 1, 0]].reshape(-1)
    return np.concatenate([discs, quads])


def build_hand_occluder(shape: HandShape, camera: CameraIntrinsics) -> Occluder:
    """The hand's silhouette as one depth-only mesh in the camera frame (mm)."""
    pixels, joint_of_vertex, indices, _ = _outline(shape)
    vertices = camera.unproject(pixels, shape.depth_mm[joint_of_vertex]).astype(np.float32)
    return Occluder(vertices, indices)


def _outline(shape: HandShape) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(pixels (N,2), joint of each vertex (N,), triangles (M,3) uint32, the joints array it was
    made from), shared by shapes that differ only in depth (HandShape.in_front_of)."""
    key = id(shape.joints_px)
    with _outlines_lock:
        known = _outlines.get(key)
        if known is not None and known[3] is shape.joints_px:
            _outlines.move_to_end(key)
            return known
    joints, radii = shape.joints_px, shape.radii_px
    discs = np.empty((JOINTS, DISC_SEGMENTS + 1, 2))
    discs[:, 0] = joints
    discs[:, 1:] = joints[:, None, :] + radii[:, None, None] * _unit_ring()[None]
    hull = cv2.convexHull(joints[PALM].astype(np.float32), returnPoints=False).reshape(-1)
    palm_ids = PALM[hull]
    pixels = np.concatenate([discs.reshape(-1, 2), bone_quads(shape).reshape(-1, 2), joints[palm_ids]])
    joint_of_vertex = np.concatenate([_vertex_joints(), palm_ids])
    first_palm = len(pixels) - len(palm_ids)
    fan = np.stack([np.zeros(len(palm_ids) - 2, int), np.arange(1, len(palm_ids) - 1),
                    np.arange(2, len(palm_ids))], axis=1) + first_palm
    outline = (pixels, joint_of_vertex, np.concatenate([_fixed_triangles(), fan.astype(np.uint32)]), joints)
    with _outlines_lock:
        _outlines[key] = outline  # holds `joints`, so its id is not reused while cached
        while len(_outlines) > _OUTLINES_KEPT:
            _outlines.popitem(last=False)
    return outline
