"""Where the ears meet the head, in 3D, from the face mesh: what glasses temples rest on.

The face mesh has no ear points. Its contour points at eye level (162/127 on the wearer's right,
389/356 on the left) lie on the head's outline just in front of the ears, so each ear root (the
top of the ear's attachment, the otobasion superius, where a temple rests) is placed from the
contour point at its height: further back into the head and a little outside it (adult
anthropometry, Farkas 1994: the ear's attachment top lies about level with the upper eyelid,
some 20-25 mm behind the face outline at that height, on a head a few millimetres wider there).
Everything is in the wearer's metric head frame (mm, x to the wearer's left, y down, z into the
head), combining the wearer's own contour with the whole-face pose (see ear_roots).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tryon.geometry.head_pose import HeadPose
from tryon.geometry.reference_face import FACE_LEFT_SIDE, FACE_RIGHT_SIDE, LEFT_IRIS, RIGHT_IRIS, load_reference_face

# Contour points above and below eye level on each side: (upper, lower), the wearer's right first.
CONTOUR_AT_EYES = ((162, 127), (389, 356))
EAR_ROOT_ABOVE_PUPILS_MM = 10.0  # the attachment top sits about level with the upper eyelid crease
EAR_ROOT_BEHIND_CONTOUR_MM = 22.0
EAR_ROOT_OUTSIDE_CONTOUR_MM = 3.0  # the head is a little wider above the ear than the outline in front


def ear_roots(landmarks_head: np.ndarray, pose: HeadPose) -> np.ndarray:
    """(2,3) mm: the wearer's right then left ear root in the head frame, from the wearer's
    (478,3) head-frame landmarks (FaceFrame.landmarks_head) and head pose.

    Three cues, each where it is surest: the contour rule (contour_ear_roots) in the wearer's
    head frame gives the line of sight; the rigid reference roots give the depth along it; and
    the height above the line through the pupils is set in the picture itself, to
    EAR_ROOT_ABOVE_PUPILS_MM at the root's depth, so an error in the head's pitch cannot lift
    the ear roots (and the temples with them) into the hair or drop them down the cheek."""
    reference = _reference_ear_roots()
    width = float(np.linalg.norm(landmarks_head[FACE_LEFT_SIDE] - landmarks_head[FACE_RIGHT_SIDE]))
    rigid = reference.roots * [width / (reference.face_width * pose.scale), 1.0, 1.0] * pose.scale
    r, t = pose.rotation, pose.translation
    depth = (rigid @ r.T + t)[:, 2]
    seen = contour_ear_roots(landmarks_head) @ r.T + t
    seen = seen[:, :2] / seen[:, 2:3]  # picture plane at unit focal length
    pupils = landmarks_head[[RIGHT_IRIS[0], LEFT_IRIS[0]]] @ r.T + t
    pupils = pupils[:, :2] / pupils[:, 2:3]
    across = pupils[1] - pupils[0]
    across /= max(float(np.linalg.norm(across)), 1e-12)
    up = np.array([across[1], -across[0]])  # picture y grows down
    roots = np.empty((2, 3))
    for side in range(2):
        height = float((seen[side] - pupils.mean(axis=0)) @ up)
        point = seen[side] + (EAR_ROOT_ABOVE_PUPILS_MM / depth[side] - height) * up
        roots[side] = (np.array([point[0] * depth[side], point[1] * depth[side], depth[side]]) - t) @ r
    return roots


class _Reference:
    def __init__(self, roots: np.ndarray, face_width: float) -> None:
        self.roots, self.face_width = roots, face_width


@lru_cache(maxsize=1)
def _reference_ear_roots() -> _Reference:
    """The reference face's ear roots (its own mm) by the contour rule, and its face width."""
    landmarks = load_reference_face().landmarks
    width = float(np.linalg.norm(landmarks[FACE_LEFT_SIDE] - landmarks[FACE_RIGHT_SIDE]))
    return _Reference(contour_ear_roots(landmarks), width)


def contour_ear_roots(landmarks_head: np.ndarray) -> np.ndarray:
    """(2,3) mm: the ear roots placed from the contour points at eye level alone (head frame)."""
    pupils_y = 0.5 * float(landmarks_head[RIGHT_IRIS[0], 1] + landmarks_head[LEFT_IRIS[0], 1])
    target_y = pupils_y - EAR_ROOT_ABOVE_PUPILS_MM
    roots = np.empty((2, 3))
    for side, ((upper, lower), outward) in enumerate(zip(CONTOUR_AT_EYES, (-1.0, 1.0))):
        a, b = landmarks_head[upper], landmarks_head[lower]
        span = float(b[1] - a[1])
        t = 0.5 if abs(span) < 1e-6 else float(np.clip((target_y - a[1]) / span, -0.5, 1.5))
        contour = a + t * (b - a)
        roots[side] = [contour[0] + outward * EAR_ROOT_OUTSIDE_CONTOUR_MM, target_y,
                       contour[2] + EAR_ROOT_BEHIND_CONTOUR_MM]
    return roots
