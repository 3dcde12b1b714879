"""Coarser copies of heavy primitives for live rendering, picked per frame by on-screen size.

On llvmpipe, vertex shading and triangle setup run on the calling thread at a cost per
triangle: most of the Khronos sunglasses' 13.4k triangles are smaller than a pixel at webcam
sizes. So each primitive with many triangles gets a few quadric-decimated copies
(fast-simplification: Garland-Heckbert quadrics), each with how far its surface strays from the
original (mm) and how far its shading normals turn. Each frame the compositor draws the
coarsest copy whose deviation projects to at most MAX_DEVIATION_PX; a close-up (a large photo,
a product filling the frame) gets the original.

A copy must also light like the original: one whose normals turn more than
MAX_NORMAL_TURN_DEG is not kept, whatever its size on screen (the sunglasses' thin metal
frame and hinges fail this and are always drawn in full; the lenses, nose pads and ear hooks
pass). Open borders stay where they are: glTF splits vertices along UV and normal seams, so a
seam is a border of the mesh, and moving it would open cracks. A new vertex takes its normal
and UV from the original surface at the closest point among the triangles its merged
vertices came from, so it keeps to its own side of a seam.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from weakref import WeakKeyDictionary

import numpy as np

from tryon.products.model import Primitive, ProductModel
from tryon.render.mesh_distance import closest_point_weights, distance_to_surface, interpolate, surface_samples, unit

MAX_DEVIATION_PX = 0.5  # at most half a pixel: hidden by the anti-aliased edge
HEAVY_TRIANGLES = 512  # primitives with fewer triangles are always drawn as they are
MIN_TRIANGLES = 256  # no copy coarser than this
# Each copy keeps this fraction of the previous one's triangle target; a copy that fails to
# drop at least a fifth of the triangles of the one before it (borders can stop decimation) is
# not kept.
STEP = 0.5
MIN_GAIN = 0.8
# A copy straying further than this fraction of the primitive's size would only ever be drawn
# a few dozen pixels wide: the ladder stops there.
MAX_DEVIATION_FRACTION = 0.01
# Nor one whose shading normals turn further than this (95th percentile): a coarser mesh of a
# small rounded part (a hinge, a thin wire) lights visibly differently however close it stays.
MAX_NORMAL_TURN_DEG = 10.0
SAMPLES = 500  # points per surface when measuring deviation


@dataclass(frozen=True, eq=False)
class DetailLevel:
    """One version of a primitive and how far (mm, product frame) its surface strays from the original's."""

    primitive: Primitive
    deviation_mm: float
    normal_turn_deg: float = 0.0  # 95th percentile of how far its shading normals turned

    @property
    def triangle_count(self) -> int:
        return int(len(self.primitive.indices))


ModelDetailLevels = tuple[tuple[DetailLevel, ...], ...]  # per primitive, finest first

_model_levels: WeakKeyDictionary[ProductModel, ModelDetailLevels] = WeakKeyDictionary()
_model_levels_lock = threading.Lock()


def model_detail_levels(model: ProductModel) -> ModelDetailLevels:
    """Detail levels of every primitive of `model`, made once per model object (a few hundred
    milliseconds for a heavy one) and kept while it lives."""
    with _model_levels_lock:
        found = _model_levels.get(model)
        if found is None:
            found = tuple(detail_levels(p) for p in model.primitives)
            _model_levels[model] = found
        return found


def detail_levels(primitive: Primitive) -> tuple[DetailLevel, ...]:
    """The primitive itself (deviation 0) followed by coarser copies, fewer triangles each."""
    levels = [DetailLevel(primitive, 0.0)]
    count = len(primitive.indices)
    if count < HEAVY_TRIANGLES:
        return tuple(levels)
    positions = np.asarray(primitive.positions, dtype=np.float64).reshape(-1, 3)
    limit = MAX_DEVIATION_FRACTION * float(np.linalg.norm(positions.max(axis=0) - positions.min(axis=0)))
    target = count * STEP
    while target >= MIN_TRIANGLES:
        level = simplify_primitive(primitive, int(target), limit)
        if level is not None and (level.deviation_mm > limit or level.normal_turn_deg > MAX_NORMAL_TURN_DEG):
            break  # coarser copies would stray further still
        if level is not None and level.triangle_count <= levels[-1].triangle_count * MIN_GAIN:
            levels.append(level)
        target *= STEP
    return tuple(levels)


