"""The head at the hat line: where a hat's opening sits on the wearer, from the measured face.

A hat rests on a ring around the skull: across the forehead at the top of the face (landmark 10,
near the hairline), over the ears, round the back on the occiput. That ring is what both the hat
fit (hat.py) and the hat's head proxy (tryon/geometry/hat_occluder.py) are built from, so the
band always sits on the very skull that hides what is behind it.

Head frame (mm): origin at the nose bridge, x toward the subject's left, y down, z into the head.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tryon.geometry.reference_face import FACE_LEFT_SIDE, FACE_RIGHT_SIDE, FOREHEAD_TOP
from tryon.products.fit.face_frame import FaceFrame, rotation_x

# Adult anthropometry (head breadth at the euryon ~150-155 mm against a bizygomatic/face width at
# the ears of ~138-142 mm): the skull overhangs the face edge at landmarks 234/454 by ~7 mm a side.
SKULL_WIDER_THAN_FACE_MM = 14.0
# Head length over breadth at the hat line: a cephalic index of ~0.8 (mesocephalic adult mean),
# the length taken a little above the glabella-opisthocranion maximum, where a band runs.
LENGTH_OVER_BREADTH = 1.2
HAIR_MM = 4.0  # the band rests on compressed hair this thick, all round
# The band's lower edge at the front sits just above landmark 10 (near the hairline).
BAND_ABOVE_FOREHEAD_TOP_MM = 4.0
# The ring runs from the forehead top down to the occiput: ~25-30 mm lower over ~190 mm of head.
BACK_TILT_DEG = 8.0


@dataclass(frozen=True)
class HatLine:
    """The skull's cross-section where a hat's band sits, in the metric head frame.

    head_from_band: (4,4) rigid transform; the band frame has the head's axes turned back by
    BACK_TILT_DEG about x (y down, z into the head), its origin at the centre of the section.
    skull_semi_axes_mm: (breadth/2, length/2) of the skull at that section, hair excluded; the
    hat's opening fits around it with HAIR_MM more all round.
    """

    head_from_band: np.ndarray
    skull_semi_axes_mm: tuple[float, float]

    @property
    def opening_semi_axes_mm(self) -> tuple[float, float]:
        """Inside of the band: the skull plus the hair it rests on (mm)."""
        a, b = self.skull_semi_axes_mm
        return a + HAIR_MM, b + HAIR_MM


def measure_hat_line(face: FaceFrame) -> HatLine:
    """The hat line from the wearer's own landmarks: width from the face at the ears, length from
    the width (anthropometry), front on the forehead top, tilted back to the occiput."""
    lm = face.landmarks_head
    breadth = float(np.linalg.norm(lm[FACE_LEFT_SIDE] - lm[FACE_RIGHT_SIDE])) + SKULL_WIDER_THAN_FACE_MM
    length = LENGTH_OVER_BREADTH * breadth
    tilt = rotation_x(-BACK_TILT_DEG)  # negative about x lifts the front (head frame: y down)
    top = lm[FOREHEAD_TOP]
    # The band's inner front: above landmark 10 on the skin, out by the hair; the section's
    # centre is half the opening's length behind it, along the tilted ring.
    front = np.array([0.5 * (lm[FACE_LEFT_SIDE, 0] + lm[FACE_RIGHT_SIDE, 0]), top[1] - BAND_ABOVE_FOREHEAD_TOP_MM,
                      top[2] - HAIR_MM])
    centre = front + tilt @ np.array([0.0, 0.0, 0.5 * length + HAIR_MM])
    m = np.eye(4)
    m[:3, :3] = tilt
    m[:3, 3] = centre
    return HatLine(m, (0.5 * breadth, 0.5 * length))
