"""Earrings: one at each ear lobe, hanging down; each hidden when the head turns its ear away.

The face mesh has no ear points, so each lobe is placed from the face edge at ear level
(landmarks 234/454): 20 mm lower and 12 mm further back, 3 mm outward (adult anthropometry).
"""

from __future__ import annotations

import numpy as np

from tryon.geometry.reference_face import FACE_LEFT_SIDE, FACE_RIGHT_SIDE
from tryon.products.fit.face_frame import FaceFrame, placement
from tryon.products.model import FitProfile, ProductModel

LOBE_BELOW_EDGE_MM = 20.0
LOBE_BEHIND_EDGE_MM = 12.0
LOBE_OUTSIDE_EDGE_MM = 3.0
# An ear counts as turned away once its outward side faces more than HIDE_DEG past the line of
# sight; it comes back below SHOW_DEG. The gap (hysteresis) stops flicker near the threshold.
HIDE_DEG, SHOW_DEG = 20.0, 14.0
SIDES = ("right", "left")  # the subject's right and left ears


def lobe_positions(face: FaceFrame) -> dict[str, np.ndarray]:
    lm = face.landmarks_head
    out = {}
    for side, idx, outward in (("right", FACE_RIGHT_SIDE, -1.0), ("left", FACE_LEFT_SIDE, 1.0)):
        edge = lm[idx]
        out[side] = edge + np.array([outward * LOBE_OUTSIDE_EDGE_MM, LOBE_BELOW_EDGE_MM, LOBE_BEHIND_EDGE_MM])
    return out


def turned_away_deg(face: FaceFrame, side: str, lobe_head: np.ndarray) -> float:
    """Angle (degrees) by which the ear's outward side faces away from the camera: about +7
    for a frontal face, growing as the head turns that ear away."""
    outward = face.pose.rotation @ np.array([-1.0 if side == "right" else 1.0, 0.0, 0.0])
    lobe_cam = face.pose.rotation @ lobe_head + face.pose.translation
    to_camera = -lobe_cam / np.linalg.norm(lobe_cam)
    return float(np.degrees(np.arcsin(np.clip(-outward @ to_camera, -1.0, 1.0))))


def ear_visible(angle_deg: float, was_visible: bool | None) -> bool:
    threshold = SHOW_DEG if was_visible is False else HIDE_DEG
    return angle_deg < threshold


def place_earrings(
    model: ProductModel, fit: FitProfile, face: FaceFrame, visible_before: dict[str, bool] | None = None
) -> tuple[list[np.ndarray], dict[str, bool]]:
    """Placements for the visible ears (the subject's right one mirrored) and the new
    visibility state to pass in with the next frame."""
    visible_before = visible_before or {}
    scale = (fit.real_width_mm / float(model.size_mm[0])) if fit.real_width_mm else 1.0
    placements, state = [], {}
    for side, lobe in lobe_positions(face).items():
        lobe = lobe + np.array(fit.offset_mm) * [1, -1, -1]
        state[side] = ear_visible(turned_away_deg(face, side, lobe), visible_before.get(side))
        if state[side]:
            mirror = np.array([-scale if side == "right" else scale, scale, scale])
            placements.append(placement(lobe, np.eye(3), mirror))
    return placements, state
