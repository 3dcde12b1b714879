"""Face measurements in millimetres: pupillary distance and face width, with a confidence.

Each measured landmark's pixel is back-projected to the depth the metric head pose gives that
landmark, so the numbers come from the wearer's own face, not from the reference shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.head_pose import HeadPose, iris_diameter_px
from tryon.geometry.viewing_ray import seen_yaw_pitch_deg
from tryon.geometry.reference_face import (
    FACE_LEFT_SIDE,
    FACE_RIGHT_SIDE,
    LEFT_IRIS,
    RIGHT_IRIS,
    ReferenceFace,
)

# Below ~6 px the iris contour is a guess; at 14 px and more it is as good as it gets.
_IRIS_PX_LOW, _IRIS_PX_GOOD = 6.0, 14.0
_YAW_GOOD, _YAW_LOW = 15.0, 45.0
_MEASURED = [RIGHT_IRIS[0], LEFT_IRIS[0], FACE_RIGHT_SIDE, FACE_LEFT_SIDE]  # two spans: PD, face width


@dataclass(frozen=True)
class FaceMeasurements:
    """pd_mm: distance between the pupil centres (near PD when the shopper looks at the
    camera); face_width_mm: cheek edge to cheek edge at ear level (landmarks 234-454);
    distance_mm: camera to the nose bridge; confidence 0..1."""

    pd_mm: float
    face_width_mm: float
    distance_mm: float
    confidence: float


def _ramp(value: float, low: float, good: float) -> float:
    return float(np.clip((value - low) / (good - low), 0.0, 1.0))


def measure_face(
    landmarks_px: np.ndarray, pose: HeadPose, camera: CameraIntrinsics, reference: ReferenceFace,
    landmarks_camera: np.ndarray | None = None,
) -> FaceMeasurements:
    """landmarks_camera: the (478,3) back-projection already made for fitting (FaceFrame), if
    the caller has it; otherwise the four points needed are back-projected here."""
    if landmarks_camera is not None:
        points = landmarks_camera[_MEASURED]
    else:
        depths = pose.to_camera(reference.landmarks[_MEASURED])[:, 2]
        points = camera.unproject(landmarks_px[_MEASURED, :2], depths)
    pd, width = np.hypot.reduce(points[[1, 3]] - points[[0, 2]], axis=1).tolist()
    # as the face is seen (relative to its viewing ray): a face near the picture's edge that
    # looks into the lens is measured like a centred one
    yaw, pitch = seen_yaw_pitch_deg(pose.rotation, pose.to_camera(reference.iris_centres_mean[None])[0])
    diameter, disagreement = iris_diameter_px(landmarks_px, yaw, pitch)
    confidence = (
        _ramp(diameter, _IRIS_PX_LOW, _IRIS_PX_GOOD)
        * (1.0 - _ramp(abs(yaw), _YAW_GOOD, _YAW_LOW))
        * (1.0 - _ramp(disagreement, 0.1, 0.35))
        * (1.0 if pose.scale_from_iris else 0.3)
    )
    return FaceMeasurements(
        pd_mm=round(pd, 1),
        face_width_mm=round(width, 1),
        distance_mm=round(float(np.linalg.norm(pose.translation)), 1),
        confidence=round(confidence, 2),
    )
