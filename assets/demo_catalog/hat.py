"""A felt fedora: oval crown with a centre dent and front pinch, snap brim, ribbon band.

Product frame (mm): origin at the centre of the head opening, which lies in the plane y = 0;
the crown rises along +Y, the brim snaps down at the front (+Z) and turns up at the back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from demo_catalog.curves import resample_open
from demo_catalog.surfaces import Part, make_part, revolve, superellipse_section

_SEGMENTS = 64  # around the head; smooth normals hide the facets
BAND_SINK_MM = 0.5


@dataclass(frozen=True)
class FedoraSpec:
    """Sizes of a fedora. The head opening is an oval opening_width x opening_length (x by z).

    crown_height is the height of the crown's edge above the opening; dent_depth how far the top
    dips in the middle; pinch how much the front of the crown narrows near the top (fraction)
    and front_drop how much lower the top is at the front than at the back.
    """

    opening_width_mm: float = 160.0
    opening_length_mm: float = 195.0
    crown_height_mm: float = 112.0
    crown_taper_deg: float = 7.0
    dent_depth_mm: float = 22.0
    pinch: float = 0.2
    front_drop_mm: float = 9.0
    brim_width_mm: float = 300.0
    felt_mm: float = 2.5
    brim_thickness_mm: float = 3.0
    band_height_mm: float = 30.0


def build_fedora(spec: FedoraSpec) -> list[Part]:
    """Parts crown, brim and band."""
    r_open = spec.opening_width_mm / 2
    stretch = (spec.opening_length_mm - spec.opening_width_mm) / 2

    def z_radius(rho: np.ndarray) -> np.ndarray:
        # Oval grows in from the axis (so the crown top closes in a point) and is constant from
        # the head opening outward: the brim keeps an even margin around the head.
        u = np.clip(rho / r_open, 0.0, 1.0)
        return rho + stretch * (1 - (1 - u) ** 2)

    mid = _crown_midline(spec, r_open)
    outer, inner = _thicken(mid, spec.felt_mm)
    crown = revolve(np.concatenate([outer, inner]), _SEGMENTS, z_radius=z_radius)
    crown = crown.mapped(lambda p: _pinch_front(p, spec))

    brim_profile = _brim_profile(r_open + spec.felt_mm / 2, spec.brim_width_mm / 2, spec.brim_thickness_mm)
    brim = revolve(brim_profile, _SEGMENTS, loop=True, z_radius=z_radius, lift=_snap_brim(r_open, spec))

    # The ribbon's lower edge sinks 0.5 mm into the brim: a gap there shows the crown's felt as a
    # light sliver along the seam (the ribbon is darker and turned a little away from the light).
    band_profile = _band_profile(mid, spec.felt_mm, spec.brim_thickness_mm - BAND_SINK_MM, spec.band_height_mm)
    band = revolve(band_profile, _SEGMENTS, loop=True, z_radius=z_radius)
    return [make_part("crown", [crown]), make_part("brim", [brim]), make_part("band", [band])]


def _crown_midline(spec: FedoraSpec, r_open: float) -> np.ndarray:
    """Mid-surface of the felt (radius, y) from the top centre down to the opening."""
    half = spec.felt_mm / 2
    corner = 18.0  # radius where the top rolls over into the side wall
    taper = np.radians(spec.crown_taper_deg)
    top_y = spec.crown_height_mm - half
    theta_end = np.pi / 2 - taper
    end_y = top_y - corner + corner * np.cos(theta_end)
    centre_rho = (r_open + half) - (end_y - half) * np.tan(taper) - corner * np.sin(theta_end)
    dent_radius = 0.62 * centre_rho
    rho_top = np.linspace(0.0, centre_rho, 40)
    dent = np.clip(1 - (rho_top / dent_radius) ** 2, 0, None) ** 2
    top = np.stack([rho_top, top_y - spec.dent_depth_mm * dent], axis=1)
    theta = np.linspace(0.0, theta_end, 12)[1:]
    roll = np.stack([centre_rho + corner * np.sin(theta), top_y - corner + corner * np.cos(theta)], axis=1)
    end_rho = roll[-1, 0] + (end_y - half) * np.tan(taper)
    wall = np.stack([np.linspace(roll[-1, 0], end_rho, 20)[1:], np.linspace(end_y, half, 20)[1:]], axis=1)
    return np.concatenate([top, roll, wall])


def _thicken(mid: np.ndarray, thickness: float) -> tuple[np.ndarray, np.ndarray]:
    """Outer (top centre to bottom) and inner (bottom to top centre) felt surfaces, joined by a
    rounded lip at the opening, as one open profile for revolve. The lip's bottom is at y = 0."""
    half = thickness / 2
    fine = resample_open(mid, 32)
    coarse = resample_open(mid, 16)  # the inside is hidden by the head: fewer rings
    outer = fine + _left_normals(fine) * half
    inner = (coarse - _left_normals(coarse) * half)[::-1]
    end = fine[-1]
    tangent = (fine[-1] - fine[-2]) / np.linalg.norm(fine[-1] - fine[-2])
    normal = np.array([-tangent[1], tangent[0]])
    lip = [end + half * (np.cos(b) * normal + np.sin(b) * tangent) for b in np.radians([45.0, 90.0, 135.0])]
    outer[0, 0] = inner[-1, 0] = 0.0  # the profile must end on the axis
    return np.concatenate([outer, np.stack(lip)]), inner


