"""Downscale a ProductModel's textures to a largest side, for the copy browsers download.

A 4096 px texture is 64 MiB of GPU memory on a phone and adds nothing at try-on sizes (a pair
of glasses spans a few hundred pixels). Pillow's LANCZOS filter keeps edges crisp when
shrinking. Each distinct image is resized once, and materials that shared an image (or were the
same material in several variants) still share it, so the export stores it once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
from PIL import Image

from tryon.products.model import Material, ProductModel

_TEXTURE_FIELDS = tuple(f.name for f in fields(Material) if f.name.endswith("_texture"))


@dataclass(frozen=True)
class Downscale:
    """The model with smaller textures; resized: (old (h, w), new (h, w)) per distinct image."""

    model: ProductModel
    resized: tuple[tuple[tuple[int, int], tuple[int, int]], ...]


def downscale_textures(model: ProductModel, max_side: int) -> Downscale:
    """Every texture whose larger side exceeds max_side, resized to max_side (aspect kept)."""
    images: dict[int, np.ndarray] = {}
    resized: list[tuple[tuple[int, int], tuple[int, int]]] = []
    materials: dict[int, Material] = {}

    def smaller(image: np.ndarray) -> np.ndarray:
        if id(image) not in images:
            height, width = image.shape[:2]
            if max(height, width) <= max_side:
                images[id(image)] = image
            else:
                images[id(image)] = shrink(image, max_side)
                resized.append(((height, width), images[id(image)].shape[:2]))
        return images[id(image)]

    def material(m: Material) -> Material:
        if id(m) not in materials:
            changes = {name: smaller(getattr(m, name)) for name in _TEXTURE_FIELDS if getattr(m, name) is not None}
            same = all(changes[name] is getattr(m, name) for name in changes)
            materials[id(m)] = m if same else replace(m, **changes)
        return materials[id(m)]

    primitives = tuple(replace(p, material=material(p.material)) for p in model.primitives)
    variants = {name: tuple(material(m) for m in ms) for name, ms in model.variant_materials.items()}
    if not resized:
        return Downscale(model, ())
    return Downscale(ProductModel(primitives, variants, model.normalisation), tuple(resized))


def shrink(image: np.ndarray, max_side: int) -> np.ndarray:
    """(H, W, C) uint8 resized with LANCZOS so its larger side is max_side; read-only."""
    height, width = image.shape[:2]
    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    pixels = np.ascontiguousarray(image if image.shape[2] != 1 else image[:, :, 0])
    out = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS))
    out = out.reshape(size[1], size[0], -1)
    out.flags.writeable = False
    return out
