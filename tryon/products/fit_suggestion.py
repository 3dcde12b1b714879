"""Suggested fit points of a normalised model, for the retailer to confirm before it goes live.

All in the product frame (mm, +Y up, +Z front, +X to the viewer's right, origin at the fit
anchor). Glasses: the frame front's width (what FitProfile.real_width_mm means), the bridge (where
the frame rests on the nose: bottom of the bridge bar at the middle, back of the front) and the
two temple hinges (where each temple meets the front). They come from surface samples, so a
long temple drawn with 8 vertices weighs as much as a finely tessellated one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tryon.products.fit.hat import hat_opening
from tryon.products.model import ProductModel
from tryon.products.normalise import FRONT_DEPTH_FRACTION, FRONT_DEPTH_MIN_MM
from tryon.products.orientation import surface_samples

Point = tuple[float, float, float]

HINGE_OUTER_FRACTION = 0.5  # temples run back from the outer half of each side of the front
HINGE_REACH_MM = 10.0  # the front-most 10 mm of a temple set the hinge's x and y
HINGE_TUBE_MM = 5.0  # ...and the temple, followed forward within 5 mm of that line, its z
BRIDGE_COLUMN_FRACTION = 0.05  # the bridge is read in the middle 5% of the front's width
BRIDGE_GAP_MM = 2.0  # a vertical gap this large ends the bridge bar (below it: the nose gap)


@dataclass(frozen=True)
class FitSuggestion:
    """Suggested fit points (product frame, mm). hinges_mm: (the hinge at -X, the one at +X),
    i.e. the viewer's left then right (the wearer's right then left)."""

    category: str
    frame_width_mm: float | None
    bridge_mm: Point | None
    hinges_mm: tuple[Point, Point] | None
    anchor_mm: Point
    notes: tuple[str, ...]

    def to_dict(self) -> dict:
        return {
            "category": self.category,
            "frame_width_mm": self.frame_width_mm,
            "bridge_mm": None if self.bridge_mm is None else list(self.bridge_mm),
            "hinges_mm": None if self.hinges_mm is None else [list(h) for h in self.hinges_mm],
            "anchor_mm": list(self.anchor_mm),
            "notes": list(self.notes),
        }


def suggest_fit(model: ProductModel, category: str) -> FitSuggestion:
    """The fit points of a model already in the product frame (see normalise_model)."""
    anchor: Point = (0.0, 0.0, 0.0)  # normalisation put the fit anchor at the origin
    if category in ("glasses", "sunglasses"):
        return _glasses(model, category, anchor)
    size = model.size_mm
    if category == "hat":
        opening = hat_opening(model)
        notes = (
            "anchor: centre of the head opening; the opening is fitted round the wearer's measured head",
            f"head opening about {opening.width_mm:.0f} x {opening.length_mm:.0f} mm inside (width x depth)",
        )
        return FitSuggestion(category, None, None, None, anchor, notes)
    if category == "earrings":
        notes = (
            "anchor: the top attachment point, which hangs from the ear lobe; the other ear gets a mirror image",
            f"earring {size[1]:.0f} mm tall, {size[0]:.0f} mm wide",
        )
        return FitSuggestion(category, None, None, None, anchor, notes)
    notes = (
        f"category {category!r} has no face fit (shoes, bags, furniture: shown, not worn on the face)",
        "anchor: centre of the bottom face, so the product stands on the origin",
    )
    return FitSuggestion(category, None, None, None, anchor, notes)


def _glasses(model: ProductModel, category: str, anchor: Point) -> FitSuggestion:
    points = surface_samples([(p.positions, p.indices) for p in model.primitives])
    depth = float(np.ptp(points[:, 2]))
    front_back = points[:, 2].max() - max(FRONT_DEPTH_FRACTION * depth, FRONT_DEPTH_MIN_MM)
    front = points[points[:, 2] >= front_back]
    width = float(np.ptp(front[:, 0]))
    notes = [
        "anchor: bridge centre at the back of the frame front (it sits on the nose bridge, level with the pupils)",
        f"frame width {width:.1f} mm: check it against the product's real front width",
    ]
    bridge = _bridge(front, width)
    temples = points[points[:, 2] < front_back]
    hinges = []
    for side in (-1.0, 1.0):
        hinge, found = _hinge(front, temples, side, width)
        hinges.append(hinge)
        if not found:
            notes.append(f"no temple found on the {'-X' if side < 0 else '+X'} side: its hinge is the front's outer end")
    return FitSuggestion(category, round(width, 2), bridge, (hinges[0], hinges[1]), anchor, tuple(notes))


def _bridge(front: np.ndarray, width: float) -> Point:
    """Middle of the front's width, at the bottom of the bridge bar, on the front's back surface."""
    centre = (front[:, 0].min() + front[:, 0].max()) / 2
    column = front[np.abs(front[:, 0] - centre) <= BRIDGE_COLUMN_FRACTION * width]
    column = column if len(column) else front
    heights = np.sort(column[:, 1])[::-1]
    gaps = np.flatnonzero(-np.diff(heights) > BRIDGE_GAP_MM)
    bottom = heights[gaps[0]] if len(gaps) else heights[-1]
    bar = column[column[:, 1] >= bottom]
    return _point((centre, bottom, bar[:, 2].min()))


def _hinge(front: np.ndarray, temples: np.ndarray, side: float, width: float) -> tuple[Point, bool]:
    """Where the temple on one side meets the front; (the front's outer end, False) if it has none."""
    half = width / 2
    lateral = temples[side * temples[:, 0] >= HINGE_OUTER_FRACTION * half]
    if len(lateral) == 0:
        end = front[side * front[:, 0] >= side * (front[:, 0].max() if side > 0 else front[:, 0].min()) - 0.03 * width]
        return _point((end[:, 0].mean(), end[:, 1].mean(), end[:, 2].min())), False
    tip = lateral[lateral[:, 2] >= lateral[:, 2].max() - HINGE_REACH_MM]
    x, y = tip[:, 0].mean(), tip[:, 1].mean()
    everything = np.concatenate([front, temples])
    tube = everything[np.hypot(everything[:, 0] - x, everything[:, 1] - y) <= HINGE_TUBE_MM]
    behind_front = tube[tube[:, 2] <= 0.0]  # z = 0 is the back of the frame front at the bridge
    z = behind_front[:, 2].max() if len(behind_front) else tip[:, 2].max()
    return _point((x, y, z)), True


def _point(values: tuple[float, float, float]) -> Point:
    return (round(float(values[0]), 2), round(float(values[1]), 2), round(float(values[2]), 2))
