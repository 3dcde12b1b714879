"""Hats: the band seated on the skull at the hat line (hat_line.py), the model's
own opening stretched round the measured head, whatever the brim or crown does above it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tryon.products.fit.hat_line import HatLine, measure_hat_line
from tryon.products.fit.face_frame import HEAD_FROM_PRODUCT_AXES, FaceFrame
from tryon.products.model import FitProfile, ProductModel

# The model's opening is read in the slice just above its plane (product y = 0): high enough to
# catch a few rings of the crown's inside, low enough that the crown's taper does not count.
OPENING_SLICE_MM = 8.0
OPENING_SECTORS = 48  # around the opening; each gives the innermost point of its wedge
# A felt or fabric crown takes the head's oval; past this much stretch one way against the
# other the model would look distorted, so the opening is made larger instead (a loose hat).
MAX_STRETCH = 1.15


@dataclass(frozen=True)
class HatOpening:
    """Inside of a hat's opening in the product frame (mm): centre (x, z), width along x and
    length along z."""

    centre_x: float
    centre_z: float
    width_mm: float
    length_mm: float


@lru_cache(maxsize=32)  # models are immutable and hashed by identity; this runs once per model
def hat_opening(model: ProductModel) -> HatOpening:
    """The crown's inner size at the band: per wedge round the vertical axis, the innermost
    vertex of the slice above y = 0, so neither the brim nor the felt's thickness counts."""
    pts = np.concatenate([p.positions for p in model.primitives]).astype(np.float64)
    height = float(pts[:, 1].max())
    ring = pts[(pts[:, 1] >= -1e-3) & (pts[:, 1] <= max(OPENING_SLICE_MM, 0.08 * height))]
    if len(ring) < OPENING_SECTORS // 2:
        ring = pts
    radius = np.hypot(ring[:, 0], ring[:, 2])
    turn = (np.arctan2(ring[:, 2], ring[:, 0]) + np.pi) / (2 * np.pi)
    sector = (turn * OPENING_SECTORS).astype(int) % OPENING_SECTORS
    inner = np.full(OPENING_SECTORS, np.inf)
    np.minimum.at(inner, sector, radius)
    keep = np.isfinite(inner)
    angles = (np.arange(OPENING_SECTORS)[keep] + 0.5) / OPENING_SECTORS * 2 * np.pi - np.pi
    xs, zs = inner[keep] * np.cos(angles), inner[keep] * np.sin(angles)
    outer_width = float(np.ptp(ring[:, 0]))
    width, length = float(np.ptp(xs)), float(np.ptp(zs))
    if width < 0.5 * outer_width:  # a closed bottom (a disc across the opening): use the outside
        xs, zs = ring[:, 0], ring[:, 2]
        width, length = outer_width, float(np.ptp(zs))
    return HatOpening(0.5 * float(xs.min() + xs.max()), 0.5 * float(zs.min() + zs.max()), width, length)


def hat_scales(opening: HatOpening, line: HatLine) -> np.ndarray:
    """(3,) product-frame scales (x, y, z) that take the model's opening round the head at the hat
    line; the height follows the mean of the two, so the crown keeps its proportions."""
    a, b = line.opening_semi_axes_mm
    sx, sz = 2 * a / opening.width_mm, 2 * b / opening.length_mm
    # Too much stretch one way: grow the other, so the opening still goes round the whole head.
    sx, sz = max(sx, sz / MAX_STRETCH), max(sz, sx / MAX_STRETCH)
    return np.array([sx, float(np.sqrt(sx * sz)), sz])


def place_hat(model: ProductModel, fit: FitProfile, face: FaceFrame) -> list[np.ndarray]:
    """One head_from_product transform: the opening's centre on the hat line's centre, its plane
    along the tilted ring, its front on the forehead top."""
    line = measure_hat_line(face)
    opening = hat_opening(model)
    scales = hat_scales(opening, line)
    band_from_product = HEAD_FROM_PRODUCT_AXES * scales  # scales the product's own axes (columns)
    rotation = line.head_from_band[:3, :3] @ band_from_product
    # The opening's front stays on the forehead when the model is loose lengthwise.
    a, b = line.opening_semi_axes_mm
    slack = 0.5 * opening.length_mm * scales[2] - b
    centre = line.head_from_band[:3, :3] @ np.array([0.0, 0.0, slack]) + line.head_from_band[:3, 3]
    m = np.eye(4)
    m[:3, :3] = rotation
    m[:3, 3] = centre - rotation @ np.array([opening.centre_x, 0.0, opening.centre_z])
    m[:3, 3] += np.array(fit.offset_mm) * [1, -1, -1]
    return [m]
