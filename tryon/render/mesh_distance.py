"""Distances between points and triangle meshes, and points spread over mesh surfaces: plain
functions over NumPy arrays (positions (V,3) float64 mm, triangles (T,3) vertex ids)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

NEAREST_ANCHORS = 8  # anchors asked for first; enough to settle most points at once


def distance_to_surface(
    points: np.ndarray, positions: np.ndarray, triangles: np.ndarray, limit_mm: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """(N,) exact distance from each point (N,3) to a triangle mesh, and (N,) the nearest
    triangle; where the distance exceeds `limit_mm`, an upper bound and its triangle instead.

    Anchors spread over every triangle, none of its points further than `reach` from one, go
    in a k-d tree. A point's distance d to the triangles of its nearest anchors bounds the
    answer from above, and the true closest point lies within `reach` of an anchor of its
    triangle: so the anchors within d + reach name every triangle that can be closer.
    """
    corners = positions[triangles]
    anchors, owner, reach = _anchors(corners)
    tree = cKDTree(anchors)
    k = min(NEAREST_ANCHORS, len(anchors))
    found, nearest = tree.query(points, k=k)
    found, nearest = found.reshape(len(points), k), nearest.reshape(len(points), k)
    distance, triangle = _nearest_of(points, np.repeat(np.arange(len(points)), k), owner[nearest.reshape(-1)], corners)
    # Where the k-th anchor lies within reach of the bound, an unseen triangle may be closer.
    todo = np.flatnonzero((found[:, -1] <= distance + reach) & (distance <= limit_mm))
    if len(todo):
        within = tree.query_ball_point(points[todo], distance[todo] + reach)
        found_ids = [np.asarray(w, dtype=np.int64) for w in within]
        pair_point = np.repeat(todo, [len(f) for f in found_ids])
        exact, exact_triangle = _nearest_of(points, pair_point, owner[np.concatenate(found_ids)], corners)
        closer = todo[exact[todo] < distance[todo]]
        distance[closer], triangle[closer] = exact[closer], exact_triangle[closer]
    return distance, triangle


def _nearest_of(
    points: np.ndarray, pair_point: np.ndarray, pair_triangle: np.ndarray, corners: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per point, the distance to the nearest of its paired triangles (inf if none) and which."""
    pairs = np.unique(pair_point * len(corners) + pair_triangle)  # each triangle once per point
    pair_point, pair_triangle = pairs // len(corners), pairs % len(corners)
    distance = point_triangle_distance(points[pair_point], corners[pair_triangle])
    order = np.lexsort((distance, pair_point))
    _, first = np.unique(pair_point[order], return_index=True)
    best = order[first]
    out, which = np.full(len(points), np.inf), np.zeros(len(points), dtype=np.int64)
    out[pair_point[best]], which[pair_point[best]] = distance[best], pair_triangle[best]
    return out, which


def _anchors(corners: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Anchor points for triangles (T,3,3): the centres of a triangle's n x n barycentric
    subdivision, n chosen so no point of it is further than `reach` from an anchor, `reach`
    being what most triangles manage with their centre alone. Returns (anchors (M,3), triangle
    id (M,), reach mm)."""
    centres = corners.mean(axis=1)
    radius = np.linalg.norm(corners - centres[:, None, :], axis=2).max(axis=1)
    reach = max(float(np.median(radius)), 1e-9)
    steps = np.maximum(1, np.ceil(radius / reach)).astype(np.int64)
    points, owners = [], []
    for n in np.unique(steps):
        ids = np.flatnonzero(steps == n)
        i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        up = i + j <= n - 1
        down = i + j <= n - 2
        u = np.concatenate([(3 * i[up] + 1), (3 * i[down] + 2)]) / (3.0 * n)
        v = np.concatenate([(3 * j[up] + 1), (3 * j[down] + 2)]) / (3.0 * n)
        weights = np.stack([1.0 - u - v, u, v], axis=1)  # (n * n, 3)
        points.append(np.einsum("gk,tkd->tgd", weights, corners[ids]).reshape(-1, 3))
        owners.append(np.repeat(ids, len(weights)))
    return np.concatenate(points), np.concatenate(owners), float((radius / steps).max())


def surface_samples(
    positions: np.ndarray, triangles: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`count` points spread uniformly by area over the mesh (fixed seed: repeatable levels):
    (points (count,3), their triangle (count,), barycentric weights (count,3))."""
    rng = np.random.default_rng(0)
    corners = positions[triangles]
    area = 0.5 * np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1)
    total = area.sum()
    chosen = rng.choice(len(triangles), count, p=area / total if total > 0.0 else None)
    u, v = rng.random(count), rng.random(count)
    flip = u + v > 1.0
    u[flip], v[flip] = 1.0 - u[flip], 1.0 - v[flip]
    weights = np.stack([1.0 - u - v, u, v], axis=1)
    return np.einsum("nk,nkd->nd", weights, corners[chosen]), chosen, weights


