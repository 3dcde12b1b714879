"""Where hands hide the products, as a small PNG for clients that draw the products themselves
(the browser's 3D mode): the hands' silhouettes (hand_shape.py) over the box they cover, at a
quarter of the frame's resolution.

Why a quarter: the page scales the mask back up with bilinear filtering, so its edge lands within
~1 px of the silhouette at 640x480, and a thumb-and-fist box (~150x250 px) costs ~2.3 kB raw,
a few hundred bytes as a PNG. The mask is the silhouette alone, no depth: every hand in it is
one that hands_over_faces placed in front of a face, so it hides whatever product it covers.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from tryon.geometry.hand_shape import PALM, HandShape, bone_quads

MASK_SCALE = 4  # frame pixels per mask pixel
_SUBPIXEL_BITS = 4  # cv2's fixed-point drawing: 1/16 px steps


@dataclass(frozen=True)
class HandMask:
    """box_px (x0, y0, x1, y1): frame pixels the mask covers (x1, y1 exclusive), multiples of
    MASK_SCALE clipped to the frame; png: grey 8-bit, ceil(w / MASK_SCALE) x ceil(h / MASK_SCALE),
    255 where a hand is (anti-aliased edges), 0 elsewhere."""

    box_px: tuple[int, int, int, int]
    png: bytes

    def to_json(self) -> dict:
        return {"box_px": list(self.box_px), "scale": MASK_SCALE,
                "png_base64": base64.b64encode(self.png).decode("ascii")}


def build_hand_mask(shapes: Sequence[HandShape], width: int, height: int) -> HandMask | None:
    """The mask of `shapes` in a width x height frame, or None when none is in view."""
    if not shapes:
        return None
    boxes = np.array([shape.box_px() for shape in shapes])
    x0 = max(0, int(np.floor(boxes[:, 0].min() / MASK_SCALE)) * MASK_SCALE)
    y0 = max(0, int(np.floor(boxes[:, 1].min() / MASK_SCALE)) * MASK_SCALE)
    x1 = min(width, int(np.ceil(boxes[:, 2].max())) + 1)
    y1 = min(height, int(np.ceil(boxes[:, 3].max())) + 1)
    if x1 <= x0 or y1 <= y0:
        return None
    mask = np.zeros((-(-(y1 - y0) // MASK_SCALE), -(-(x1 - x0) // MASK_SCALE)), np.uint8)
    for shape in shapes:
        draw_silhouette(mask, shape, (x0, y0), MASK_SCALE)
    ok, png = cv2.imencode(".png", mask, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:  # cv2 fails only on an empty image, ruled out above
        raise RuntimeError("PNG encoding of the hand mask failed")
    return HandMask((x0, y0, x1, y1), png.tobytes())


def draw_silhouette(mask: np.ndarray, shape: HandShape, origin_px: tuple[int, int], scale: int) -> None:
    """Fill `shape` into `mask` (uint8, 255 = hand), whose pixel (0, 0) is frame pixel `origin_px`
    and one mask pixel `scale` frame pixels."""
    one = 1 << _SUBPIXEL_BITS

    def to_mask(points: np.ndarray) -> np.ndarray:
        # Landmarks measure from the frame's left edge; cv2 puts integer coordinates on pixel
        # centres, half a mask pixel in.
        return np.rint(((points - np.asarray(origin_px)) / scale - 0.5) * one).astype(np.int32)

    centres = to_mask(shape.joints_px)
    for (cx, cy), r in zip(centres, shape.radii_px):
        cv2.circle(mask, (int(cx), int(cy)), int(round(r / scale * one)), 255, -1, cv2.LINE_AA, _SUBPIXEL_BITS)
    for quad in bone_quads(shape):
        cv2.fillConvexPoly(mask, to_mask(quad), 255, cv2.LINE_AA, _SUBPIXEL_BITS)
    palm = cv2.convexHull(to_mask(shape.joints_px[PALM]))
    cv2.fillConvexPoly(mask, palm, 255, cv2.LINE_AA, _SUBPIXEL_BITS)
