"""Lens outline shapes, sized by the optical boxing system (lens width x height of the box).

Outlines are drawn for the wearer's left lens (the one at +X), centred on the box centre, with
+X toward the temple; mirror_x gives the right lens.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from demo_catalog.curves import resample_closed, signed_area

LensShape = Literal["round", "rectangle", "cateye", "aviator"]

_DENSE = 2048  # samples before even resampling; far finer than any lens needs


def lens_outline(shape: LensShape, width_mm: float, height_mm: float, count: int) -> np.ndarray:
    """Closed counter-clockwise outline (count,2), mm, whose bounding box is width x height.

    The first point is the one straight out toward the temple, so outlines are repeatable.
    """
    t = 2 * np.pi * np.arange(_DENSE) / _DENSE
    x, y = _unit_shape(shape, t)
    x = (x - (x.max() + x.min()) / 2) * width_mm / (x.max() - x.min())
    y = (y - (y.max() + y.min()) / 2) * height_mm / (y.max() - y.min())
    points = np.stack([x, y], axis=1)
    if signed_area(points) < 0:
        points = points[::-1]
    return resample_closed(points, count)


def mirror_x(outline: np.ndarray) -> np.ndarray:
    """The outline reflected across x = 0, still counter-clockwise."""
    mirrored = outline * np.array([-1.0, 1.0])
    return mirrored[::-1].copy()


def _unit_shape(shape: LensShape, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shape in a unit box, +x toward the temple; sizes are fixed later by box normalisation."""
    if shape == "round":
        return _superellipse(t, 2.2)
    if shape == "rectangle":
        x, y = _superellipse(t, 4.5)
        # The lower nasal corner is cut back, as on most rectangular frames.
        x = np.where((x < 0) & (y < 0), x * (1 - 0.12 * y**2), x)
        return x, y
    if shape in _CONTROL_POINTS:
        return _periodic_bspline(np.array(_CONTROL_POINTS[shape]), t / (2 * np.pi))
    raise ValueError(f"unknown lens shape {shape!r}; use one of round, rectangle, cateye, aviator")


# Control polygons (unit box, +x toward the temple, counter-clockwise from the temple side).
_CONTROL_POINTS = {
    # Upper temporal corner swept up into a wing; nasal top and temporal bottom tucked in.
    "cateye": [
        (1.0, 0.45),
        (1.02, 1.0),
        (0.55, 0.88),
        (0.0, 0.72),
        (-0.6, 0.66),
        (-1.0, 0.45),
        (-1.0, -0.3),
        (-0.7, -0.85),
        (-0.1, -1.0),
        (0.5, -0.82),
        (0.9, -0.3),
    ],
    # Teardrop: near-flat top, long diagonal temporal side, deepest point toward the nose.
    "aviator": [
        (1.0, 0.55),
        (0.95, 0.95),
        (0.4, 1.05),
        (-0.4, 1.0),
        (-0.95, 0.9),
        (-1.05, 0.3),
        (-0.95, -0.4),
        (-0.6, -0.95),
        (-0.1, -1.1),
        (0.45, -0.8),
        (0.85, -0.2),
    ],
}


def _superellipse(t: np.ndarray, exponent: float) -> tuple[np.ndarray, np.ndarray]:
    c, s = np.cos(t), np.sin(t)
    p = 2.0 / exponent
    return np.sign(c) * np.abs(c) ** p, np.sign(s) * np.abs(s) ** p


def _periodic_bspline(control: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Uniform closed cubic B-spline through a control polygon (C,2), sampled at u in [0, 1)."""
    n = len(control)
    pos = u * n
    i = np.floor(pos).astype(int)
    t = (pos - i)[:, None]
    p0, p1, p2, p3 = (control[(i + k) % n] for k in (-1, 0, 1, 2))
    curve = (
        (1 - t) ** 3 * p0
        + (3 * t**3 - 6 * t**2 + 4) * p1
        + (-3 * t**3 + 3 * t**2 + 3 * t + 1) * p2
        + t**3 * p3
    ) / 6
    return curve[:, 0], curve[:, 1]
