"""How much a tracked face looks like a real, wearable face: a 0..1 confidence and the reasons.

MediaPipe's face mesh always returns a face-shaped mesh, even on a profile, a blurred patch or
a half-seen face, so the mesh's own outline proves little (eye spacing over face width stayed
0.61-0.73 on every detection measured, profiles included). What does tell them apart is how
well the rigid reference face explains the landmarks, how symmetric the wearer's own metric
mesh comes out, and the head's turn:

- PnP residual: RMS pixel distance between the pose landmarks and the fitted reference face's
  projection, in % of the diagonal of the face outline's bounding box. Real, whole faces (10
  shared photos at 1, 1/2 and 1/4 size; both shared videos, every frame): 0.9-2.5, p95 1.6.
  Meshes the tracker fitted to an open palm (hands/hagrid_four_fingers.jpg, the hand alone, in
  pan/zoom clips: 11 frames): 2.0-5.3; to a thumbs-up hand: 2.7-3.7. A face squashed to half
  its height (a wrong aspect ratio): 6.2.
- Mirror asymmetry of landmarks_head: mean distance (mm, at reference head size) between each
  of ~50 mesh points on the right half (every 4th of ~200) and its mirror partner, reflected
  across the head's x = 0 plane. Real, whole faces: 0.8-3.9 (3.9 with a thumb before an eye);
  the palm 4.5-15.6; the thumbs-up hand 7.3-8.2; the cameraman's profile
  (faces/cameraman_profile_grayscale.png, 233 frames of pan/zoom clips) 3.1-8.7.
- Yaw and pitch of the head: a face turned past ~35° cannot show a pair of glasses well and its
  pose is unreliable (the profile: |yaw| 44-79°; real faces in the videos: up to 18°).
- Iris centre on the segment between its eye's corners (0 outer .. 1 inner corner): real faces
  0.35-0.95; a profile went to 1.10.
- Face size: below ~12 px between the pupils the iris and corners are guesses.
- Share of the face outline inside the picture: on a picture cut at the lips the mesh still
  returns a whole face, the rest of it imagined above the edge (0.4 of the outline inside, with
  residual and symmetry those of a real face); a face cut at the cheek with both eyes in (0.69)
  is still one to dress.

Each measure gives a factor 1 at its "good" bound falling linearly to 0 at its "bad" bound;
the confidence is their product. Costs 0.045-0.075 ms per face on the shared 2-core machine
(best and median of 200 runs under load; 39 projected points, 50 mirror pairs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import cv2
import numpy as np

from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.head_pose import HeadPose
from tryon.geometry.reference_face import (
    FACE_LEFT_SIDE,
    FACE_RIGHT_SIDE,
    LEFT_EYE_INNER,
    LEFT_EYE_OUTER,
    LEFT_IRIS,
    POSE_LANDMARKS,
    RIGHT_EYE_INNER,
    RIGHT_EYE_OUTER,
    RIGHT_IRIS,
    ReferenceFace,
)

Verdict = Literal["accepted", "marginal", "rejected"]

# (good, bad) bounds; figures measured as in the module docstring.
RESIDUAL_PCT = (2.8, 4.5)  # real whole faces <= 2.5; hands up to 5.3, a squashed face 6.2
ASYMMETRY_MM = (4.2, 7.5)  # real whole faces <= 3.9; hands 4.5-15.6, the profile 3.1-8.7
YAW_DEG = (35.0, 55.0)  # glasses are fitted for |yaw| up to ~35°; the profile read 44-79°
PITCH_DEG = (35.0, 60.0)  # portraits above the picture's centre read 15-25° (issue 13, part 1)
IRIS_OUTSIDE_EYE = (0.05, 0.35)  # how far the iris centre lies beyond its eye's corners (eye lengths)
PUPIL_DISTANCE_PX = (12.0, 5.0)  # at 1/4 size a 6.5 px face still fitted, with no iris scale
EYE_TO_FACE_WIDTH = (0.55, 0.82)  # outer eye corners over cheek width: 0.61-0.73 measured
OUTLINE_INSIDE = (0.65, 0.35)  # share of the 36 face-outline points inside the picture (0.69 on
# obama_partial_face_cropped, both eyes in: still a face to dress; cut at the lips: 0.4)
# Accepted: drawn as sure. Marginal: drawn with a note (photo) / kept once tracked (video).
ACCEPT_CONFIDENCE = 0.6
KEEP_CONFIDENCE = 0.3
MIRROR_PAIR_MAX_MM = 1.5  # reference points whose mirror image lands this close to another point
# Every 4th of the ~200 mirror pairs: the mean moved <= 0.16 mm on the shared faces, for a quarter of the work.
MIRROR_PAIR_STEP = 4
HEAD_SIZE_NOTE = "head size not measured (iris too small or unclear): sizes assume an average head"


@dataclass(frozen=True)
class FacePlausibility:
    """confidence 0..1 that the face is real and well measured; notes: the reasons it is lower
    (shopper-readable, empty when sure); the measures it came from (units as in the name)."""

    confidence: float
    notes: tuple[str, ...]
    residual_pct: float
    asymmetry_mm: float

    @property
    def verdict(self) -> Verdict:
        if self.confidence >= ACCEPT_CONFIDENCE:
            return "accepted"
        return "marginal" if self.confidence >= KEEP_CONFIDENCE else "rejected"


def _falloff(value: float, good: float, bad: float) -> float:
    """1 at `good`, 0 at `bad`, linear between (either direction)."""
    return float(min(max((bad - value) / (bad - good), 0.0), 1.0))


@lru_cache(maxsize=4)
def mirror_pairs(reference: ReferenceFace) -> np.ndarray:
    """(P,2) int indices (i, j) of mesh points whose mirror images (x -> -x) coincide within
    MIRROR_PAIR_MAX_MM, i on the subject's right (x < 0); points on the midline are left out."""
    points = reference.landmarks[:468]
    mirrored = points * np.array([-1.0, 1.0, 1.0])
    distances = np.linalg.norm(mirrored[:, None, :] - points[None, :, :], axis=2)
    partner = distances.argmin(axis=1)
    close = distances[np.arange(len(points)), partner] < MIRROR_PAIR_MAX_MM
    right = points[:, 0] < -5.0  # 5 mm off the midline: central points mirror onto themselves
    index = np.flatnonzero(close & right)[::MIRROR_PAIR_STEP]
    return np.stack([index, partner[index]], axis=1)


