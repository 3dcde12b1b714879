"""Bring a loaded ProductModel into the product frame: orientation, units, origin at the fit anchor.

Pure functions over arrays and ProductModels, no file I/O. Each step is recorded in words in
ProductModel.normalisation, so a user can see what was done to their file.

Units: glTF says metres, but files arrive in mm, cm, inches or arbitrary units. The category's
plausible real size (SIZE_RULES) picks the unit, trying UNITS in order, that lands the size in
range; if none does, the model is scaled to the category's typical size and the step says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import get_args

import numpy as np

from tryon.errors import UnsupportedModel
from tryon.products.lens_glass import glass_lenses
from tryon.products.model import Category, ProductModel
from tryon.products.orientation import (
    describe_rotation,
    earring_pins,
    glasses_pins,
    hat_pins,
    smallest_rotation,
    surface_samples,
)

CATEGORIES: tuple[str, ...] = get_args(Category)

# Millimetres per file unit, in the order units are tried: the glTF default first.
UNITS: dict[str, float] = {"m": 1000.0, "mm": 1.0, "cm": 10.0, "inch": 25.4}
_UNIT_WORDS = {"m": "metres", "mm": "millimetres", "cm": "centimetres", "inch": "inches"}


@dataclass(frozen=True)
class SizeRule:
    """Plausible real size of a category: `measure` of the oriented model, in mm."""

    measure: str  # "width" (X extent), "widest horizontal extent" (max of X, Z), "largest extent"
    low_mm: float
    high_mm: float
    typical_mm: float


SIZE_RULES: dict[str, SizeRule] = {
    # adult frame fronts are 125-150 mm; the range leaves room for kids' and oversized frames
    "glasses": SizeRule("width", 110.0, 170.0, 140.0),
    "sunglasses": SizeRule("width", 110.0, 170.0, 140.0),
    # brim or horns included: a beanie is ~180 mm across, a wide-brim sun hat ~400 mm
    "hat": SizeRule("widest horizontal extent", 150.0, 400.0, 250.0),
    "earrings": SizeRule("largest extent", 5.0, 80.0, 30.0),
}

FRONT_DEPTH_FRACTION = 0.15  # glasses: the frame front is the front 15% of the depth...
FRONT_DEPTH_MIN_MM = 10.0  # ...but at least 10 mm, for frames without temples
FRONT_CENTRAL_FRACTION = 0.3  # the back of the front is measured within +-30% of the width (no hinges)


def normalise_model(model: ProductModel, category: str, source_unit: str | None = None) -> ProductModel:
    """The model rotated, scaled to mm and moved so its origin is the category's fit anchor; eyewear
    lenses made glass (tryon.products.lens_glass).

    Parameters
    ----------
    model : as loaded, in the file's units and axes.
    category : one of CATEGORIES; picks the orientation cues, size range and anchor.
    source_unit : one of UNITS to skip unit detection, e.g. when the seller knows the file is cm.

    Raises ValueError for an unknown category or unit, UnsupportedModel for a zero-size model.
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown product category {category!r}; use one of {', '.join(CATEGORIES)}")
    if source_unit is not None and source_unit not in UNITS:
        raise ValueError(f"unknown unit {source_unit!r}; use one of {', '.join(UNITS)}")
    if not model.primitives:
        raise UnsupportedModel("the model has no triangles to normalise")
    rotation, orientation_step = orientation_for(model, category)
    points = np.concatenate([p.positions for p in model.primitives]).astype(np.float64) @ rotation.T
    scale, units_step = unit_scale(points, category, source_unit)
    origin, anchor_step = fit_anchor(points * scale, category)
    placed = transform_model(model, rotation, scale, origin, (orientation_step, units_step, anchor_step))
    return glass_lenses(placed, category)


def orientation_for(model: ProductModel, category: str) -> tuple[np.ndarray, str]:
    """(3,3) rotation into +Y up / +Z front for this category, and the step in words."""
    if category == "other":
        return np.eye(3), "orientation: kept as authored (category 'other' has no orientation rule)"
    samples = surface_samples([(p.positions, p.indices) for p in model.primitives])
    if category in ("glasses", "sunglasses"):
        pins, reason = glasses_pins(samples), "frame front, nose gap and temples"
    elif category == "hat":
        pins, reason = hat_pins(samples), "the widest extreme slab is the head opening, at the bottom"
    else:
        pins, reason = earring_pins(samples), "longest axis hangs vertically"
    if not pins:
        return np.eye(3), f"orientation: kept as authored ({category} cues inconclusive)"
    rotation = smallest_rotation(pins)
    return rotation, describe_rotation(rotation, f"from {reason}")


