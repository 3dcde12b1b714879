"""Decimate a ProductModel to a triangle budget, for the copy every browser downloads and draws.

The budget is shared in proportion to each primitive's triangles; primitives under
KEEP_BELOW_TRIANGLES (a nose pad, a clasp) are kept whole, since they cost little and lose
their shape first. Each primitive goes through the renderer's own quadric simplifier
(tryon.render.level_of_detail.simplify_primitive), which keeps UV and normal seams closed and
carries normals and UVs over; it can stop short of a target (borders are kept), so a few
rounds re-share what is still over the budget.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from tryon.products.model import Primitive, ProductModel
from tryon.render.level_of_detail import simplify_primitive

KEEP_BELOW_TRIANGLES = 64
ROUNDS = 3


@dataclass(frozen=True)
class Decimation:
    """The decimated model and what it took. deviation_mm: the largest distance measured between
    an original surface and its copy; failed: primitives the simplifier could not reduce."""

    model: ProductModel
    before: int
    after: int
    deviation_mm: float
    failed: tuple[str, ...]


def decimate_to_budget(model: ProductModel, max_triangles: int) -> Decimation:
    """The model with about `max_triangles` triangles in all (never more than it had)."""
    before = model.triangle_count
    primitives = list(model.primitives)
    deviation = [0.0] * len(primitives)
    stuck: set[int] = set()
    failed: set[str] = set()
    for _ in range(ROUNDS):
        counts = [len(p.indices) for p in primitives]
        if sum(counts) <= max_triangles:
            break
        reducible = [i for i, c in enumerate(counts) if c >= KEEP_BELOW_TRIANGLES and i not in stuck]
        if not reducible:
            break
        fixed = sum(c for i, c in enumerate(counts) if i not in reducible)
        ratio = max(max_triangles - fixed, 0) / sum(counts[i] for i in reducible)
        for i in reducible:
            target = max(int(counts[i] * ratio), KEEP_BELOW_TRIANGLES // 2)
            simplified = _simplified(primitives[i], target)
            if simplified is None:
                stuck.add(i)
                failed.add(primitives[i].name)
                continue
            copy, mm = simplified
            if len(copy.indices) >= counts[i] * 0.98:
                stuck.add(i)  # borders hold it: another round would not gain
            primitives[i], deviation[i] = copy, max(deviation[i], mm)
    result = ProductModel(
        primitives=tuple(primitives),
        variant_materials=dict(model.variant_materials),
        normalisation=model.normalisation,
    )
    return Decimation(result, before, result.triangle_count, max(deviation, default=0.0), tuple(sorted(failed)))


def _simplified(primitive: Primitive, target: int) -> tuple[Primitive, float] | None:
    try:
        level = simplify_primitive(primitive, target)
    except (ValueError, RuntimeError, IndexError):  # degenerate input the simplifier refuses
        return None
    if level is None:
        return None
    copy = level.primitive
    return (
        replace(
            copy,
            positions=_frozen(copy.positions),
            normals=_frozen(copy.normals),
            uvs=None if copy.uvs is None else _frozen(copy.uvs),
            indices=_frozen(copy.indices),
        ),
        level.deviation_mm,
    )


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.flags.writeable = False
    return array
