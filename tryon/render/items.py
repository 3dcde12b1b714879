"""What the renderer draws: placed products and depth-only occluders, all in camera space."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from tryon.products.model import ProductModel


@dataclass(frozen=True, eq=False)
class RenderItem:
    """A product placed in the camera frame.

    camera_from_model: (4,4) float64 transform from the product frame (mm, +Y up, +Z front) to
    the camera frame (mm, OpenCV axes: x right, y down, z forward); it may include scale.
    model_key identifies the model for the per-process GPU resource cache.
    opacity 0..1: the whole product drawn as one layer over what is behind it (fading in or out),
    1 for a product that is simply there.
    """

    model: ProductModel
    model_key: str
    variant: str | None
    camera_from_model: np.ndarray
    # Per part of a model that moves apart (Primitive.part, e.g. a glasses temple): (4,4) product
    # frame -> product frame, applied before camera_from_model. Parts not listed stay put.
    part_transforms: Mapping[str, np.ndarray] = field(default_factory=dict)
    opacity: float = 1.0


@dataclass(frozen=True, eq=False)
class Occluder:
    """A mesh drawn into depth only, before products, so they disappear behind it.

    vertices (N,3) float32 in the camera frame (mm), indices (M,3) uint32.
    """

    vertices: np.ndarray
    indices: np.ndarray
