"""How far back a glasses front sits: until its bridge (or its pads) touches the nose.

The face mesh's nose landmarks (ridge and sides, from the brows down to the tip) are a surface
z(x, y) in the wearer's head frame; the front's points near the middle (bridge, pads, inner rims)
are tested against it, and the front is pushed back along the head's z until the first of them
touches, as a real frame settles on the nose. A flat-bridged frame therefore sits further
forward than one with a deep saddle bridge, and a low nose bridge lets frames sit closer.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.spatial import Delaunay

from tryon.products.glasses_rig import FRONT
from tryon.products.model import ProductModel

# The nose from the brows to the tip, ridge and both sides (MediaPipe face mesh indices).
NOSE_SURFACE = (
    9, 8, 168, 6, 197, 195, 5, 4,
    55, 285, 107, 336, 193, 417, 122, 351, 196, 419, 3, 248, 236, 456, 174, 399, 188, 412,
    245, 465, 114, 343, 217, 437, 198, 420,
)  # fmt: skip
CONTACT_HALF_WIDTH_MM = 18.0  # front points this near the middle can rest on the nose
# ... and no lower than this below the lens centres (product frame y): the bridge and the upper
# pads carry a frame; lower down the mesh's nose is broader than a real one (its side points lie
# ~2 mm behind the ridge, a real nose's 5-6 mm), and rims that pass beside it would seem to hit it.
CONTACT_LOWEST_Y_MM = -6.0
CONTACT_CELL_MM = 2.0  # points kept: the back-most per cell of this size (x, y)
CLEARANCE_MM = 0.5  # pads and bridge rest on skin, not in it


@lru_cache(maxsize=32)  # models are immutable and hashed by identity; this runs once per model
def contact_points(model: ProductModel) -> np.ndarray:
    """(N,3) product-frame points of the front that can rest on the nose: those within
    CONTACT_HALF_WIDTH_MM of the middle and above CONTACT_LOWEST_Y_MM, the back-most (lowest z)
    of each small cell."""
    fronts = [p.positions for p in model.primitives if p.part in ("", FRONT)]
    points = np.concatenate(fronts).astype(np.float64) if fronts else np.zeros((0, 3))
    points = points[(np.abs(points[:, 0]) <= CONTACT_HALF_WIDTH_MM) & (points[:, 1] >= CONTACT_LOWEST_Y_MM)]
    if not len(points):
        return points
    cells = np.floor(points[:, :2] / CONTACT_CELL_MM).astype(np.int64)
    order = np.lexsort((points[:, 2], cells[:, 1], cells[:, 0]))
    cells, points = cells[order], points[order]
    first = np.ones(len(points), bool)
    first[1:] = (cells[1:] != cells[:-1]).any(axis=1)
    kept = points[first]
    kept.flags.writeable = False
    return kept


@lru_cache(maxsize=1)
def nose_triangles() -> np.ndarray:
    """(T,3) indices into NOSE_SURFACE: the nose triangulated once, on the reference face (x, y);
    the same topology serves every wearer, so no triangulation runs per frame (Qhull: ~1 ms)."""
    from tryon.geometry.reference_face import load_reference_face

    reference = load_reference_face().landmarks[list(NOSE_SURFACE)]
    triangles = Delaunay(reference[:, :2]).simplices.astype(np.int64)
    triangles.flags.writeable = False
    return triangles


def depth_on_nose(landmarks_head: np.ndarray, points_xy: np.ndarray, offsets_z: np.ndarray) -> float | None:
    """The largest z (mm, head frame: further into the head) of a front's origin at which none of
    its points clears the nose surface of (478,3) landmarks by less than CLEARANCE_MM.

    points_xy: (N,2) where the front's points lie across the face (head frame, mm); offsets_z:
    (N,) their depth relative to the front's origin. None when no point lies over the nose."""
    nose = landmarks_head[list(NOSE_SURFACE)]
    corners = nose[nose_triangles()]  # (T,3,3)
    origin = corners[:, 0, :2]
    edges = np.stack([corners[:, 1, :2] - origin, corners[:, 2, :2] - origin], axis=2)  # (T,2,2)
    determinant = edges[:, 0, 0] * edges[:, 1, 1] - edges[:, 0, 1] * edges[:, 1, 0]
    usable = np.abs(determinant) > 1e-9  # a triangle folded flat by a turned head is skipped
    if not usable.any():
        return None
    corners, origin, edges, determinant = corners[usable], origin[usable], edges[usable], determinant[usable]
    # Barycentric coordinates of every point in every triangle, (N,T) each, by Cramer's rule.
    lx = points_xy[:, 0:1] - origin[:, 0]
    ly = points_xy[:, 1:2] - origin[:, 1]
    b1 = (lx * edges[:, 1, 1] - ly * edges[:, 0, 1]) / determinant
    b2 = (ly * edges[:, 0, 0] - lx * edges[:, 1, 0]) / determinant
    inside = (b1 >= 0.0) & (b2 >= 0.0) & (b1 + b2 <= 1.0)
    over = inside.any(axis=1)
    if not over.any():
        return None
    rows = np.flatnonzero(over)
    first = inside[rows].argmax(axis=1)
    z = corners[first, :, 2]
    w1, w2 = b1[rows, first], b2[rows, first]
    skin_z = z[:, 0] + w1 * (z[:, 1] - z[:, 0]) + w2 * (z[:, 2] - z[:, 0])
    return float((skin_z - CLEARANCE_MM - offsets_z[over]).min())
