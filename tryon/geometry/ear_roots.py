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

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from tryon.geometry.head_pose import HeadPose
from tryon.geometry.reference_face import FACE_LEFT_SIDE, FACE_RIGHT_SIDE, LEFT_IRIS, RIGHT_IRIS, load_reference_face

# Contour points above and below eye level on each side: (upper, lower), the wearer's right first.
CONTOUR_AT_EYES = ((162, 127), (389, 356))
_CONTOUR_INPUTS = [RIGHT_IRIS[0], LEFT_IRIS[0], *CONTOUR_AT_EYES[0], *CONTOUR_AT_EYES[1]]
_PUPILS = [RIGHT_IRIS[0], LEFT_IRIS[0]]
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
    r, t = pose.rotation, pose.translation
    # Plain floats: a dozen tiny numpy operations would cost more than the arithmetic (~0.1 ms).
    (p0x, p0y, p0z), (p1x, p1y, p1z) = (landmarks_head[_PUPILS] @ r.T + t).tolist()  # camera frame
    ((wx, wy, wz),) = (landmarks_head[[FACE_LEFT_SIDE]] - landmarks_head[[FACE_RIGHT_SIDE]]).tolist()
    widen = math.sqrt(wx * wx + wy * wy + wz * wz) / (reference.face_width * pose.scale)
    rigid = reference.roots * [widen * pose.scale, pose.scale, pose.scale]
    depths = (rigid @ r[2] + t[2]).tolist()
    seen = contour_ear_roots(landmarks_head) @ r.T + t
    pupils = ((p0x / p0z, p0y / p0z), (p1x / p1z, p1y / p1z))
    ax, ay = pupils[1][0] - pupils[0][0], pupils[1][1] - pupils[0][1]
    norm = max(math.hypot(ax, ay), 1e-12)
    ux, uy = ay / norm, -ax / norm  # up in the picture (its y grows down), across the pupil line
    mx, my = 0.5 * (pupils[0][0] + pupils[1][0]), 0.5 * (pupils[0][1] + pupils[1][1])
    out = []
    for (sx, sy, sz), depth in zip(seen.tolist(), depths):
        u, v = sx / sz, sy / sz
        lift = EAR_ROOT_ABOVE_PUPILS_MM / depth - ((u - mx) * ux + (v - my) * uy)
        out.append([(u + lift * ux) * depth, (v + lift * uy) * depth, depth])
    return (np.array(out) - t) @ r


class _Reference(NamedTuple):
    roots: np.ndarray  # (2,3) the reference face's ear roots, its own mm
    face_width: float  # mm between landmarks 234 and 454


@lru_cache(maxsize=1)
def _reference_ear_roots() -> _Reference:
    """The reference face's ear roots (its own mm) by the contour rule, and its face width."""
    landmarks = load_reference_face().landmarks
    width = float(np.linalg.norm(landmarks[FACE_LEFT_SIDE] - landmarks[FACE_RIGHT_SIDE]))
    return _Reference(contour_ear_roots(landmarks), width)


def contour_ear_roots(landmarks_head: np.ndarray) -> np.ndarray:
    """(2,3) mm: the ear roots placed from the contour points at eye level alone (head frame)."""
    (_, p0y, _), (_, p1y, _), *contour = landmarks_head[_CONTOUR_INPUTS].tolist()
    target_y = 0.5 * (p0y + p1y) - EAR_ROOT_ABOVE_PUPILS_MM
    roots = []
    for side, outward in enumerate((-1.0, 1.0)):
        (ax, ay, az), (bx, by, bz) = contour[2 * side], contour[2 * side + 1]
        span = by - ay
        f = 0.5 if abs(span) < 1e-6 else min(max((target_y - ay) / span, -0.5), 1.5)
        roots.append([ax + f * (bx - ax) + outward * EAR_ROOT_OUTSIDE_CONTOUR_MM, target_y,
                      az + f * (bz - az) + EAR_ROOT_BEHIND_CONTOUR_MM])
    return np.array(roots)
