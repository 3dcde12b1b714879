"""A drop earring: French hook wire, jump ring, bead cap and a teardrop pearl.

Product frame (mm): origin at the top of the hook's arc, where the wire rests in the piercing;
the earring hangs toward -Y. The hook lies in the XY plane, because the piercing runs sideways
through the lobe: modelled for the wearer's left ear, the front of the hook (carrying the drop)
is at +X and the tail behind the lobe at -X; mirror x for the right ear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo_catalog.curves import resample_open
from demo_catalog.surfaces import Part, make_part, revolve, superellipse_section, sweep


@dataclass(frozen=True)
class DropEarringSpec:
    """Sizes of the earring; the drop length runs from the origin to the pearl's bottom."""

    wire_mm: float = 0.8
    hook_radius_mm: float = 4.0
    pearl_width_mm: float = 8.5
    pearl_height_mm: float = 11.5
    ring_radius_mm: float = 1.5
    ring_wire_mm: float = 0.6


def build_drop_earring(spec: DropEarringSpec) -> list[Part]:
    """Parts hook (wire, jump ring and bead cap: the metal) and pearl."""
    wire = spec.wire_mm / 2
    path, hook_end_y = _hook_path(spec.hook_radius_mm)
    hook = sweep(path, superellipse_section(wire, wire, 2.0, 8), up=(0, 0, 1), tip=wire)

    # The jump ring hangs on the hook's end, its inside resting on the wire.
    ring_y = hook_end_y + wire - (spec.ring_radius_mm - spec.ring_wire_mm / 2)
    a = 2 * np.pi * np.arange(24) / 24
    ring_path = np.stack(
        [np.zeros_like(a), ring_y + spec.ring_radius_mm * np.cos(a), spec.ring_radius_mm * np.sin(a)], axis=1
    )
    ring = sweep(
        ring_path,
        superellipse_section(spec.ring_wire_mm / 2, spec.ring_wire_mm / 2, 2.0, 8),
        up=(1, 0, 0),
        loop=True,
    )

    pearl_top = ring_y - spec.ring_radius_mm - 0.6
    cap = revolve(_ellipse_profile(2.3, 1.1, pearl_top, 10), 24)
    pearl = revolve(_drop_profile(spec.pearl_width_mm / 2, spec.pearl_height_mm, pearl_top - 0.3, 24), 40)
    return [make_part("hook", [hook, ring, cap]), make_part("pearl", [pearl])]


def _hook_path(radius: float) -> tuple[np.ndarray, float]:
    """Centreline of the French hook (K,3): tail behind the lobe, arc through the piercing with
    its top at the origin, then down the front and curling under to end heading -X."""
    tail = np.stack([np.full(8, -radius), np.linspace(-3.75 * radius, -radius, 8)], axis=1)
    theta = np.linspace(np.pi, 0.0, 33)
    arc = np.stack([radius * np.cos(theta), -radius + radius * np.sin(theta)], axis=1)
    front = np.stack([np.full(4, radius), np.linspace(-radius, -1.9 * radius, 4)], axis=1)
    curl_r = 0.95 * radius
    a = np.linspace(0.0, -np.pi / 2, 12)
    curl = np.stack([radius - curl_r + curl_r * np.cos(a), -1.9 * radius + curl_r * np.sin(a)], axis=1)
    end = curl[-1] + np.array([-0.2 * radius, 0.0])
    points = np.concatenate([tail[:-1], arc, front[1:], curl[1:], end[None]])
    path = resample_open(points, 72)
    return np.concatenate([path, np.zeros((len(path), 1))], axis=1), float(end[1])


def _ellipse_profile(half_width: float, half_height: float, centre_y: float, count: int) -> np.ndarray:
    """(radius, y) half-ellipse from its top on the axis to its bottom on the axis."""
    t = np.linspace(0.0, np.pi, count)
    profile = np.stack([half_width * np.sin(t), centre_y + half_height * np.cos(t)], axis=1)
    profile[[0, -1], 0] = 0.0
    return profile


def _drop_profile(half_width: float, height: float, top_y: float, count: int) -> np.ndarray:
    """(radius, y) teardrop, narrower at the top where it hangs, from top to bottom."""
    t = np.linspace(0.0, np.pi, count)
    rho = np.sin(t) * (1 - 0.22 * np.cos(t))
    rho = rho * half_width / rho.max()
    profile = np.stack([rho, top_y - height / 2 + height / 2 * np.cos(t)], axis=1)
    profile[[0, -1], 0] = 0.0
    return profile
