"""Each glasses temple fitted on its own: turned at its hinge so that it reaches the ear root.

The front is placed on the nose (glasses.py); a temple is then swung about its hinge, first
outward or inward (spread, about the front's vertical axis), then up or down (droop, about its
own horizontal axis), so that the point of its centre line that lies as far from the hinge as
the ear root does lands on the ear root. The ear root comes from the wearer's own landmarks
(tryon/geometry/ear_roots.py), so the temple follows the face in the picture, not the head
pitch: a pitch error moves the front, and the temples still end at the ears. Limits keep the
swing to what a sprung hinge and a warmed temple allow; a limit reached is reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tryon.geometry.camera import CameraIntrinsics
from tryon.products.glasses_rig import GlassesRig, TempleRig

# How far a temple may turn from the model's own shape (degrees). Spread: outward positive; a
# sprung hinge opens ~15 degrees, a frame too wide for the head closes a few. Droop: down
# positive; opticians bend temples by up to ~15 degrees, more is a wrong ear estimate.
MAX_SPREAD_OUT_DEG, MAX_SPREAD_IN_DEG = 20.0, 10.0
MAX_DROOP_DEG = 20.0


@dataclass(frozen=True)
class TempleFit:
    """One temple's fit. transform: (4,4) product frame -> product frame (mm), the temple part's
    motion. spread_deg / droop_deg: the swing applied (outward / down positive). hinge / tip:
    (3,) product frame mm, the pivot and where the temple's resting point ends up; tip_head: the
    same in the head frame. gap_mm: its distance from the ear root (0 unless a limit was reached
    or the temple is too short). limited: a limit was hit."""

    part: str
    transform: np.ndarray
    spread_deg: float
    droop_deg: float
    hinge: np.ndarray
    tip: np.ndarray
    tip_head: np.ndarray
    gap_mm: float
    limited: bool


def fit_temples(rig: GlassesRig, head_from_product: np.ndarray, ear_roots_head: np.ndarray) -> tuple[TempleFit, TempleFit]:
    """Both temples' fits for a front placed at `head_from_product` ((4,4), may include scale),
    with the ear roots (2,3) head frame mm, the wearer's right first."""
    linear = head_from_product[:3, :3]
    # head_from_product is a rotation times a uniform scale: its inverse is the transpose / scale^2.
    inverse = linear.T / float(linear[:, 0] @ linear[:, 0])
    offset = head_from_product[:3, 3]
    fits = []
    for temple, root_head in zip(rig.temples, ear_roots_head):
        root = inverse @ (root_head - offset)
        fits.append(_fit_one(temple, root, head_from_product, root_head))
    return fits[0], fits[1]


def _fit_one(temple: TempleRig, root: np.ndarray, head_from_product: np.ndarray, root_head: np.ndarray) -> TempleFit:
    outward = 1.0 if temple.hinge[0] > 0 else -1.0
    wanted = root - temple.hinge
    rest = temple.point_at(math.sqrt(float(wanted @ wanted))) - temple.hinge
    spread = _horizontal_angle(wanted, outward) - _horizontal_angle(rest, outward)
    spread_limited = float(np.clip(spread, -math.radians(MAX_SPREAD_IN_DEG), math.radians(MAX_SPREAD_OUT_DEG)))
    yaw = _rotation_y(-outward * spread_limited)
    turned = yaw @ rest
    rise = _elevation(wanted) - _elevation(turned)
    rise_limited = float(np.clip(rise, -math.radians(MAX_DROOP_DEG), math.radians(MAX_DROOP_DEG)))
    axis = np.array([-turned[2], 0.0, turned[0]])  # the turned temple's horizontal direction x +Y
    rotation = _rotation_about(axis, rise_limited) @ yaw
    transform = np.eye(4)
    transform[:3, :3] = rotation
    transform[:3, 3] = temple.hinge - rotation @ temple.hinge
    tip = temple.hinge + rotation @ rest
    tip_head = head_from_product[:3, :3] @ tip + head_from_product[:3, 3]
    return TempleFit(
        part=temple.part,
        transform=transform,
        spread_deg=math.degrees(spread_limited),
        droop_deg=-math.degrees(rise_limited),
        hinge=temple.hinge,
        tip=tip,
        tip_head=tip_head,
        gap_mm=math.dist(tip_head.tolist(), root_head.tolist()),
        limited=spread_limited != spread or rise_limited != rise,
    )


def picture_angle_deg(camera: CameraIntrinsics, camera_from_product: np.ndarray, fits: tuple[TempleFit, ...]) -> list[float]:
    """Each temple's angle in the picture (degrees): how far the line from its hinge to its
    resting point rises above the frame's own horizontal (the line through both hinges), run
    taken outward or inward alike; negative: it drops. What a shopper sees as antennae (large
    positive) or bars down the cheek (large negative)."""
    hinges = np.array([fit.hinge for fit in fits])
    tips = np.array([fit.tip for fit in fits])
    pixels = camera.project(_apply(camera_from_product, np.concatenate([hinges, tips])))
    hinge_px, tip_px = pixels[: len(fits)], pixels[len(fits):]
    across = hinge_px[-1] - hinge_px[0] if len(fits) > 1 else np.array([1.0, 0.0])
    across = across / max(float(np.linalg.norm(across)), 1e-9)
    up = np.array([across[1], -across[0]])  # image y grows down: up is across turned anticlockwise
    angles = []
    for h, t in zip(hinge_px, tip_px):
        d = t - h
        angles.append(math.degrees(math.atan2(float(d @ up), abs(float(d @ across)))))
    return angles


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:3, :3].T + matrix[:3, 3]


def _horizontal_angle(v: np.ndarray, outward: float) -> float:
    """Angle from straight back (-Z) toward the outside, in the front's horizontal plane."""
    return math.atan2(outward * float(v[0]), -float(v[2]))


def _elevation(v: np.ndarray) -> float:
    return math.atan2(float(v[1]), math.hypot(float(v[0]), float(v[2])))


def _rotation_y(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _rotation_about(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rodrigues' rotation about a unit axis."""
    x, y, z = (axis / max(math.sqrt(float(axis @ axis)), 1e-12)).tolist()
    k = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    return np.eye(3) + math.sin(angle) * k + (1.0 - math.cos(angle)) * (k @ k)
