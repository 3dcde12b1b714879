"""Where the camera stands for a product picture: framed by the model's bounding sphere.

The sphere is centred on the bounds' centre (not the fit anchor, which for glasses sits at the
bridge) and holds every vertex, so a product turning about its vertical axis never leaves the
picture and a turntable keeps one framing for every frame. The model is scaled so the sphere
has a fixed radius: a 6 cm earring and a 2 m sofa then sit at the same distance, well inside
the renderer's near and far planes, and fill the same share of the picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tryon.geometry.camera import CameraIntrinsics
from tryon.products.model import ProductModel

# Across the shorter side: a short-telephoto look, with little perspective stretch at the edges.
FIELD_OF_VIEW_DEG = 30.0
FILL = 0.8  # the sphere's outline spans this share of the shorter side
SPHERE_RADIUS_MM = 100.0  # camera-frame radius every model is scaled to
_MIN_RADIUS_MM = 1e-3  # a model without extent still gets a finite scale
# Product frame (+Y up, +Z front) to camera frame (y down, z forward): the front faces the camera.
_FLIP_YZ = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True)
class BoundingSphere:
    """centre: (3,) float64, product frame (mm); radius in mm."""

    centre: np.ndarray
    radius: float


def bounding_sphere(model: ProductModel) -> BoundingSphere:
    """The sphere around the bounds' centre that holds every vertex (tighter than the box's
    corners for rounded products)."""
    centre = model.bounds.mean(axis=0).astype(np.float64)
    radius = 0.0
    for primitive in model.primitives:
        offsets = np.asarray(primitive.positions, np.float64).reshape(-1, 3) - centre
        if len(offsets):
            radius = max(radius, float(np.sqrt(np.einsum("ij,ij->i", offsets, offsets).max())))
    return BoundingSphere(centre, max(radius, _MIN_RADIUS_MM))


def view_camera(width: int, height: int, fov_deg: float = FIELD_OF_VIEW_DEG) -> CameraIntrinsics:
    """Square pixels, centred principal point, `fov_deg` across the shorter side."""
    focal = 0.5 * min(width, height) / math.tan(math.radians(fov_deg) / 2.0)
    return CameraIntrinsics(focal, focal, width / 2.0, height / 2.0, width, height)


def viewing_distance_mm(fov_deg: float = FIELD_OF_VIEW_DEG, fill: float = FILL) -> float:
    """Camera to sphere centre, for a sphere of SPHERE_RADIUS_MM whose outline (its tangent cone,
    which perspective makes a little wider than the sphere) spans `fill` of the shorter side."""
    half_angle = math.atan(fill * math.tan(math.radians(fov_deg) / 2.0))
    return SPHERE_RADIUS_MM / math.sin(half_angle)


def camera_from_model(sphere: BoundingSphere, yaw_deg: float, pitch_deg: float,
                      fov_deg: float = FIELD_OF_VIEW_DEG) -> np.ndarray:
    """(4,4) float64 camera_from_model for the view: the sphere centred on the optical axis.

    yaw_deg turns the camera about the product's vertical axis toward its +X side (0: the
    front, +Z, faces the camera; 90: the +X side does); pitch_deg raises the camera above the
    horizontal, so the top shows. Includes the scale to SPHERE_RADIUS_MM.
    """
    yaw, pitch = math.radians(yaw_deg), math.radians(pitch_deg)
    # The product turned by -yaw about +Y brings its +X side toward the camera.
    cy, sy = math.cos(-yaw), math.sin(-yaw)
    turn = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
    # Tilting +Y toward +Z about +X is the camera looking down from above.
    cp, sp = math.cos(pitch), math.sin(pitch)
    tilt = np.array([[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]])
    scale = SPHERE_RADIUS_MM / sphere.radius
    rotation = _FLIP_YZ @ tilt @ turn * scale
    matrix = np.eye(4)
    matrix[:3, :3] = rotation
    matrix[:3, 3] = np.array([0.0, 0.0, viewing_distance_mm(fov_deg)]) - rotation @ sphere.centre
    return matrix
