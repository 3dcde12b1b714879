"""Glasses and sunglasses: bridge on the nose bridge, lenses level with the pupils, front
parallel to the eye line, temples running back toward the ears, true to size."""

from __future__ import annotations

import numpy as np

from tryon.geometry.reference_face import LEFT_IRIS, NOSE_BRIDGE, RIGHT_IRIS, FACE_LEFT_SIDE, FACE_RIGHT_SIDE
from tryon.products.fit.face_frame import FaceFrame, placement, rotation_x
from tryon.products.model import FitProfile, ProductModel

VERTEX_DISTANCE_MM = 12.0  # back of the lens to the cornea: the optician's standard
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
    cornea_z = float(pupils[:, 2].mean()) - CORNEA_AHEAD_OF_IRIS_MM
    z = min(cornea_z - VERTEX_DISTANCE_MM, float(bridge[2]) - 1.0)
    position = np.array([bridge[0], float(pupils[:, 1].mean()), z]) + np.array(fit.offset_mm) * [1, -1, -1]
    return [placement(position, _TILT, glasses_scale(model, fit, face))]
