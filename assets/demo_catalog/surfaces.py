"""Closed, smooth triangle surfaces built from stacks of point rings.

Every demo part is a stack of R rings of S points. Neighbouring rings are joined by quads; the
stack either closes into a loop (torus-like: rims, hat brims) or ends in an apex vertex at each
end (sphere-like: lenses, pearls, tubes with rounded tips). Vertices are shared, so averaging
face normals per vertex shades the whole part smoothly without seams, and each surface is closed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Surface:
    """A closed triangle mesh with outward winding. positions (N,3) float64 mm, indices (M,3) int64."""

    positions: np.ndarray
    indices: np.ndarray

    def mapped(self, fn: Callable[[np.ndarray], np.ndarray]) -> Surface:
        """The same connectivity with positions moved by fn ((N,3) -> (N,3)), re-oriented."""
        return oriented_outward(Surface(fn(self.positions.copy()), self.indices))


@dataclass(frozen=True, eq=False)
class Part:
    """One named drawable of a product: closed, smooth, in the product frame (mm).

    positions (N,3) float64, normals (N,3) float64 unit, indices (M,3) int64, uvs (N,2) float64
    in glTF convention (origin top-left) or None.
    """

    name: str
    positions: np.ndarray
    normals: np.ndarray
    indices: np.ndarray
    uvs: np.ndarray | None = None


def ring_surface(
    rings: np.ndarray,
    *,
    loop: bool = False,
    start_apex: np.ndarray | None = None,
    end_apex: np.ndarray | None = None,
) -> Surface:
    """Join rings (R,S,3) into a closed surface.

    loop joins the last ring back to the first; otherwise both ends need an apex point (3,) so
    the surface has no hole.
    """
    n_rings, n_side, _ = rings.shape
    if not loop and (start_apex is None or end_apex is None):
        raise ValueError("an open ring stack needs a start and an end apex to be closed")
    positions = [rings.reshape(-1, 3)]
    col = np.arange(n_side)
    nxt = (col + 1) % n_side
    faces = []
    bands = n_rings if loop else n_rings - 1
    for r in range(bands):
        a = r * n_side
        b = ((r + 1) % n_rings) * n_side
        faces.append(np.stack([a + col, a + nxt, b + nxt], axis=1))
        faces.append(np.stack([a + col, b + nxt, b + col], axis=1))
    if not loop:
        first = n_rings * n_side
        last = first + 1
        positions += [np.asarray(start_apex, float)[None], np.asarray(end_apex, float)[None]]
        faces.append(np.stack([np.full(n_side, first), nxt, col], axis=1))
        tail = (n_rings - 1) * n_side
        faces.append(np.stack([np.full(n_side, last), tail + col, tail + nxt], axis=1))
    surface = Surface(np.concatenate(positions), np.concatenate(faces).astype(np.int64))
    return oriented_outward(surface)


def sweep(
    path: np.ndarray,
    section: np.ndarray,
    *,
    up: Sequence[float],
    loop: bool = False,
    scale: np.ndarray | None = None,
    tip: float = 0.0,
) -> Surface:
    """Sweep a closed 2D section (S,2) along a path (K,3).

    The section's first coordinate runs along u = tangent x v, its second along v = `up` made
    perpendicular to the tangent, so for a counter-clockwise curve in the XY plane with up=+Z, u
    points outward. scale (K,) shrinks the section along the path. An open path gets rounded
    tips of length `tip` beyond each end (a quarter ellipse), which close the tube.
    """
    path = np.asarray(path, float)
    section = np.asarray(section, float)
    tangents = _tangents(path, loop)
    v = np.asarray(up, float)[None, :] - (tangents @ np.asarray(up, float))[:, None] * tangents
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    u = np.cross(tangents, v)
    k = np.ones(len(path)) if scale is None else np.asarray(scale, float)
    rings = (
        path[:, None, :]
        + k[:, None, None] * section[None, :, 0:1] * u[:, None, :]
        + k[:, None, None] * section[None, :, 1:2] * v[:, None, :]
    )
    if loop:
        return ring_surface(rings, loop=True)
    if tip <= 0:
        raise ValueError("an open sweep needs a positive tip length to be closed")
    # Rounded tips: the section shrinks along a quarter ellipse past each end of the path.
    angles = np.linspace(0, np.pi / 2, 5)[1:-1]
    start_caps = [
        path[0] - tangents[0] * tip * np.sin(a) + np.cos(a) * (rings[0] - path[0]) for a in angles[::-1]
    ]
    end_caps = [
        path[-1] + tangents[-1] * tip * np.sin(a) + np.cos(a) * (rings[-1] - path[-1]) for a in angles
    ]
    stack = np.concatenate([np.stack(start_caps), rings, np.stack(end_caps)])
    return ring_surface(
        stack,
        start_apex=path[0] - tangents[0] * tip,
        end_apex=path[-1] + tangents[-1] * tip,
    )


def revolve(
    profile: np.ndarray,
    segments: int,
    *,
    loop: bool = False,
    z_radius: Callable[[np.ndarray], np.ndarray] | None = None,
    lift: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> Surface:
    """Revolve a profile (R,2) of (radius, y) points about the Y axis.

    loop: the profile is a closed curve (a ring-shaped solid). Otherwise it must start and end
    on the axis (radius 0), where the apexes go. z_radius maps the x radius to the z radius,
    which turns circles into ovals (a hat's head opening is longer than it is wide). lift maps
    radius (R,1) and angle (1,S) to a y offset (R,S), e.g. a brim turned up at the back; the
    angle is 0 at +X and pi/2 at +Z.
    """
    profile = np.asarray(profile, float)
    phi = 2 * np.pi * np.arange(segments) / segments
    body = profile if loop else profile[1:-1]
    rho = body[:, 0:1]
    rho_z = rho if z_radius is None else z_radius(rho)
    y = np.repeat(body[:, 1:2], segments, axis=1)
    if lift is not None:
        y = y + lift(rho, phi[None])
    rings = np.stack([rho * np.cos(phi)[None], y, rho_z * np.sin(phi)[None]], axis=2)
    if loop:
        return ring_surface(rings, loop=True)
    if profile[0, 0] != 0 or profile[-1, 0] != 0:
        raise ValueError("an open profile must start and end on the axis (radius 0)")
    return ring_surface(
        rings,
        start_apex=np.array([0.0, profile[0, 1], 0.0]),
        end_apex=np.array([0.0, profile[-1, 1], 0.0]),
    )


def superellipse_section(half_u: float, half_v: float, exponent: float, count: int) -> np.ndarray:
    """Closed (count,2) cross-section: exponent 2 is an ellipse, higher is a rounder-cornered box."""
    t = 2 * np.pi * np.arange(count) / count
    c, s = np.cos(t), np.sin(t)
    p = 2.0 / exponent
    return np.stack([half_u * np.sign(c) * np.abs(c) ** p, half_v * np.sign(s) * np.abs(s) ** p], axis=1)


def oriented_outward(surface: Surface) -> Surface:
    """Flip the winding if the enclosed volume comes out negative (normals pointing inward)."""
    if signed_volume(surface) < 0:
        return Surface(surface.positions, surface.indices[:, ::-1].copy())
    return surface


def signed_volume(surface: Surface) -> float:
    """Enclosed volume (mm^3), positive when faces wind counter-clockwise seen from outside."""
    a, b, c = (surface.positions[surface.indices[:, k]] for k in range(3))
    return float(np.einsum("ij,ij->", a, np.cross(b, c)) / 6.0)


def make_part(
    name: str, surfaces: Sequence[Surface], uvs: Callable[[np.ndarray], np.ndarray] | None = None
) -> Part:
    """Join closed surfaces into one drawable with smooth vertex normals and optional UVs."""
    positions, indices, offset = [], [], 0
    for s in surfaces:
        positions.append(s.positions)
        indices.append(s.indices + offset)
        offset += len(s.positions)
    pos = np.concatenate(positions)
    idx = np.concatenate(indices)
    return Part(name, pos, vertex_normals(pos, idx), idx, None if uvs is None else uvs(pos))


def vertex_normals(positions: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Area-weighted average of the adjacent face normals, (N,3) unit."""
    tri = positions[indices]
    face = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normals = np.zeros_like(positions)
    for k in range(3):
        for axis in range(3):
            normals[:, axis] += np.bincount(indices[:, k], weights=face[:, axis], minlength=len(positions))
    return normals / np.linalg.norm(normals, axis=1, keepdims=True)


def planar_uvs(
    axes: tuple[int, int], tile_mm: float, offset: tuple[float, float] = (0.0, 0.0)
) -> Callable[[np.ndarray], np.ndarray]:
    """UVs projected on two axes, one texture tile per tile_mm; v grows downward as glTF wants."""

    def project(positions: np.ndarray) -> np.ndarray:
        u = positions[:, axes[0]] / tile_mm + offset[0]
        v = -positions[:, axes[1]] / tile_mm + offset[1]
        return np.stack([u, v], axis=1)

    return project


def _tangents(path: np.ndarray, loop: bool) -> np.ndarray:
    if loop:
        d = np.roll(path, -1, axis=0) - np.roll(path, 1, axis=0)
    else:
        d = np.gradient(path, axis=0)
    return d / np.linalg.norm(d, axis=1, keepdims=True)