def _iris_outside_eye(outer: list[float], inner: list[float], iris: list[float]) -> float:
    """How far (in eye lengths) the iris centre's position along the eye lies outside 0..1
    (points as [x, y] pixels: plain floats, a few numbers are cheaper than numpy calls)."""
    ax, ay = inner[0] - outer[0], inner[1] - outer[1]
    length2 = ax * ax + ay * ay
    if length2 < 1e-6:
        return 1.0
    s = ((iris[0] - outer[0]) * ax + (iris[1] - outer[1]) * ay) / length2
    return max(-s, s - 1.0, 0.0)


_POSE_INDEX = np.array(POSE_LANDMARKS)
# The 2D points read by the sanity checks, gathered in one indexing operation.
_SANITY_INDEX = np.array([
    RIGHT_EYE_OUTER, RIGHT_EYE_INNER, RIGHT_IRIS[0], LEFT_EYE_OUTER, LEFT_EYE_INNER, LEFT_IRIS[0],
    FACE_RIGHT_SIDE, FACE_LEFT_SIDE,
])
_MIRROR = np.array([-1.0, 1.0, 1.0])
# MediaPipe's face-oval contour: its bounding box is the mesh's (the whole mesh cost 5x more).
_FACE_OVAL = np.array([
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
    148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
])


