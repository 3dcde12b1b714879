"""GL clip-space projection built from pinhole intrinsics, OpenCV camera axes kept as they are.

Window x = u and window y = v (v = 0 is the top image row maps to NDC y = -1), so the GL
framebuffer's first row is the image's top row: uploads and read-backs need no flip. Pixel
coordinates follow the "edge" convention that `CameraIntrinsics.from_fov` and MediaPipe use:
pixel i covers [i, i + 1), its centre at i + 0.5.
"""

from __future__ import annotations

import numpy as np

from tryon.geometry.camera import CameraIntrinsics

# Products sit 50 mm .. 5000 mm from the camera; 10 mm / 10 m leaves margin both ways and, with
# a 24-bit depth buffer, resolves ~0.002 mm at 500 mm (occluders are pushed back ~1 mm).
NEAR_MM = 10.0
FAR_MM = 10_000.0


def projection_from_intrinsics(
    camera: CameraIntrinsics, near: float = NEAR_MM, far: float = FAR_MM
) -> np.ndarray:
    """(4,4) float64 clip-from-camera matrix for camera-frame points in mm (x right, y down, z forward).

    A point p maps to NDC x = 2 u / width - 1, NDC y = 2 v / height - 1, where (u, v) is
    `camera.project(p)`; depth runs from -1 at `near` to +1 at `far`.
    """
    if not 0.0 < near < far:
        raise ValueError(f"need 0 < near < far, got near={near}, far={far}")
    w, h = float(camera.width), float(camera.height)
    return np.array(
        [
            [2.0 * camera.fx / w, 0.0, 2.0 * camera.cx / w - 1.0, 0.0],
            [0.0, 2.0 * camera.fy / h, 2.0 * camera.cy / h - 1.0, 0.0],
            [0.0, 0.0, (far + near) / (far - near), -2.0 * far * near / (far - near)],
            [0.0, 0.0, 1.0, 0.0],
        ]
    )


def screen_footprint(
    camera: CameraIntrinsics, points: np.ndarray, pad_px: int = 2, near: float = NEAR_MM
) -> tuple[int, int, int, int] | None:
    """Pixel box (x0, y0, x1, y1), end-exclusive, covering camera-frame `points` (N,3) mm.

    Padded by `pad_px` for anti-aliased edges and clipped to the image; None when nothing is
    in view. A point nearer than `near` projects unboundedly, so the whole image is returned.
    """
    p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    if len(p) == 0:
        return None
    in_front = p[:, 2] > near
    if not in_front.any():
        return None
    if not in_front.all():
        return (0, 0, camera.width, camera.height)
    uv = camera.project(p)
    x0 = max(int(np.floor(uv[:, 0].min())) - pad_px, 0)
    y0 = max(int(np.floor(uv[:, 1].min())) - pad_px, 0)
    x1 = min(int(np.ceil(uv[:, 0].max())) + pad_px, camera.width)
    y1 = min(int(np.ceil(uv[:, 1].max())) + pad_px, camera.height)
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1, y1)


def patch_camera(camera: CameraIntrinsics, box: tuple[int, int, int, int]) -> CameraIntrinsics:
    """The camera that sees only the pixel box (x0, y0, x1, y1): same rays, shifted origin."""
    x0, y0, x1, y1 = box
    return CameraIntrinsics(camera.fx, camera.fy, camera.cx - x0, camera.cy - y0, x1 - x0, y1 - y0)
