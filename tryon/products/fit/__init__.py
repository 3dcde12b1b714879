"""Fitting rules by category: where a product sits on the wearer, as head_from_product
transforms in the metric head frame. New categories (body, hands) add a module and a line in
`place_product`."""

from __future__ import annotations

import numpy as np

from tryon.products.fit.earrings import place_earrings
from tryon.products.fit.face_frame import FaceFrame
from tryon.products.fit.glasses import place_glasses
from tryon.products.fit.hat import place_hat
from tryon.products.model import FitProfile, ProductModel

FACE_CATEGORIES = ("glasses", "sunglasses", "hat", "earrings")


def place_product(
    model: ProductModel, fit: FitProfile, face: FaceFrame, state: dict | None = None
) -> tuple[list[np.ndarray], dict]:
    """head_from_product transforms for one face, plus per-face state for the next frame
    (earring visibility hysteresis)."""
    if fit.category in ("glasses", "sunglasses"):
        return place_glasses(model, fit, face), {}
    if fit.category == "hat":
        return place_hat(model, fit, face), {}
    if fit.category == "earrings":
        return place_earrings(model, fit, face, state)
    raise ValueError(f"category {fit.category!r} has no face fit; use one of {', '.join(FACE_CATEGORIES)}")
