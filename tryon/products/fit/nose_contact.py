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
from scipy.spatial import Delaunay, QhullError

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
CONTACT_CELL_MM = 1.0  # points kept: the back-most per cell of this size (x, y)
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


def depth_on_nose(landmarks_head: np.ndarray, points_xy: np.ndarray, offsets_z: np.ndarray) -> float | None:
    """The largest z (mm, head frame: further into the head) of a front's origin at which none of
    its points clears the nose surface of (478,3) landmarks by less than CLEARANCE_MM.

    points_xy: (N,2) where the front's points lie across the face (head frame, mm); offsets_z:
    (N,) their depth relative to the front's origin. None when no point lies over the nose."""
    nose = landmarks_head[list(NOSE_SURFACE)]
    try:
        surface = Delaunay(nose[:, :2])
    except QhullError:
        return None
    simplex = surface.find_simplex(points_xy)
    over = simplex >= 0
    if not over.any():
        return None
    transforms = surface.transform[simplex[over]]
    b = np.einsum("nij,nj->ni", transforms[:, :2], points_xy[over] - transforms[:, 2])
    weights = np.column_stack([b, 1.0 - b.sum(axis=1)])
    skin_z = np.einsum("ni,ni->n", weights, nose[surface.simplices[simplex[over]], 2])
    return float((skin_z - CLEARANCE_MM - offsets_z[over]).min())
