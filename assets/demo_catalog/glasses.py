"""Glasses and sunglasses geometry from a handful of optical measurements.

Product frame (mm): origin at the centre of the bridge on the back surface of the frame front,
y = 0 at the height of the lens centres, the frame front in z [0, rim depth], temples running
back along -Z. Left and right are the wearer's: the left lens and temple sit at +X.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from demo_catalog.curves import outward_normals
from demo_catalog.outlines import LensShape, lens_outline, mirror_x
from demo_catalog.surfaces import (
    Part,
    Surface,
    make_part,
    planar_uvs,
    ring_surface,
    superellipse_section,
    sweep,
)

BridgeStyle = Literal["saddle", "double"]

_RIM_SAMPLES = 80  # chord error under 0.1 mm on a 50 mm lens
_LENS_SAMPLES = 48  # the lens edge hides in the rim groove, so it can be coarser
_SECTION_SAMPLES = 12  # multiple of 4: the section reaches its full width and depth
_GROOVE_MM = 0.8  # how far the lens edge reaches into the rim
_TEXTURE_TILE_MM = 64.0  # one tortoiseshell tile covers this much frame


@dataclass(frozen=True)
class FrameSpec:
    """A frame described the way an optician would (boxing system), plus build detail.

    frame_width_mm is the overall front width across the end pieces; rim_width_mm is the rim's
    face width and rim_depth_mm its front-to-back thickness. rim_exponent 2 gives a round wire,
    higher values a squarer acetate profile. hinge_height is the hinge y as a fraction of the
    lens half-height. lens_bulge_mm is how far the lens centre stands forward of its edge.
    """

    shape: LensShape
    lens_width_mm: float
    lens_height_mm: float
    bridge_mm: float
    frame_width_mm: float
    rim_width_mm: float
    rim_depth_mm: float
    rim_exponent: float
    temple_width_mm: float
    temple_height_mm: float
    temple_length_mm: float = 140.0
    hinge_height: float = 0.55
    bridge_height: float = 0.35
    bridge_style: BridgeStyle = "saddle"
    lens_thickness_mm: float = 1.8
    lens_bulge_mm: float = 1.2


def build_glasses(spec: FrameSpec) -> list[Part]:
    """Parts frame, lens_left, lens_right, temple_left, temple_right (textured frame and temples)."""
    half_box = spec.bridge_mm / 2 + spec.lens_width_mm / 2
    aperture_left = lens_outline(spec.shape, spec.lens_width_mm, spec.lens_height_mm, _RIM_SAMPLES)
    aperture_left = aperture_left + np.array([half_box, 0.0])
    apertures = {"left": aperture_left, "right": mirror_x(aperture_left)}
    z_mid = spec.rim_depth_mm / 2

    rims = {side: _offset(a, spec.rim_width_mm / 2) for side, a in apertures.items()}
    section = superellipse_section(spec.rim_width_mm / 2, z_mid, spec.rim_exponent, _SECTION_SAMPLES)
    front = [sweep(_at_z(rim, z_mid), section, up=(0, 0, 1), loop=True) for rim in rims.values()]
    front += _end_pieces(spec, rims["left"], z_mid)
    front += _bridges(spec, rims["left"], z_mid)
    front_uvs = planar_uvs((0, 1), _TEXTURE_TILE_MM, (0.5, 0.5))
    parts = [make_part("frame", front, front_uvs)]

    lens_left = lens_outline(spec.shape, spec.lens_width_mm, spec.lens_height_mm, _LENS_SAMPLES)
    lens_left = lens_left + np.array([half_box, 0.0])
    for side, outline in (("left", lens_left), ("right", mirror_x(lens_left))):
        centre = np.array([half_box if side == "left" else -half_box, 0.0])
        edge = _offset(outline, _GROOVE_MM)
        lens = _lens(edge, centre, z_mid, spec.lens_thickness_mm, spec.lens_bulge_mm)
        parts.append(make_part(f"lens_{side}", [lens]))

    for side, sign in (("left", 1.0), ("right", -1.0)):
        temple = _temple(spec, sign * (spec.frame_width_mm / 2 - spec.temple_width_mm / 2 - 0.3))
        parts.append(make_part(f"temple_{side}", [temple], planar_uvs((2, 1), _TEXTURE_TILE_MM, (0.2, 0.8))))
    return parts


def _end_pieces(spec: FrameSpec, rim_left: np.ndarray, z_mid: float) -> list[Surface]:
    """Blocks from each rim out to the hinge, whose tips set the frame width."""
    y = spec.hinge_height * spec.lens_height_mm / 2
    tip = 1.5
    x_start = _crossing_x(rim_left, y, outer=True)  # inner tip hides in the rim
    x_end = spec.frame_width_mm / 2 - tip
    height = max(spec.rim_width_mm, spec.temple_height_mm) + 1.5
    section = superellipse_section(height / 2, z_mid, 3.0, _SECTION_SAMPLES)
    pieces = []
    for sign in (1.0, -1.0):
        path = np.stack([np.linspace(x_start, x_end, 6) * sign, np.full(6, y), np.full(6, z_mid)], axis=1)
        pieces.append(sweep(path, section, up=(0, 0, 1), tip=tip))
    return pieces


def _bridges(spec: FrameSpec, rim_left: np.ndarray, z_mid: float) -> list[Surface]:
    """A saddle bridge arching over the nose; metal frames add a straight brow bar above it."""
    bars = [(spec.bridge_height * spec.lens_height_mm / 2, 2.0)]
    if spec.bridge_style == "double":
        bars.append((0.8 * spec.lens_height_mm / 2, 0.5))
    thickness = spec.rim_width_mm * 0.9
    section = superellipse_section(thickness / 2, z_mid * 0.9, spec.rim_exponent, _SECTION_SAMPLES)
    surfaces = []
    for y, arch in bars:
        # The bar ends at the rims' centrelines so its rounded tips hide inside them.
        x_end = _crossing_x(rim_left, y, outer=False)
        x = np.linspace(-x_end, x_end, 17)
        path = np.stack([x, y + arch * (1 - (x / x_end) ** 2), np.full_like(x, z_mid)], axis=1)
        surfaces.append(sweep(path, section, up=(0, 0, 1), tip=thickness / 2))
    return surfaces


def _temple(spec: FrameSpec, x: float) -> Surface:
    """A straight arm from inside the end piece back along -Z, thinning toward its tip."""
    y = spec.hinge_height * spec.lens_height_mm / 2
    tip = spec.temple_width_mm / 2
    z_front = spec.rim_depth_mm * 0.6  # starts inside the end piece, like a hinge
    z = np.linspace(z_front - tip, z_front - spec.temple_length_mm + tip, 12)
    path = np.stack([np.full_like(z, x), np.full_like(z, y), z], axis=1)
    section = superellipse_section(spec.temple_width_mm / 2, spec.temple_height_mm / 2, 3.0, _SECTION_SAMPLES)
    taper = np.linspace(1.0, 0.8, len(z))
    return sweep(path, section, up=(0, 1, 0), scale=taper, tip=tip)


def _lens(edge: np.ndarray, centre: np.ndarray, z_mid: float, thickness: float, bulge: float) -> Surface:
    """A thin curved lens filling the outline, with a rounded edge; closed so BLEND draws one layer."""
    rel = edge - centre
    normals = outward_normals(edge)
    half = thickness / 2
    rings = []
    steps = np.arange(1, 6) / 5
    for s in steps:  # front face, centre outward
        rings.append(_at_z(centre + s * rel, z_mid + half + bulge * (1 - s**2)))
    for a in np.radians([50.0, 0.0, -50.0]):  # rounded edge
        rings.append(_at_z(edge + normals * half * 0.6 * np.cos(a), z_mid + half * np.sin(a)))
    for s in steps[::-1]:  # back face, edge inward
        rings.append(_at_z(centre + s * rel, z_mid - half + bulge * (1 - s**2)))
    return ring_surface(
        np.stack(rings),
        start_apex=np.array([centre[0], centre[1], z_mid + half + bulge]),
        end_apex=np.array([centre[0], centre[1], z_mid - half + bulge]),
    )


def _offset(curve: np.ndarray, distance: float) -> np.ndarray:
    """The closed counter-clockwise curve moved outward by distance (mm)."""
    return curve + outward_normals(curve) * distance


def _at_z(points: np.ndarray, z: float | np.ndarray) -> np.ndarray:
    return np.concatenate([points, np.broadcast_to(np.asarray(z, float), (len(points),))[:, None]], axis=1)


def _crossing_x(curve: np.ndarray, y: float, *, outer: bool) -> float:
    """Where a closed curve (K,2) crosses height y: its outermost (max x) or innermost crossing."""
    a, b = curve, np.roll(curve, -1, axis=0)
    hit = (a[:, 1] - y) * (b[:, 1] - y) <= 0
    hit &= a[:, 1] != b[:, 1]
    t = (y - a[hit, 1]) / (b[hit, 1] - a[hit, 1])
    xs = a[hit, 0] + t * (b[hit, 0] - a[hit, 0])
    if len(xs) == 0:
        raise ValueError(f"the outline never reaches y = {y:.1f} mm; lower the hinge or bridge height")
    return float(xs.max() if outer else xs.min())
