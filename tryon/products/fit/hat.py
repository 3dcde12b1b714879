"""Hats: the opening sits on the crown of the head, tilted back a little, scaled to head width."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tryon.geometry.reference_face import FACE_LEFT_SIDE, FACE_RIGHT_SIDE, FOREHEAD_TOP
from tryon.products.fit.face_frame import FaceFrame, placement, rotation_x
from tryon.products.model import FitProfile, ProductModel

# Head geometry relative to the face mesh, from adult anthropometry: the skull is ~12 mm wider
# than the cheeks at ear level; a hat band crosses the forehead ~12 mm below the top mesh point
# (landmark 10, near the hairline), about 35 mm above the eyes, resting on ~5 mm of hair; the
# band runs back to the occiput, which is lower, so the opening tilts back ~10 degrees.
HEAD_WIDER_THAN_FACE_MM = 12.0
BAND_BELOW_FOREHEAD_TOP_MM = 12.0
HAIR_MM = 5.0
BACK_TILT_DEG = 10.0


@lru_cache(maxsize=32)  # models are immutable and hashed by identity; this runs once per model
def opening_size(model: ProductModel) -> tuple[float, float]:
    """Width and depth (mm) of the crown just above the opening: the narrowest slice of the
    lower half, so a brim does not count as head size."""
    pts = np.concatenate([p.positions for p in model.primitives])
    y0, y1 = float(pts[:, 1].min()), float(pts[:, 1].max())
    slices = []
    for lo in np.linspace(y0, y0 + 0.5 * (y1 - y0), 10, endpoint=False):
        band = pts[(pts[:, 1] >= lo) & (pts[:, 1] < lo + 0.05 * (y1 - y0))]
        if len(band) >= 8:
            slices.append((float(np.ptp(band[:, 0])), float(np.ptp(band[:, 2]))))
    return min(slices) if slices else (float(np.ptp(pts[:, 0])), float(np.ptp(pts[:, 2])))


def place_hat(model: ProductModel, fit: FitProfile, face: FaceFrame) -> list[np.ndarray]:
    lm = face.landmarks_head
    head_width = float(np.linalg.norm(lm[FACE_LEFT_SIDE] - lm[FACE_RIGHT_SIDE])) + HEAD_WIDER_THAN_FACE_MM
    width, depth = opening_size(model)
    scale = head_width / width
    tilt = rotation_x(-BACK_TILT_DEG)  # negative about x lifts the front (head frame: y down)
    top = lm[FOREHEAD_TOP]
    front = np.array([top[0], top[1] + BAND_BELOW_FOREHEAD_TOP_MM, top[2] + HAIR_MM])
    centre = front + tilt @ np.array([0.0, 0.0, 0.5 * depth * scale])
    centre += np.array(fit.offset_mm) * [1, -1, -1]
    return [placement(centre, tilt, scale)]
