"""Hats: the opening sits on the crown of the head, tilted back a little, scaled to head width."""

from __future__ import annotations

import numpy as np

from tryon.geometry.reference_face import FACE_LEFT_SIDE, FACE_RIGHT_SIDE, FOREHEAD_TOP
from tryon.products.fit.face_frame import FaceFrame, placement, rotation_x
from tryon.products.model import FitProfile, ProductModel

# Head geometry relative to the face mesh, from adult anthropometry: the skull is ~12 mm wider
# than the cheeks at ear level; a hat band sits ~15 mm above the top mesh point (upper forehead)
# and the head's centre is ~90 mm behind it.
HEAD_WIDER_THAN_FACE_MM = 12.0
BAND_ABOVE_FOREHEAD_MM = 15.0
HEAD_CENTRE_BEHIND_FOREHEAD_MM = 90.0
BACK_TILT_DEG = 10.0


def opening_width(model: ProductModel) -> float:
    """Width of the crown just above the opening: the narrowest slice of the lower half, so a
    brim does not count as head size."""
    pts = np.concatenate([p.positions for p in model.primitives])
    y0, y1 = float(pts[:, 1].min()), float(pts[:, 1].max())
    widths = []
    for lo in np.linspace(y0, y0 + 0.5 * (y1 - y0), 10, endpoint=False):
        band = pts[(pts[:, 1] >= lo) & (pts[:, 1] < lo + 0.05 * (y1 - y0))]
        if len(band) >= 8:
            widths.append(float(np.ptp(band[:, 0])))
    return min(widths) if widths else float(np.ptp(pts[:, 0]))


def place_hat(model: ProductModel, fit: FitProfile, face: FaceFrame) -> list[np.ndarray]:
    lm = face.landmarks_head
    head_width = float(np.linalg.norm(lm[FACE_LEFT_SIDE] - lm[FACE_RIGHT_SIDE])) + HEAD_WIDER_THAN_FACE_MM
    top = lm[FOREHEAD_TOP]
    position = np.array([top[0], top[1] - BAND_ABOVE_FOREHEAD_MM, top[2] + HEAD_CENTRE_BEHIND_FOREHEAD_MM])
    position += np.array(fit.offset_mm) * [1, -1, -1]
    scale = head_width / opening_width(model)
    return [placement(position, rotation_x(BACK_TILT_DEG), scale)]
