"""A tracked hand as a flat silhouette in the picture with a depth per joint: finger capsules
around the bones plus the palm polygon, sized from the hand's own landmarks.

Both the server's depth-only occluder (hand_occluder.py) and the browser's mask
(render/hand_mask.py) are drawn from this one shape, so both modes hide the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tryon.geometry.camera import CameraIntrinsics
from tryon.tracking.hands import TrackedHand

# MediaPipe's 21 joints: wrist 0; thumb 1-4; index 5-8; middle 9-12; ring 13-16; pinky 17-20.
BONES = np.array([
    (0, 1), (1, 2), (2, 3), (3, 4),
    (5, 6), (6, 7), (7, 8),
    (9, 10), (10, 11), (11, 12),
    (13, 14), (14, 15), (15, 16),
    (17, 18), (18, 19), (19, 20),
    (0, 5), (5, 9), (9, 13), (13, 17), (0, 17),
])  # fmt: skip
PALM = np.array([0, 1, 2, 5, 9, 13, 17])
KNUCKLES = np.array([5, 9, 13, 17])  # the MCP joints, side by side across the palm
THUMB = np.array([1, 2, 3, 4])
TIPS = np.array([4, 8, 12, 16, 20])
# Adjacent fingers touch at the knuckles, so a finger is as wide as the knuckle spacing: its
# radius is half of it (MediaPipe's model hand: ~19 mm spacing, a 9.5 mm radius). The thumb is
# thicker, the fingertips thinner than the knuckles (adult averages: ~22 mm thumb, ~16 mm tips).
FINGER_RADIUS_PER_SPACING = 0.5
THUMB_RADIUS_FACTOR = 1.15
TIP_RADIUS_FACTOR = 0.85
MIN_DEPTH_MM = 50.0  # nothing this close to a webcam is a tracked hand: a guard for bad fits


@dataclass(frozen=True, eq=False)
class HandShape:
    """joints_px (21,2) float64 pixels; radii_px (21,) float64 capsule radius at each joint,
    pixels; depth_mm (21,) float64 camera-frame z of each joint (mm)."""

    joints_px: np.ndarray
    radii_px: np.ndarray
    depth_mm: np.ndarray

    def box_px(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1): the silhouette's bounds, pixels."""
        lo = (self.joints_px - self.radii_px[:, None]).min(axis=0)
        hi = (self.joints_px + self.radii_px[:, None]).max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    def in_front_of(self, depth_mm: float) -> "HandShape":
        """The same silhouette with no joint deeper than `depth_mm` (a hand seen over a face is
        in front of it: were it behind, the head would hide it)."""
        return HandShape(self.joints_px, self.radii_px, np.minimum(self.depth_mm, depth_mm))


def hand_shape(hand: TrackedHand, camera: CameraIntrinsics) -> HandShape:
    """The hand's silhouette and joint depths for `camera` (intrinsics of the tracked frame)."""
    world_mm = hand.world_m * 1000.0
    joints = hand.landmarks_px[:, :2]
    translation = hand_translation_mm(joints, world_mm, camera)
    depth = np.maximum(world_mm[:, 2] + translation[2], MIN_DEPTH_MM)
    spacing_mm = float(np.linalg.norm(np.diff(world_mm[KNUCKLES], axis=0), axis=1).mean())
    radius_mm = np.full(len(joints), FINGER_RADIUS_PER_SPACING * spacing_mm)
    radius_mm[THUMB] *= THUMB_RADIUS_FACTOR
    radius_mm[TIPS] *= TIP_RADIUS_FACTOR
    radius_mm[4] = FINGER_RADIUS_PER_SPACING * spacing_mm * THUMB_RADIUS_FACTOR * TIP_RADIUS_FACTOR
    return HandShape(joints.copy(), camera.fx * radius_mm / depth, depth)


def hand_translation_mm(joints_px: np.ndarray, world_mm: np.ndarray, camera: CameraIntrinsics) -> np.ndarray:
    """(3,) camera-frame position (mm) of the origin of the hand's world landmarks: the t that
    best puts world_mm + t on the tracked pixels, as a linear least-squares problem
    (x_i (Z_i + tz) = X_i + tx per joint, likewise for y). Its depth is as sure as MediaPipe's
    average-hand size is for this hand (adult hands vary about +-10%)."""
    x = (joints_px[:, 0] - camera.cx) / camera.fx
    y = (joints_px[:, 1] - camera.cy) / camera.fy
    n = len(x)
    a = np.zeros((2 * n, 3))
    a[:n, 0] = 1.0
    a[:n, 2] = -x
    a[n:, 1] = 1.0
    a[n:, 2] = -y
    b = np.concatenate([x * world_mm[:, 2] - world_mm[:, 0], y * world_mm[:, 2] - world_mm[:, 1]])
    # Normal equations: a 3x3 solve, no LAPACK threads on the frame path.
    return np.linalg.solve(a.T @ a, a.T @ b)


def bone_quads(shape: HandShape) -> np.ndarray:
    """(B,4,2) pixels: each bone's band, its ends offset sideways by the joints' radii."""
    a = shape.joints_px[BONES[:, 0]]
    b = shape.joints_px[BONES[:, 1]]
    direction = b - a
    length = np.maximum(np.linalg.norm(direction, axis=1, keepdims=True), 1e-6)
    normal = np.stack([-direction[:, 1], direction[:, 0]], axis=1) / length
    ra = shape.radii_px[BONES[:, 0], None]
    rb = shape.radii_px[BONES[:, 1], None]
    return np.stack([a + normal * ra, b + normal * rb, b - normal * rb, a - normal * ra], axis=1)