def simplify_primitive(primitive: Primitive, target_triangles: int, limit_mm: float = np.inf) -> DetailLevel | None:
    """A decimated copy with about `target_triangles` triangles and its measured deviation (any
    value above `limit_mm` only says it is above: measuring it exactly costs more), or None
    when decimation removed nothing or its result cannot be traced back to the original."""
    import fast_simplification  # imported here: only needed for heavy models

    positions = np.asarray(primitive.positions, dtype=np.float64).reshape(-1, 3)
    triangles = np.asarray(primitive.indices, dtype=np.int32).reshape(-1, 3)
    new_positions, new_triangles, collapses = fast_simplification.simplify(
        positions, triangles, target_count=target_triangles, preserve_border=True, return_collapses=True
    )
    new_triangles = np.asarray(new_triangles)
    if len(new_triangles) >= len(triangles) or len(new_triangles) == 0:
        return None
    new_of_old = _vertex_mapping(triangles, collapses, new_triangles, len(positions))
    if new_of_old is None:
        return None  # cannot carry normals and UVs over: the original is drawn instead
    normals, uvs = _carry_attributes(primitive, positions, triangles, new_positions, new_of_old)
    decimated = replace(
        primitive,
        positions=new_positions.astype(np.float32),
        normals=normals,
        uvs=uvs,
        indices=np.ascontiguousarray(new_triangles, dtype=np.uint32),
    )
    deviation, turn = compare_surfaces(primitive, decimated, limit_mm)
    return DetailLevel(decimated, deviation, turn)


def compare_surfaces(original: Primitive, simplified: Primitive, limit_mm: float = np.inf) -> tuple[float, float]:
    """How far the simplified surface strays from the original: the largest distance (mm)
    found between them both ways (a Hausdorff estimate: SAMPLES points spread over each surface
    against the other; beyond `limit_mm` only bounded from above), and the 95th percentile of
    the angle (degrees) between the original's shading normal and the simplified one's at the
    closest point (what a coarser mesh changes in the light even where its surface is close)."""
    positions, triangles, normals = _arrays(original)
    new_positions, new_triangles, new_normals = _arrays(simplified)
    points, triangle, weights = surface_samples(positions, triangles, SAMPLES)
    to_new, nearest = distance_to_surface(points, new_positions, new_triangles, limit_mm)
    _, nearest_weights = closest_point_weights(points, new_positions[new_triangles[nearest]])
    before = interpolate(normals, triangles[triangle], weights)
    after = interpolate(new_normals, new_triangles[nearest], nearest_weights)
    turn = np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", unit(before), unit(after)), -1.0, 1.0)))
    new_points = surface_samples(new_positions, new_triangles, SAMPLES)[0]
    to_old, _ = distance_to_surface(new_points, positions, triangles, limit_mm)
    deviation = max(to_new.max(initial=0.0), to_old.max(initial=0.0))
    if original.uvs is not None and simplified.uvs is not None:
        slide = _texture_slide(original, simplified, triangle, weights, nearest, nearest_weights)
        deviation = max(deviation, slide.max(initial=0.0))
    return float(deviation), float(np.percentile(turn, 95))


def _texture_slide(
    original: Primitive, simplified: Primitive, triangle: np.ndarray, weights: np.ndarray,
    nearest: np.ndarray, nearest_weights: np.ndarray,
) -> np.ndarray:
    """How far (mm along the surface) the texture moved at each sample: the change in UV
    between the original point and its closest simplified point, times the original triangle's
    millimetres per UV unit."""
    positions, triangles, _ = _arrays(original)
    uvs = np.asarray(original.uvs, dtype=np.float64).reshape(-1, 2)
    new_uvs = np.asarray(simplified.uvs, dtype=np.float64).reshape(-1, 2)
    new_triangles = np.asarray(simplified.indices, dtype=np.int64).reshape(-1, 3)
    before = interpolate(uvs, triangles[triangle], weights)
    after = interpolate(new_uvs, new_triangles[nearest], nearest_weights)
    shift = np.linalg.norm(before - after, axis=1)
    corners, uv_corners = positions[triangles[triangle]], uvs[triangles[triangle]]
    area = 0.5 * np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1)
    e1, e2 = uv_corners[:, 1] - uv_corners[:, 0], uv_corners[:, 2] - uv_corners[:, 0]
    uv_area = 0.5 * np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
    mm_per_uv = np.sqrt(area / np.maximum(uv_area, 1e-12))
    return np.where(uv_area > 1e-12, shift * mm_per_uv, 0.0)


