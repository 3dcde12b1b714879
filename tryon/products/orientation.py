"""Find the rotation that brings a product into the product frame (+Y up, +Z front).

Files arrive Y-up (the glTF convention), Z-up (CAD, some exporters) or lying any which way. Each
category has a few geometric cues; each cue that is conclusive pins one axis (or one signed
direction), and the answer is the smallest 90-degree-step rotation that satisfies them all. A cue
that is not conclusive pins nothing, so a model we cannot read is left as authored.

Cues (all ratios, so they work before units are known):
  glasses/sunglasses: the frame front is a thin slab holding most of the surface (the densest
    10% window of any axis): its normal is the front axis; the front is wider than tall; the
    nose gap is below the bridge (the central column of the front has material at the top, not
    the bottom); the temples run back from the front.
  hat: the head opening is a ring: of the six extreme 5% (then 15%) slabs, the one whose points
    surround their centre with an empty middle is the bottom (only when exactly one is a ring).
  earrings: the longest axis hangs vertically; a flat earring faces front. Upside-down earrings
    are not detected (a stud on top and a drop below look alike to these cues).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations, product

import numpy as np

AXES = "XYZ"
X, Y, Z = 0, 1, 2

FRONT_SLAB_FRACTION = 0.1  # glasses: the frame front fits in 10% of its axis's extent
RIM_SLAB_FRACTIONS = (0.05, 0.15)  # hat: the opening's rim is the extreme 5% (or 15%: a dipping brim)
RING_SECTORS = 24  # hat: angular sectors (15 degrees) a rim must mostly cover
RING_MAX_INNER_SHARE = 0.03  # ...with almost no points inside half its median radius (a ball's cap has ~10%)
RING_MIN_SIZE = 0.25  # ...and spanning at least a quarter of the hat (a horn's tip ball does not)


@dataclass(frozen=True)
class Pin:
    """Rotated `old` axis (times old_sign, or either sign when None) must equal new_sign * `new` axis."""

    old: int
    new: int
    old_sign: int | None = None
    new_sign: int = 1


def proper_axis_rotations() -> list[np.ndarray]:
    """The 24 rotations that map coordinate axes onto coordinate axes, identity first."""
    rotations = []
    for perm, signs in product(permutations(range(3)), product((1, -1), repeat=3)):
        matrix = np.zeros((3, 3))
        matrix[range(3), perm] = signs
        if np.linalg.det(matrix) > 0:
            rotations.append(matrix)
    rotations.sort(key=lambda m: -np.trace(m))
    return rotations


def smallest_rotation(pins: list[Pin]) -> np.ndarray:
    """The axis rotation with the largest trace (least turning) that satisfies every pin."""
    for matrix in proper_axis_rotations():
        if all(_satisfies(matrix, pin) for pin in pins):
            return matrix
    return np.eye(3)


def _satisfies(matrix: np.ndarray, pin: Pin) -> bool:
    value = matrix[pin.new, pin.old]
    if pin.old_sign is None:
        return value != 0
    return value * pin.old_sign == pin.new_sign


def surface_samples(triangles: list[tuple[np.ndarray, np.ndarray]], count: int = 8000) -> np.ndarray:
    """(count, 3) points spread over the surface by area, deterministic (fixed seed).

    Surface samples rather than vertices, so a low-poly temple (8 vertices) weighs as much as
    a finely tessellated one of the same size.
    """
    corners = np.concatenate([positions[indices] for positions, indices in triangles]).astype(np.float64)
    areas = 0.5 * np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1)
    rng = np.random.default_rng(0)
    total = areas.sum()
    if total > 0:
        chosen = rng.choice(len(corners), size=count, p=areas / total)
    else:
        chosen = rng.integers(0, len(corners), count)
    u, v = rng.random(count), rng.random(count)
    flip = u + v > 1
    u[flip], v[flip] = 1 - u[flip], 1 - v[flip]
    tri = corners[chosen]
    return tri[:, 0] + u[:, None] * (tri[:, 1] - tri[:, 0]) + v[:, None] * (tri[:, 2] - tri[:, 0])


def glasses_pins(points: np.ndarray) -> list[Pin]:
    """Pins from the frame-front slab, its width, the nose gap and the temples (see module doc)."""
    extent = np.ptp(points, axis=0)
    windows = [densest_window(points[:, axis], FRONT_SLAB_FRACTION * extent[axis]) for axis in range(3)]
    share = np.array([w[0] for w in windows])
    order = np.argsort(-share)
    if share[order[0]] < 1.5 * share[order[1]]:
        return []
    front = int(order[0])
    start = windows[front][1]
    slab = points[(points[:, front] >= start) & (points[:, front] <= start + FRONT_SLAB_FRACTION * extent[front])]
    width, height = sorted((a for a in range(3) if a != front), key=lambda a: -np.ptp(slab[:, a]))
    pins = [Pin(front, Z)]
    if np.ptp(slab[:, width]) < 1.3 * np.ptp(slab[:, height]):
        return pins
    pins.append(Pin(width, X))
    centre = (slab[:, width].min() + slab[:, width].max()) / 2
    column = slab[np.abs(slab[:, width] - centre) < 0.05 * np.ptp(slab[:, width])]
    if len(column):
        gap_below = column[:, height].min() - slab[:, height].min()
        gap_above = slab[:, height].max() - column[:, height].max()
        if abs(gap_below - gap_above) > 0.1 * np.ptp(slab[:, height]):
            pins.append(Pin(height, Y, old_sign=1 if gap_below > gap_above else -1))
    middle = start + FRONT_SLAB_FRACTION * extent[front] / 2
    ahead, behind = points[:, front].max() - middle, middle - points[:, front].min()
    if min(ahead, behind) < 0.5 * max(ahead, behind):
        pins.append(Pin(front, Z, old_sign=1 if ahead < behind else -1))
    return pins


def densest_window(values: np.ndarray, width: float) -> tuple[float, float]:
    """(share of values, start) of the interval of this width that holds the most values."""
    ordered = np.sort(values)
    counts = np.searchsorted(ordered, ordered + width, side="right") - np.arange(len(ordered))
    best = int(np.argmax(counts))
    return counts[best] / len(ordered), float(ordered[best])


def hat_pins(points: np.ndarray) -> list[Pin]:
    """Pin the one extreme direction whose slab is a ring (the head opening) to -Y."""
    extent = np.ptp(points, axis=0)
    for fraction in RIM_SLAB_FRACTIONS:
        rings = []
        for axis, sign in product(range(3), (1, -1)):
            along = sign * points[:, axis]
            across = [a for a in range(3) if a != axis]
            slab = points[along >= along.max() - fraction * extent[axis]][:, across]
            large = len(slab) > 0 and np.ptp(slab, axis=0).mean() >= RING_MIN_SIZE * extent[across].mean()
            if large and is_ring(slab):
                rings.append(Pin(axis, Y, old_sign=sign, new_sign=-1))
        if len(rings) == 1:
            return rings
    return []


def is_ring(points: np.ndarray) -> bool:
    """Whether 2D points surround their centre (most angular sectors occupied) with an empty middle."""
    if len(points) < RING_SECTORS:
        return False
    offset = points - (points.min(axis=0) + points.max(axis=0)) / 2
    radius = np.hypot(offset[:, 0], offset[:, 1])
    sectors = np.unique((np.arctan2(offset[:, 1], offset[:, 0]) + np.pi) * RING_SECTORS / (2 * np.pi) // 1)
    hollow = np.mean(radius < 0.5 * np.median(radius)) < RING_MAX_INNER_SHARE
    return len(sectors) >= 0.75 * RING_SECTORS and bool(hollow)


def earring_pins(points: np.ndarray) -> list[Pin]:
    """Pin the longest axis to vertical and, for a flat earring, the thinnest to front."""
    extent = np.ptp(points, axis=0)
    order = np.argsort(extent)
    thin, middle, longest = (int(a) for a in order)
    if extent[longest] <= 1.3 * extent[middle]:
        return []
    pins = [Pin(longest, Y)]
    if extent[thin] < 0.75 * extent[middle]:
        pins.append(Pin(thin, Z))
    return pins


def describe_rotation(rotation: np.ndarray, reason: str) -> str:
    """One normalisation step in words, e.g. 'up axis: Z-up -> Y-up (file's -Y is front)'."""
    up, front = _axis_name(rotation.T[:, Y]), _axis_name(rotation.T[:, Z])
    if np.allclose(rotation, np.eye(3)):
        return "orientation: already Y-up, +Z front"
    if up == "+Z":
        return f"up axis: Z-up -> Y-up (file's {front} is front; {reason})"
    return f"orientation: rotated so the file's {up} is up (+Y) and {front} is front (+Z); {reason}"


def _axis_name(vector: np.ndarray) -> str:
    axis = int(np.argmax(np.abs(vector)))
    return ("+" if vector[axis] > 0 else "-") + AXES[axis]
