"""Plane curves: even resampling by arc length and outward normals, for sweeps and outlines."""

from __future__ import annotations

import numpy as np


def resample_closed(points: np.ndarray, count: int) -> np.ndarray:
    """count points evenly spaced by arc length along a closed polyline (K,D), starting at points[0]."""
    ring = np.concatenate([points, points[:1]])
    return _resample(ring, count + 1)[:-1]


def resample_open(points: np.ndarray, count: int) -> np.ndarray:
    """count points evenly spaced by arc length along an open polyline (K,D), ends kept."""
    return _resample(points, count)


def outward_normals(points: np.ndarray) -> np.ndarray:
    """Unit outward normals (K,2) of a closed counter-clockwise plane curve (K,2)."""
    d = np.roll(points, -1, axis=0) - np.roll(points, 1, axis=0)
    n = np.stack([d[:, 1], -d[:, 0]], axis=1)
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def signed_area(points: np.ndarray) -> float:
    """Shoelace area of a closed plane curve (K,2); positive when counter-clockwise."""
    x, y = points[:, 0], points[:, 1]
    return float(0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def _resample(polyline: np.ndarray, count: int) -> np.ndarray:
    seg = np.linalg.norm(np.diff(polyline, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    targets = np.linspace(0.0, s[-1], count)
    return np.stack([np.interp(targets, s, polyline[:, d]) for d in range(polyline.shape[1])], axis=1)
