"""A light stand-in for a product's opaque parts, drawn only into the contact-shadow target.

The shadow is blurred over ~2 mm, so a mesh within about a millimetre of the product casts the
same shadow; on llvmpipe every triangle costs on the calling thread (~0.1 us), so drawing the
products' own meshes a second time cost as much as the whole shadow budget (+0.6 ms for the
sunglasses at 640x480, measured). The stand-in is the opaque primitives merged, their seam
duplicates welded (glTF splits vertices along UV and normal seams; a seam left open would
crack when decimated), and quadric-decimated to at most CASTER_TRIANGLES. Made once per model
and set of opaque primitives (a few milliseconds), then kept while the model lives.
"""

from __future__ import annotations

import threading
from weakref import WeakKeyDictionary

import numpy as np

from tryon.products.model import ProductModel

CASTER_TRIANGLES = 800  # the whole stand-in; thin rims keep their outline at this count
WELD_MM = 0.01  # vertices this close are one (seam duplicates share exact positions)

CasterMesh = tuple[np.ndarray, np.ndarray]  # (N,3) float32 product-frame positions mm, (M,3) uint32

_meshes: WeakKeyDictionary[ProductModel, dict[tuple[int, ...], CasterMesh]] = WeakKeyDictionary()
_lock = threading.Lock()


def opaque_primitives(model: ProductModel, variant: str | None) -> tuple[int, ...]:
    """Indices of the primitives that cast shadows in `variant`: all but the see-through ones
    (BLEND or transmissive, the rule GpuMaterial.see_through follows)."""
    materials = model.materials_for(variant)
    return tuple(i for i, m in enumerate(materials) if m.alpha_mode != "BLEND" and m.transmission <= 0.0)


def caster_mesh(model: ProductModel, primitives: tuple[int, ...]) -> CasterMesh:
    """The stand-in for `model`'s primitives at these indices (the opaque ones), cached."""
    with _lock:
        per_model = _meshes.setdefault(model, {})
        found = per_model.get(primitives)
        if found is None:
            found = build_caster_mesh(model, primitives)
            per_model[primitives] = found
        return found


def build_caster_mesh(model: ProductModel, primitives: tuple[int, ...], triangles: int = CASTER_TRIANGLES) -> CasterMesh:
    """Merge, weld and decimate the primitives (see the module docstring)."""
    positions, indices = _merged(model, primitives)
    if len(indices) == 0:
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint32)
    positions, indices = _welded(positions, indices)
    if len(indices) > triangles:
        import fast_simplification  # imported here: only needed once per model

        simplified, kept = fast_simplification.simplify(positions, indices.astype(np.int32), target_count=triangles)
        if len(kept):
            positions, indices = np.asarray(simplified), np.asarray(kept)
    return positions.astype(np.float32), np.ascontiguousarray(indices, dtype=np.uint32)


def _merged(model: ProductModel, primitives: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    chosen = [model.primitives[i] for i in primitives]
    if not chosen:
        return np.zeros((0, 3)), np.zeros((0, 3), np.int64)
    offsets = np.cumsum([0] + [len(p.positions) for p in chosen[:-1]])
    positions = np.concatenate([np.asarray(p.positions, np.float64).reshape(-1, 3) for p in chosen])
    indices = np.concatenate([np.asarray(p.indices, np.int64).reshape(-1, 3) + o for p, o in zip(chosen, offsets)])
    return positions, indices


def _welded(positions: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One vertex per position (to WELD_MM), degenerate triangles dropped."""
    keys = np.round(positions / WELD_MM).astype(np.int64)
    unique, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    welded = inverse.reshape(-1)[indices]
    keep = (welded[:, 0] != welded[:, 1]) & (welded[:, 1] != welded[:, 2]) & (welded[:, 0] != welded[:, 2])
    return positions[first], welded[keep]
