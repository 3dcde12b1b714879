"""Which tracked hands can hide a face's product, and how deep each one is.

A hand seen over a face is in front of it (were it behind, the head would hide it), whatever
its own depth estimate says: MediaPipe sizes every hand as an average one, so a small hand
reads too far and a big one too near, by up to ~10% of the distance. Such a hand is moved in
front of the face's nearest point; the glasses' front sits on the nose bridge, ~10-20 mm
nearer than it, and the nose tip ~20-30 mm. A hand only beside the face keeps its own depth:
it hides a temple or an earring only where it really is nearer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.hand_shape import HandShape, hand_shape
from tryon.tracking.hands import TrackedHand

# In front of the nose bridge (the head frame's origin): past the nose tip and a glasses front.
IN_FRONT_OF_BRIDGE_MM = 40.0
# The product region around a face box, in face widths: temples and earrings reach ~0.3 past
# the cheeks, a hat's crown ~0.8 above the landmarks' top, earrings ~0.3 below the jaw line.
REGION_SIDE = 0.3
REGION_ABOVE = 0.8
REGION_BELOW = 0.3


@dataclass(frozen=True)
class FaceRegion:
    """One tracked face: box_px (x0, y0, x1, y1) of its landmarks, pixels; bridge_depth_mm the
    camera-frame z of its nose bridge (the head pose's translation), mm."""

    box_px: tuple[float, float, float, float]
    bridge_depth_mm: float

    def product_box(self) -> tuple[float, float, float, float]:
        """Where the face's products can be drawn, pixels."""
        x0, y0, x1, y1 = self.box_px
        w = x1 - x0
        return x0 - REGION_SIDE * w, y0 - REGION_ABOVE * w, x1 + REGION_SIDE * w, y1 + REGION_BELOW * w


def hands_over_faces(hands: Sequence[TrackedHand], faces: Sequence[FaceRegion], camera: CameraIntrinsics,
                     cache: dict[int, tuple[TrackedHand, CameraIntrinsics, HandShape]] | None = None) -> list[HandShape]:
    """The shapes of the hands that reach into some face's product region, each moved in front
    of every face it overlaps; hands nowhere near a face are left out (they hide nothing).
    cache: shapes by hand, kept by the caller between frames (a still hand's answers are reused
    for several frames)."""
    shapes = []
    fresh: dict[int, tuple[TrackedHand, CameraIntrinsics, HandShape]] = {}
    for hand in hands:
        known = cache.get(id(hand)) if cache is not None else None
        if known is not None and known[0] is hand and known[1] == camera:
            shape = known[2]
        else:
            shape = hand_shape(hand, camera)
        fresh[id(hand)] = (hand, camera, shape)
        box = shape.box_px()
        near = False
        for face in faces:
            if _overlap(box, face.product_box()):
                near = True
                if _overlap(box, face.box_px):
                    shape = shape.in_front_of(face.bridge_depth_mm - IN_FRONT_OF_BRIDGE_MM)
        if near:
            shapes.append(shape)
    if cache is not None:
        cache.clear()
        cache.update(fresh)
    return shapes


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
