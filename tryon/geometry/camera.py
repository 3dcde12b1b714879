"""Pinhole camera intrinsics in pixels, OpenCV axes (x right, y down, z forward)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# 60 degrees across the longer image side: a typical laptop webcam (55-78 degrees) and close to
# a phone's main camera. Used only when the caller gives no intrinsics; metric depth scales with
# it, but measurements (PD, face width) come from the iris ratio and barely depend on it.
DEFAULT_FOV_DEG = 60.0


@dataclass(frozen=True)
class CameraIntrinsics:
    """Focal lengths and principal point in pixels for an image of width x height."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    @classmethod
    def from_fov(cls, width: int, height: int, fov_deg: float = DEFAULT_FOV_DEG) -> "CameraIntrinsics":
        """Square pixels, centred principal point, `fov_deg` across the longer side."""
        if not 1.0 < fov_deg < 179.0:
            raise ValueError(f"field of view must be between 1 and 179 degrees, got {fov_deg}")
        f = 0.5 * max(width, height) / math.tan(math.radians(fov_deg) / 2.0)
        return cls(fx=f, fy=f, cx=width / 2.0, cy=height / 2.0, width=width, height=height)

    def matrix(self) -> np.ndarray:
        """3x3 float64 camera matrix K."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    def project(self, points: np.ndarray) -> np.ndarray:
        """(N,3) camera-frame points in mm -> (N,2) pixel coordinates."""
        p = np.asarray(points, dtype=np.float64)
        return np.stack([self.fx * p[:, 0] / p[:, 2] + self.cx, self.fy * p[:, 1] / p[:, 2] + self.cy], axis=1)

    def unproject(self, pixels: np.ndarray, depth: np.ndarray) -> np.ndarray:
        """(N,2) pixels and (N,) depths in mm -> (N,3) camera-frame points."""
        px = np.asarray(pixels, dtype=np.float64)
        z = np.asarray(depth, dtype=np.float64)
        return np.stack([(px[:, 0] - self.cx) * z / self.fx, (px[:, 1] - self.cy) * z / self.fy, z], axis=1)

    def scaled_to(self, width: int, height: int) -> "CameraIntrinsics":
        """The same camera for a resized image."""
        sx, sy = width / self.width, height / self.height
        return CameraIntrinsics(self.fx * sx, self.fy * sy, self.cx * sx, self.cy * sy, width, height)
