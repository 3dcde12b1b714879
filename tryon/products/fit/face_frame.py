"""The wearer's face in the metric head frame: what every fitting rule reads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.head_pose import HeadPose
from tryon.geometry.reference_face import ReferenceFace

# Product frame (+Y up, +Z toward the viewer) -> head frame (y down, z into the head).
HEAD_FROM_PRODUCT_AXES = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True, eq=False)
class FaceFrame:
    """landmarks_head: (478,3) mm, the wearer's own landmarks in the head frame (each pixel
    back-projected to the depth the pose gives it, then taken into the head frame, unscaled:
    real millimetres). landmarks_camera: the same points in the camera frame."""

    pose: HeadPose
    landmarks_camera: np.ndarray
    landmarks_head: np.ndarray

    @classmethod
    def build(cls, landmarks_px: np.ndarray, pose: HeadPose, camera: CameraIntrinsics,
              reference: ReferenceFace) -> "FaceFrame":
        depths = pose.scale * (reference.landmarks @ pose.rotation[2]) + pose.translation[2]
        cam = camera.unproject(landmarks_px[:, :2], depths)
        head = (cam - pose.translation) @ pose.rotation
        return cls(pose, cam, head)

    def camera_from_head(self) -> np.ndarray:
        """(4,4) rigid transform, metric head frame -> camera frame."""
        m = np.eye(4)
        m[:3, :3] = self.pose.rotation
        m[:3, 3] = self.pose.translation
        return m


def placement(position_head: np.ndarray, rotation_head: np.ndarray, scale: float | np.ndarray) -> np.ndarray:
    """(4,4) head_from_product: product axes turned into the head frame, then `rotation_head`
    (in head axes), scaled, moved to `position_head` (mm)."""
    m = np.eye(4)
    m[:3, :3] = (rotation_head @ HEAD_FROM_PRODUCT_AXES) * scale  # scales the product's own axes (columns)
    m[:3, 3] = position_head
    return m


def rotation_x(deg: float) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
