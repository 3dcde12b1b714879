"""Glasses as three rigid parts: the front and two temples that turn at their hinges.

Why: a frame drawn as one rigid body takes every error of the head pitch into its temples, which
then rise into the hair or hang down the cheek. Real temples are hinged and sprung: each one is
fitted on its own so that it reaches the wearer's ear (tryon/products/fit/temples.py). This module
finds the parts in any glasses model, once per model, in the product frame (mm, +Y up, +Z toward
the viewer, +X the wearer's left):

- primitives that lie wholly behind the front on one side (the bundled frames' temples, the
  Khronos sunglasses' temples and ear hooks) become that side's temple;
- a single mesh holding front and temples (many shop models) is cut by triangle: what lies
  behind the back of the front, outside the lens area, is temple;
- each temple's hinge is the front end of its temple part, and its centre line (the mean of its
  vertices in slices by distance from the hinge) tells where along it the ear rests.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from tryon.products.model import Primitive, ProductModel

FRONT, TEMPLE_RIGHT, TEMPLE_LEFT = "front", "temple_right", "temple_left"
TEMPLE_PARTS = (TEMPLE_RIGHT, TEMPLE_LEFT)  # the wearer's right temple (-X) first
# The lens area: glasses' inner 60% of width never holds temple geometry.
CENTRAL_FRACTION = 0.6
# A temple reaches at least this far behind the front's back surface (mm): end pieces that only
# curl back a few millimetres (the Khronos frames' 10 mm) stay with the front.
MIN_TEMPLE_REACH_MM = 30.0
HINGE_BEHIND_FRONT_MM = 2.0  # the cut for a single mesh: just behind the front's back surface
PROFILE_STEP_MM = 4.0  # centre-line sample spacing along a temple


@dataclass(frozen=True, eq=False)
class TempleRig:
    """One temple, product frame (mm). hinge: (3,) its pivot. profile: (K,3) its centre line,
    ordered by distance from the hinge (the first point is the hinge), for finding the point that
    rests on the ear at any head size. length_mm: the profile's reach from the hinge."""

    part: str
    hinge: np.ndarray
    profile: np.ndarray

    @property
    def length_mm(self) -> float:
        return float(np.linalg.norm(self.profile[-1] - self.hinge))

    def point_at(self, distance_mm: float) -> np.ndarray:
        """(3,) the centre-line point `distance_mm` from the hinge (the last one if the temple is
        shorter)."""
        reach = self._reach
        i = int(np.searchsorted(reach, distance_mm))
        if i <= 0:
            return self.profile[0].copy()
        if i >= len(reach):
            return self.profile[-1].copy()
        w = (distance_mm - reach[i - 1]) / max(reach[i] - reach[i - 1], 1e-9)
        return self.profile[i - 1] + w * (self.profile[i] - self.profile[i - 1])

    @cached_property
    def _reach(self) -> np.ndarray:
        """Distance of each profile point from the hinge, made non-decreasing for the lookup."""
        return np.maximum.accumulate(np.linalg.norm(self.profile - self.hinge, axis=1))


@dataclass(frozen=True, eq=False)
class GlassesRig:
    """The temples of a glasses model, the wearer's right one first."""

    temples: tuple[TempleRig, TempleRig]


