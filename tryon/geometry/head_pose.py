"""6-DoF metric head pose from face-mesh landmarks.

Two steps, each a small function:
1. `fit_reference_pose`: PnP (SQPnP, then Levenberg-Marquardt) of the reference face's rigid
   landmarks against their pixels: rotation and a translation that assume a reference-sized head.
2. `iris_diameter_rad`: the visible iris (11.7 mm across in adults), read as an angle between
   camera rays and corrected for foreshortening as the face is seen along its viewing ray,
   gives the true distance, so the whole head is rescaled about the camera centre (which leaves
   every projection unchanged) to the wearer's real size. The scale factor is the wearer's head
   size relative to the reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.reference_face import LEFT_IRIS, POSE_LANDMARKS, RIGHT_IRIS, ReferenceFace
from tryon.geometry.viewing_ray import seen_yaw_pitch_deg

IRIS_DIAMETER_MM = 11.7  # mean adult visible iris diameter (MediaPipe Iris; Rüfer et al. 2005)
# Adult heads span roughly 0.8-1.2 of the reference; outside that the iris reading is noise.
MIN_HEAD_SCALE, MAX_HEAD_SCALE = 0.75, 1.3
_POSE_INDEX = np.array(POSE_LANDMARKS)
# Iris contour points in pairs, per eye (centre, right, top, left, bottom): horizontal span
# (right-left), then vertical (top-bottom); the subject's right eye first.
_IRIS_SPANS = np.array([[eye[1], eye[3], eye[2], eye[4]] for eye in (RIGHT_IRIS, LEFT_IRIS)]).ravel()


@dataclass(frozen=True, eq=False)
class HeadPose:
    """camera_from_head = [R | t] with the head frame of tryon.geometry.reference_face scaled by
    `scale` (the wearer's size relative to the reference face). rotation (3,3), translation (3,)
    in mm: where the head origin (nose bridge, landmark 168) sits in the camera frame."""

    rotation: np.ndarray
    translation: np.ndarray
    scale: float
    scale_from_iris: bool  # False when the iris was unusable and the reference size was kept

    def with_scale(self, scale: float) -> "HeadPose":
        """The same rotation and projection with another head size (and so another depth)."""
        return HeadPose(self.rotation, self.translation * (scale / self.scale), scale, self.scale_from_iris)

    def matrix(self) -> np.ndarray:
        """(4,4) camera_from_head including the head scale."""
        m = np.eye(4)
        m[:3, :3] = self.rotation * self.scale
        m[:3, 3] = self.translation
        return m

    def to_camera(self, head_points: np.ndarray) -> np.ndarray:
        """(N,3) reference-head points (mm) -> camera frame (mm), with the wearer's scale."""
        return (head_points * self.scale) @ self.rotation.T + self.translation

    @property
    def euler_deg(self) -> tuple[float, float, float]:
        """(yaw, pitch, roll) in degrees, R = Ry(yaw) Rx(pitch) Rz(roll) in camera axes (x right,
        y down, z forward). Positive yaw: the face turns toward the image's left (the subject's
        left cheek comes forward); positive pitch: the chin goes down; positive roll: the head
        tilts clockwise on screen (the eye on the image's right goes down)."""
        r = self.rotation
        pitch = math.degrees(math.asin(float(np.clip(-r[1, 2], -1.0, 1.0))))
        yaw = math.degrees(math.atan2(float(r[0, 2]), float(r[2, 2])))
        roll = math.degrees(math.atan2(float(r[1, 0]), float(r[1, 1])))
        return yaw, pitch, roll


def fit_reference_pose(
    landmarks_px: np.ndarray, camera: CameraIntrinsics, reference: ReferenceFace,
    previous: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """PnP of the reference face against (478,3) pixel landmarks -> (R (3,3), t (3,) mm)."""
    obj = reference.pose_points
    img = landmarks_px[_POSE_INDEX, :2]
    k = camera.matrix()
    if previous is not None:
        rvec, _ = cv2.Rodrigues(previous[0])
        tvec = previous[1].reshape(3, 1).astype(np.float64)
        ok = True
    else:
        ok, rvec, tvec = cv2.solvePnP(obj, img, k, None, flags=cv2.SOLVEPNP_SQPNP)
    if not ok or tvec[2, 0] <= 0:
        ok, rvec, tvec = cv2.solvePnP(obj, img, k, None, flags=cv2.SOLVEPNP_EPNP)
    rvec, tvec = cv2.solvePnPRefineLM(obj, img, k, None, rvec, tvec)
    r, _ = cv2.Rodrigues(rvec)
    return r, tvec.reshape(3)


def iris_diameter_px(landmarks_px: np.ndarray, yaw_deg: float, pitch_deg: float) -> tuple[float, float]:
    """Mean visible iris diameter in pixels over both eyes, undoing foreshortening (a turned
    head narrows the iris horizontally by cos(yaw)), and the left/right disagreement ratio.
    yaw, pitch: as the face is seen, relative to its viewing ray (viewing_ray.seen_yaw_pitch_deg)."""
    cy = max(math.cos(math.radians(yaw_deg)), 0.3)
    cp = max(math.cos(math.radians(pitch_deg)), 0.3)
    ends = landmarks_px[_IRIS_SPANS, :2]
    h_right, v_right, h_left, v_left = np.hypot(*(ends[0::2] - ends[1::2]).T).tolist()
    a = 0.5 * (h_right / cy + v_right / cp)
    b = 0.5 * (h_left / cy + v_left / cp)
    return 0.5 * (a + b), abs(a - b) / max(a, b, 1e-6)


def iris_diameter_rad(landmarks_px: np.ndarray, camera: CameraIntrinsics, yaw_deg: float, pitch_deg: float) -> float:
    """Mean visible iris diameter over both eyes as an angle (radians) between the camera rays
    through its contour points, with iris_diameter_px's foreshortening undone: the same for a
    face anywhere in the picture, where pixel spans grow toward the edges."""
    cy = max(math.cos(math.radians(yaw_deg)), 0.3)
    cp = max(math.cos(math.radians(pitch_deg)), 0.3)
    spans = []
    points = landmarks_px[_IRIS_SPANS, :2].tolist()  # floats: 8 points cost less than array calls
    for (u0, v0), (u1, v1) in zip(points[0::2], points[1::2]):
        a = ((u0 - camera.cx) / camera.fx, (v0 - camera.cy) / camera.fy)
        b = ((u1 - camera.cx) / camera.fx, (v1 - camera.cy) / camera.fy)
        norms = math.sqrt((a[0] ** 2 + a[1] ** 2 + 1.0) * (b[0] ** 2 + b[1] ** 2 + 1.0))
        cos = (a[0] * b[0] + a[1] * b[1] + 1.0) / norms
        spans.append(math.acos(min(cos, 1.0)))
    h_right, v_right, h_left, v_left = spans
    return 0.25 * (h_right / cy + v_right / cp + h_left / cy + v_left / cp)


def estimate_head_pose(
    landmarks_px: np.ndarray, camera: CameraIntrinsics, reference: ReferenceFace,
    previous: HeadPose | None = None, scale_hint: float | None = None,
) -> HeadPose:
    """Metric head pose for one face. `previous` seeds the PnP in video mode; `scale_hint`
    (a filtered head scale) replaces this frame's iris reading when given."""
    seed = (previous.rotation, previous.translation / previous.scale) if previous else None
    r, t = fit_reference_pose(landmarks_px, camera, reference, seed)
    pose = HeadPose(r, t, 1.0, False)
    if scale_hint is not None:
        return HeadPose(r, t * scale_hint, scale_hint, True)
    # Foreshortening is how the iris is seen: relative to the ray through the eyes (a face
    # looking into the lens from a picture's corner is seen head-on), not the optical axis.
    eyes = r @ reference.iris_centres_mean + t
    yaw, pitch = seen_yaw_pitch_deg(r, eyes)
    diameter, _ = iris_diameter_px(landmarks_px, yaw, pitch)
    if diameter < 2.0:
        return pose
    # The iris's angular size gives its distance along the ray: pixel sizes would stretch
    # radially by 1/cos(angle off-axis) and read a face near the picture's edge as too near.
    true_distance = IRIS_DIAMETER_MM / iris_diameter_rad(landmarks_px, camera, yaw, pitch)
    scale = true_distance / float(np.linalg.norm(eyes))
    if not MIN_HEAD_SCALE <= scale <= MAX_HEAD_SCALE:
        return pose
    return HeadPose(r, t * scale, scale, True)