def interpolate(values: np.ndarray, corner_ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per-vertex values (V,D) at points given by their triangle's vertex ids (N,3) and weights (N,3)."""
    return np.einsum("nk,nkd->nd", weights, values[corner_ids])


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def closest_point_weights(points: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,) distance from points (N,3) to triangles (N,3,3) and (N,3) barycentric weights of
    the closest point."""
    distance, closest = closest_points(points, corners)
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    v0, v1, v2 = b - a, c - a, closest - a
    d00, d01, d11 = _dot(v0, v0), _dot(v0, v1), _dot(v1, v1)
    d20, d21 = _dot(v2, v0), _dot(v2, v1)
    denom = d00 * d11 - d01 * d01
    with np.errstate(divide="ignore", invalid="ignore"):
        v = (d11 * d20 - d01 * d21) / denom
        w = (d00 * d21 - d01 * d20) / denom
    weights = np.clip(np.stack([1.0 - v - w, v, w], axis=1), 0.0, 1.0)
    degenerate = ~np.isfinite(weights).all(axis=1)
    weights[degenerate] = 1.0 / 3.0
    return distance, weights / weights.sum(axis=1, keepdims=True)


def point_triangle_distance(points: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """(N,) distance from points (N,3) to triangles (N,3,3)."""
    return closest_points(points, corners)[0]


def closest_points(points: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,) distance from points (N,3) to triangles (N,3,3) and (N,3) the closest points: the
    regions of Ericson, Real-Time Collision Detection, 5.1.5."""
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    ab, ac, ap = b - a, c - a, points - a
    bp, cp = points - b, points - c
    d1, d2 = _dot(ab, ap), _dot(ac, ap)
    d3, d4 = _dot(ab, bp), _dot(ac, bp)
    d5, d6 = _dot(ab, cp), _dot(ac, cp)
    va, vb, vc = d3 * d6 - d5 * d4, d5 * d2 - d1 * d6, d1 * d4 - d3 * d2
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = va + vb + vc
        closest = a + ab * (vb / denom)[:, None] + ac * (vc / denom)[:, None]  # inside the face
        regions = (
            ((va <= 0) & (d4 >= d3) & (d5 >= d6), b + (c - b) * ((d4 - d3) / ((d4 - d3) + (d5 - d6)))[:, None]),
            ((vb <= 0) & (d2 >= 0) & (d6 <= 0), a + ac * (d2 / (d2 - d6))[:, None]),
            ((vc <= 0) & (d1 >= 0) & (d3 <= 0), a + ab * (d1 / (d1 - d3))[:, None]),
            ((d6 >= 0) & (d5 <= d6), c),
            ((d3 >= 0) & (d4 <= d3), b),
            ((d1 <= 0) & (d2 <= 0), a),
        )
        for mask, point in regions:
            closest[mask] = point[mask]
    # A degenerate (zero-area) triangle can leave NaN: fall back to its nearest corner.
    bad = ~np.isfinite(closest).all(axis=1)
    if bad.any():
        nearest_corner = np.linalg.norm(corners[bad] - points[bad][:, None, :], axis=2).argmin(axis=1)
        closest[bad] = corners[bad][np.arange(int(bad.sum())), nearest_corner]
    return np.linalg.norm(points - closest, axis=1), closest


def _dot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", u, v)