def rig_glasses(model: ProductModel) -> ProductModel:
    """The model with every primitive labelled front / temple_right / temple_left (single meshes
    cut where front and temples meet) and its `rig` set; unchanged (no rig) when no temples are
    found on both sides, e.g. a flat front-only model."""
    if model.rig is not None or not model.primitives:
        return model
    points = np.concatenate([p.positions for p in model.primitives]).astype(np.float64)
    half_width = 0.5 * float(np.ptp(points[:, 0]))
    centre_x = 0.5 * float(points[:, 0].max() + points[:, 0].min())
    central = np.abs(points[:, 0] - centre_x) <= CENTRAL_FRACTION * half_width
    front_back = float(points[central, 2].min()) if central.any() else float(points[:, 2].max())
    cut_z = front_back - HINGE_BEHIND_FRONT_MM
    parts: list[tuple[Primitive, int]] = []  # (labelled primitive, index of its source)
    for index, primitive in enumerate(model.primitives):
        for labelled in _split(primitive, centre_x, half_width, cut_z):
            parts.append((labelled, index))
    temples = []
    for part in TEMPLE_PARTS:
        members = [p for p, _ in parts if p.part == part]
        if not members:
            return model
        temples.append(_temple_rig(part, members))
    variants = {name: tuple(materials[i] for _, i in parts) for name, materials in model.variant_materials.items()}
    return replace(
        model,
        primitives=tuple(p for p, _ in parts),
        variant_materials=variants,
        normalisation=model.normalisation + ("temples found: each turns at its hinge to reach the ear",),
        rig=GlassesRig((temples[0], temples[1])),
    )


def _split(primitive: Primitive, centre_x: float, half_width: float, cut_z: float) -> list[Primitive]:
    """The primitive as one labelled part, or cut into front and temple parts by triangle."""
    positions = primitive.positions.astype(np.float64)
    lateral = positions[:, 0] - centre_x
    outside = np.abs(lateral) > CENTRAL_FRACTION * half_width
    if outside.all() and positions[:, 2].min() < cut_z - MIN_TEMPLE_REACH_MM:
        sides = np.sign(lateral)
        if (sides == sides[0]).all():  # a whole temple (or ear hook) on one side
            return [replace(primitive, part=TEMPLE_LEFT if sides[0] > 0 else TEMPLE_RIGHT)]
    centroids = positions[primitive.indices].mean(axis=1)
    behind = (centroids[:, 2] < cut_z) & (np.abs(centroids[:, 0] - centre_x) > CENTRAL_FRACTION * half_width)
    if positions[:, 2].min() >= cut_z - MIN_TEMPLE_REACH_MM or not behind.any():
        return [replace(primitive, part=FRONT)]
    left = behind & (centroids[:, 0] > centre_x)
    right = behind & (centroids[:, 0] <= centre_x)
    out = []
    for part, keep in ((FRONT, ~behind), (TEMPLE_RIGHT, right), (TEMPLE_LEFT, left)):
        if keep.any():
            out.append(_subset(primitive, keep, part))
    return out


def _subset(primitive: Primitive, keep: np.ndarray, part: str) -> Primitive:
    """The triangles where `keep` holds, with only the vertices they use."""
    triangles = primitive.indices[keep]
    used, remapped = np.unique(triangles, return_inverse=True)
    return replace(
        primitive,
        name=f"{primitive.name}:{part}",
        positions=_frozen(primitive.positions[used]),
        normals=_frozen(primitive.normals[used]),
        uvs=None if primitive.uvs is None else _frozen(primitive.uvs[used]),
        indices=_frozen(remapped.reshape(-1, 3).astype(np.uint32)),
        part=part,
    )


def _temple_rig(part: str, members: list[Primitive]) -> TempleRig:
    points = np.concatenate([p.positions for p in members]).astype(np.float64)
    front_z = float(points[:, 2].max())
    near_hinge = points[points[:, 2] >= front_z - PROFILE_STEP_MM]
    hinge = np.array([*near_hinge[:, :2].mean(axis=0), front_z])
    reach = np.linalg.norm(points - hinge, axis=1)
    profile = [hinge]
    for start in np.arange(PROFILE_STEP_MM, float(reach.max()) + PROFILE_STEP_MM, PROFILE_STEP_MM):
        band = points[(reach >= start - PROFILE_STEP_MM) & (reach < start)]
        if len(band):
            profile.append(band.mean(axis=0))
    return TempleRig(part, _frozen(hinge), _frozen(np.array(profile)))


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.flags.writeable = False
    return array


__all__ = ["FRONT", "TEMPLE_LEFT", "TEMPLE_PARTS", "TEMPLE_RIGHT", "GlassesRig", "TempleRig", "rig_glasses"]