def _left_normals(curve: np.ndarray) -> np.ndarray:
    """Unit normals to the left of the direction of travel; outward for the crown midline."""
    d = np.gradient(curve, axis=0)
    n = np.stack([-d[:, 1], d[:, 0]], axis=1)
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def _brim_profile(inner_rho: float, outer_rho: float, thickness: float) -> np.ndarray:
    """Closed (radius, y) outline of the brim's cross-section, its root hidden in the crown wall."""
    half_len = (outer_rho - inner_rho) / 2
    section = superellipse_section(half_len, thickness / 2, 8.0, 24)
    return section + np.array([inner_rho + half_len, thickness / 2])


def _band_profile(mid: np.ndarray, felt: float, bottom: float, height: float) -> np.ndarray:
    """Closed (radius, y) outline of a ribbon 1 mm proud of the crown's outer wall."""
    section = superellipse_section(0.9, height / 2, 6.0, 16)
    y = section[:, 1] + bottom + height / 2
    wall = mid[mid[:, 1] < bottom + height + 10][::-1]  # the straight wall, y increasing
    outer_rho = np.interp(y, wall[:, 1], wall[:, 0]) + felt / 2
    return np.stack([outer_rho + 0.1 + section[:, 0], y], axis=1)


def _snap_brim(r_open: float, spec: FedoraSpec) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Brim height offset: turned up at the sides and back, snapped down at the front."""
    span = spec.brim_width_mm / 2 - r_open

    def lift(rho: np.ndarray, phi: np.ndarray) -> np.ndarray:
        u = np.clip((rho - r_open - 4.0) / span, 0.0, 1.0) ** 2
        front_back = np.where(np.sin(phi) > 0, -7.0, 6.0)
        return u * (8.0 * np.cos(phi) ** 2 + front_back * np.sin(phi) ** 2)

    return lift


def _pinch_front(p: np.ndarray, spec: FedoraSpec) -> np.ndarray:
    """Narrow and lower the front of the crown toward the top: the fedora's teardrop."""
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    radial = np.hypot(x, z)
    front = np.divide(np.clip(z, 0, None), radial, out=np.zeros_like(z), where=radial > 0)
    t = np.clip((y - 0.35 * spec.crown_height_mm) / (0.65 * spec.crown_height_mm), 0.0, 1.0)
    rise = t * t * (3 - 2 * t)
    p[:, 0] = x * (1 - spec.pinch * rise * front**2)
    p[:, 1] = y - spec.front_drop_mm * rise * (z / spec.opening_length_mm + 0.5)
    return p
