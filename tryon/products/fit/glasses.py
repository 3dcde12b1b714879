"""Glasses and sunglasses: bridge resting on the nose (nose_contact.py), lenses level with the
pupils, front parallel to the eye line with a pantoscopic tilt, true to size; the temples are
fitted on their own (temples.py)."""

from __future__ import annotations

import numpy as np

from tryon.geometry.reference_face import LEFT_IRIS, NOSE_BRIDGE, RIGHT_IRIS, FACE_LEFT_SIDE, FACE_RIGHT_SIDE
from tryon.products.fit.face_frame import HEAD_FROM_PRODUCT_AXES, FaceFrame, placement, rotation_x
from tryon.products.fit.nose_contact import contact_points, depth_on_nose
from tryon.products.model import FitProfile, ProductModel

VERTEX_DISTANCE_MM = 12.0  # back of the lens to the cornea: the optician's standard
MIN_VERTEX_DISTANCE_MM = 8.0  # nearer, lashes brush the lenses
CORNEA_AHEAD_OF_IRIS_MM = 3.0
PANTOSCOPIC_TILT_DEG = 6.0  # frames lean with their bottom toward the cheeks (+x rotation in the head frame)
FIT_TO_FACE_RATIO = 1.0  # "fit to face": frame width = face width at the ears
_TILT = rotation_x(PANTOSCOPIC_TILT_DEG)


def glasses_scale(model: ProductModel, fit: FitProfile, face: FaceFrame) -> float:
    width = float(model.size_mm[0])
    if fit.fit_to_face:
        face_width = float(np.linalg.norm(face.landmarks_head[FACE_LEFT_SIDE] - face.landmarks_head[FACE_RIGHT_SIDE]))
        return FIT_TO_FACE_RATIO * face_width / width
    if fit.real_width_mm:
        return fit.real_width_mm / width
    return 1.0


def place_glasses(model: ProductModel, fit: FitProfile, face: FaceFrame) -> list[np.ndarray]:
    lm = face.landmarks_head
    pupils = lm[[RIGHT_IRIS[0], LEFT_IRIS[0]]]
    bridge = lm[NOSE_BRIDGE]
    scale = glasses_scale(model, fit, face)
    offset = np.array(fit.offset_mm) * [1, -1, -1]
    xy = np.array([bridge[0], float(pupils[:, 1].mean())]) + offset[:2]
    # Back onto the nose until bridge or pads touch it, but never closer to the eyes than the
    # lashes allow; without a nose under the front (an odd model), the optician's vertex distance.
    cornea_z = float(pupils[:, 2].mean()) - CORNEA_AHEAD_OF_IRIS_MM
    by_eyes = cornea_z - MIN_VERTEX_DISTANCE_MM
    points = contact_points(model)
    on_nose = None
    if len(points):
        turned = points @ (_TILT @ HEAD_FROM_PRODUCT_AXES).T * scale
        on_nose = depth_on_nose(lm, turned[:, :2] + xy, turned[:, 2])
    z = min(on_nose, by_eyes) if on_nose is not None else min(cornea_z - VERTEX_DISTANCE_MM, float(bridge[2]) - 1.0)
    position = np.array([xy[0], xy[1], z + offset[2]])
    return [placement(position, _TILT, scale)]
