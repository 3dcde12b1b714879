"""Depth-only head proxy for hats: the skull as two half-ellipsoids joined at the hat line.

The general head proxy (head_occluder.py) carries the live face mesh, whose forehead and
temples reach up through a hat's band and brim and punch skin-coloured holes in them. A hat
needs only what is truly behind the head hidden: the inside of the crown and the back of the
band (seen through the opening), and the brim's underside behind the skull. So this proxy has
no face mesh: its widest section is the skull at the hat line (tryon/products/fit/hat_line.py),
the hair's thickness inside the band, so the band's front, the brim and the crown are never
inside it. It needs nothing from head_occluder.py.

Frames: the band frame of HatLine (head axes tilted back, y down, mm), then the camera frame.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import trimesh

from tryon.products.fit.hat_line import HatLine, measure_hat_line
from tryon.products.fit.face_frame import FaceFrame
from tryon.render.items import Occluder

# Above the hat line the skull rounds off inside the crown; 40 mm keeps the dome inside even a
# shallow crown's walls while it fills the opening against the hair gap. Below, it reaches the
# jaw (the skull and face at the ears, ~110 mm under the band) to hide the brim's back
# underside that a low camera sees through the head.
DOME_ABOVE_MM = 40.0
DOME_BELOW_MM = 110.0


@lru_cache(maxsize=1)
def _unit_sphere() -> tuple[np.ndarray, np.ndarray]:
    sphere = trimesh.creation.icosphere(subdivisions=3)  # 642 vertices: smooth at 1280x720
    indices = np.asarray(sphere.faces, dtype=np.uint32)
    indices.flags.writeable = False
    return np.asarray(sphere.vertices), indices


def dome_scales(line: HatLine) -> tuple[np.ndarray, np.ndarray]:
    """(3,) scales of the unit half-ball y >= 0 (GL-style, y up) for the upper and the lower dome,
    in the band frame (y down): the upper one is flipped so its pole points up."""
    a, b = line.skull_semi_axes_mm
    return np.array([a, -DOME_ABOVE_MM, b]), np.array([a, DOME_BELOW_MM, b])


def camera_from_domes(face: FaceFrame, line: HatLine | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two (4,4) transforms, camera frame (mm) from the unit half-ball {|p| <= 1, p_y >= 0}: the
    skull above and below the hat line. What the browser draws (docs/protocol.md)."""
    line = line if line is not None else measure_hat_line(face)
    camera_from_band = face.camera_from_head() @ line.head_from_band
    upper, lower = (camera_from_band @ np.diag([*scales, 1.0]) for scales in dome_scales(line))
    return upper, lower


def build_hat_occluder(face: FaceFrame) -> Occluder:
    """The skull proxy for a hat on this face, in the camera frame (see occluder_from_domes)."""
    return occluder_from_domes(camera_from_domes(face))


def occluder_from_domes(domes: tuple[np.ndarray, np.ndarray]) -> Occluder:
    """One closed mesh from (upper, lower) camera_from_dome transforms: the two halves of one
    icosphere, sharing their equator, so there is no crack at the hat line."""
    upper, lower = domes
    unit, indices = _unit_sphere()
    # Unit-sphere y < 0 is the lower dome (mirrored so its own y is >= 0); y >= 0 the upper.
    below = unit[:, 1:2] < 0.0
    mirrored = unit * np.where(below, [1.0, -1.0, 1.0], 1.0)
    vertices = np.where(below, mirrored @ lower[:3, :3].T + lower[:3, 3], mirrored @ upper[:3, :3].T + upper[:3, 3])
    return Occluder(vertices.astype(np.float32), indices)