def unit_scale(points: np.ndarray, category: str, source_unit: str | None = None) -> tuple[float, str]:
    """Millimetres per file unit for oriented points (N,3), and the step in words."""
    if source_unit is not None:
        factor = UNITS[source_unit]
        return factor, f"units: {_UNIT_WORDS[source_unit]} -> mm (x{factor:g}), as given"
    rule = SIZE_RULES.get(category)
    if rule is None:
        return UNITS["m"], f"units: metres -> mm (x1000), the glTF default (no size range for {category!r})"
    size = measure(points, rule.measure)
    if not np.isfinite(size) or size <= 0:
        raise UnsupportedModel(f"the model has zero {rule.measure}, so it cannot be sized; check the file")
    for unit, factor in UNITS.items():
        if rule.low_mm <= size * factor <= rule.high_mm:
            return factor, (
                f"units: {_UNIT_WORDS[unit]} -> mm (x{factor:g}); {rule.measure} {size * factor:.0f} mm "
                f"is within {rule.low_mm:g}-{rule.high_mm:g} mm for {category}"
            )
    factor = rule.typical_mm / size
    return factor, (
        f"unknown units: scaled to typical {rule.measure} {rule.typical_mm:g} mm (x{factor:.4g}); "
        f"its {rule.measure} of {size:.4g} file units is not {rule.low_mm:g}-{rule.high_mm:g} mm "
        f"in any of {', '.join(UNITS)}"
    )


def measure(points: np.ndarray, how: str) -> float:
    """The size a SizeRule speaks of, from oriented points (N,3)."""
    extent = np.ptp(points, axis=0)
    if how == "width":
        return float(extent[0])
    if how == "widest horizontal extent":
        return float(max(extent[0], extent[2]))
    return float(extent.max())


def fit_anchor(points: np.ndarray, category: str) -> tuple[np.ndarray, str]:
    """(3,) fit anchor of oriented points (N,3) in mm, and the step in words."""
    if category in ("glasses", "sunglasses"):
        origin, where = glasses_anchor(points), "bridge centre, back of the frame front"
    elif category == "hat":
        origin, where = hat_anchor(points), "centre of the hat opening"
    elif category == "earrings":
        origin, where = earring_anchor(points), "top attachment point"
    else:
        lo, hi = points.min(axis=0), points.max(axis=0)
        origin, where = np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2]), "centre of the bottom face"
    x, y, z = origin
    return origin, f"origin moved to {where} (x={x:.1f}, y={y:.1f}, z={z:.1f} mm)"


def glasses_anchor(points: np.ndarray) -> np.ndarray:
    """Bridge centre: middle of the frame front's width and height, z on its back surface."""
    depth = np.ptp(points[:, 2])
    front = points[points[:, 2] >= points[:, 2].max() - max(FRONT_DEPTH_FRACTION * depth, FRONT_DEPTH_MIN_MM)]
    lo, hi = front.min(axis=0), front.max(axis=0)
    centre = (lo + hi) / 2
    central = front[np.abs(front[:, 0] - centre[0]) <= FRONT_CENTRAL_FRACTION * (hi[0] - lo[0])]
    central = central if len(central) else front  # e.g. a bare triangle: no vertex near the middle
    return np.array([centre[0], centre[1], central[:, 2].min()])


def hat_anchor(points: np.ndarray) -> np.ndarray:
    """Centre of the head opening: the lowest ring near the middle, not a dipping brim's edge."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre = (lo + hi) / 2
    radius = 0.35 * min(hi[0] - lo[0], hi[2] - lo[2])
    near = points[np.hypot(points[:, 0] - centre[0], points[:, 2] - centre[2]) <= radius]
    near = near if len(near) else points
    bottom = near[:, 1].min()
    ring = near[near[:, 1] <= bottom + max(2.0, 0.03 * (hi[1] - lo[1]))]
    ring_centre = (ring.min(axis=0) + ring.max(axis=0)) / 2
    return np.array([ring_centre[0], bottom, ring_centre[2]])


def earring_anchor(points: np.ndarray) -> np.ndarray:
    """The top-most attachment point: x, z at the centre of the top 10% of the height, y at the top."""
    top_y = points[:, 1].max()
    top = points[points[:, 1] >= top_y - 0.1 * np.ptp(points[:, 1])]
    centre = (top.min(axis=0) + top.max(axis=0)) / 2
    return np.array([centre[0], top_y, centre[2]])


def transform_model(
    model: ProductModel, rotation: np.ndarray, scale: float, origin: np.ndarray, steps: tuple[str, ...] = ()
) -> ProductModel:
    """p' = scale * rotation @ p - origin for every vertex; normals rotate; steps are appended."""
    primitives = []
    for primitive in model.primitives:
        positions = (primitive.positions.astype(np.float64) @ rotation.T) * scale - origin
        normals = primitive.normals.astype(np.float64) @ rotation.T
        positions, normals = _frozen(positions.astype(np.float32)), _frozen(normals.astype(np.float32))
        primitives.append(replace(primitive, positions=positions, normals=normals))
    return ProductModel(
        primitives=tuple(primitives),
        variant_materials=dict(model.variant_materials),
        normalisation=model.normalisation + tuple(steps),
    )


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


__all__ = [
    "CATEGORIES",
    "SIZE_RULES",
    "UNITS",
    "SizeRule",
    "fit_anchor",
    "normalise_model",
    "orientation_for",
    "transform_model",
    "unit_scale",
]