def _arrays(primitive: Primitive) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.asarray(primitive.positions, dtype=np.float64).reshape(-1, 3),
        np.asarray(primitive.indices, dtype=np.int64).reshape(-1, 3),
        np.asarray(primitive.normals, dtype=np.float64).reshape(-1, 3),
    )


def _vertex_mapping(
    triangles: np.ndarray, collapses: np.ndarray, new_triangles: np.ndarray, count: int
) -> np.ndarray | None:
    """(count,) index of the simplified vertex each original vertex merged into (-1: none), or
    None if the simplifier's output does not match its collapse record.

    collapses[k] = (kept, removed). Following them maps every original triangle onto the
    simplified mesh; the ones that did not collapse to a line are the simplified triangles, in
    the same order, which names the new index of every surviving vertex.
    """
    parent = np.arange(count)
    if len(collapses):
        parent[np.asarray(collapses)[:, 1]] = np.asarray(collapses)[:, 0]
    while True:  # follow chains of collapses to their survivor
        grand = parent[parent]
        if np.array_equal(grand, parent):
            break
        parent = grand
    mapped = parent[triangles]
    kept = (mapped[:, 0] != mapped[:, 1]) & (mapped[:, 1] != mapped[:, 2]) & (mapped[:, 0] != mapped[:, 2])
    mapped = mapped[kept]
    if mapped.shape != new_triangles.shape:
        return None
    new_index = np.full(count, -1, dtype=np.int64)
    new_index[mapped.ravel()] = new_triangles.ravel()
    if not np.array_equal(new_index[mapped], new_triangles):
        return None
    referenced = np.zeros(count, bool)
    referenced[triangles.ravel()] = True
    mapping = new_index[parent]
    mapping[~referenced] = -1
    return mapping


def _carry_attributes(
    primitive: Primitive,
    positions: np.ndarray,
    triangles: np.ndarray,
    new_positions: np.ndarray,
    new_of_old: np.ndarray,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Normals and UVs of the simplified vertices: the original surface's, interpolated at the
    closest point on the original triangles around the vertices merged into each (so a vertex
    takes them from its own side of a seam). Returns (normals (N,3) float32 unit, uvs or None)."""
    members = np.flatnonzero(new_of_old >= 0)
    # Triangles around each member, paired with the new vertex the member merged into.
    corner_vertex = triangles.ravel()
    order = np.argsort(corner_vertex, kind="stable")
    offsets = np.zeros(len(positions) + 1, dtype=np.int64)
    np.cumsum(np.bincount(corner_vertex, minlength=len(positions)), out=offsets[1:])
    counts = offsets[members + 1] - offsets[members]
    starts = np.repeat(offsets[members] - np.cumsum(counts) + counts, counts)
    pair_triangle = order[starts + np.arange(int(counts.sum()))] // 3
    pair_vertex = np.repeat(new_of_old[members], counts)
    pairs = np.unique(pair_vertex * len(triangles) + pair_triangle)
    pair_vertex, pair_triangle = pairs // len(triangles), pairs % len(triangles)
    corners = positions[triangles[pair_triangle]]
    distance, weights = closest_point_weights(new_positions[pair_vertex], corners)
    # The nearest pair per new vertex.
    best = np.lexsort((distance, pair_vertex))
    _, first = np.unique(pair_vertex[best], return_index=True)
    chosen = best[first]
    vertex, weights, corner_ids = pair_vertex[chosen], weights[chosen], triangles[pair_triangle[chosen]]

    def carried(values: np.ndarray) -> np.ndarray:
        out = np.zeros((len(new_positions), values.shape[1]), np.float64)
        out[vertex] = interpolate(values, corner_ids, weights)
        return out

    normals = unit(carried(np.asarray(primitive.normals, dtype=np.float64).reshape(-1, 3)))
    uvs = None
    if primitive.uvs is not None:
        uvs = carried(np.asarray(primitive.uvs, dtype=np.float64).reshape(-1, 2)).astype(np.float32)
    return normals.astype(np.float32), uvs