def assess_face(
    landmarks_px: np.ndarray,
    landmarks_head: np.ndarray,
    pose: HeadPose,
    camera: CameraIntrinsics,
    reference: ReferenceFace,
) -> FacePlausibility:
    """Plausibility of one tracked face.

    landmarks_px: (478,3) pixels the pose was fitted to; landmarks_head: (478,3) mm, the same
    points in the metric head frame (FaceFrame.landmarks_head); pose: its metric head pose.
    """
    outline = landmarks_px[_FACE_OVAL, :2]
    low_xy, high_xy = outline.min(axis=0), outline.max(axis=0)
    diagonal = max(math.hypot(*(high_xy - low_xy).tolist()), 1.0)
    rvec, _ = cv2.Rodrigues(pose.rotation)
    projected, _ = cv2.projectPoints(reference.pose_points * pose.scale, rvec, pose.translation, camera.matrix(), None)
    error = projected.reshape(-1, 2) - landmarks_px[_POSE_INDEX, :2]
    residual_pct = 100.0 * math.sqrt(float(np.einsum("ij,ij->", error, error)) / len(error)) / diagonal

    pairs = mirror_pairs(reference)
    gap = landmarks_head[pairs[:, 0]] * _MIRROR - landmarks_head[pairs[:, 1]]
    asymmetry_mm = float(np.sqrt(np.einsum("ij,ij->i", gap, gap)).mean()) / pose.scale

    yaw, pitch, _ = pose.euler_deg
    r_outer, r_inner, r_iris, l_outer, l_inner, l_iris, r_cheek, l_cheek = landmarks_px[_SANITY_INDEX, :2].tolist()
    iris_out = max(_iris_outside_eye(r_outer, r_inner, r_iris), _iris_outside_eye(l_outer, l_inner, l_iris))
    pupils_px = math.dist(r_iris, l_iris)
    eye_ratio = math.dist(r_outer, l_outer) / max(math.dist(r_cheek, l_cheek), 1e-6)
    low, high = EYE_TO_FACE_WIDTH
    inside = 1.0
    if low_xy.min() < 0 or high_xy[0] >= camera.width or high_xy[1] >= camera.height:  # rare: only then count
        inside = float(((outline >= 0).all(axis=1) & (outline < (camera.width, camera.height)).all(axis=1)).mean())

    factors = (
        (_falloff(residual_pct, *RESIDUAL_PCT), "the face does not match a human face shape well"),
        (_falloff(asymmetry_mm, *ASYMMETRY_MM), "the face looks lopsided (half hidden or turned away)"),
        (_falloff(abs(yaw), *YAW_DEG), "the head is turned {yaw:.0f}° sideways; face the camera"),
        (_falloff(abs(pitch), *PITCH_DEG), "the head is tilted {pitch:.0f}° up or down; face the camera"),
        (_falloff(iris_out, *IRIS_OUTSIDE_EYE), "the eyes are not clearly seen"),
        (_falloff(pupils_px, *PUPIL_DISTANCE_PX),
         "the face is small in the picture ({pupils:.0f} px between the pupils); come closer"),
        (min(_falloff(eye_ratio, high, high + 0.1), _falloff(eye_ratio, low, low - 0.1)),
         "the eyes and face outline do not fit together"),
        (_falloff(inside, *OUTLINE_INSIDE), "the face is partly outside the picture"),
    )
    confidence = 1.0
    notes: list[str] = []
    for factor, reason in factors:
        confidence *= factor
        if factor < 1.0:
            notes.append(reason.format(yaw=abs(yaw), pitch=abs(pitch), pupils=pupils_px))
    if not pose.scale_from_iris:
        notes.append(HEAD_SIZE_NOTE)
    return FacePlausibility(round(confidence, 3), tuple(notes), round(residual_pct, 2), round(asymmetry_mm, 2))
