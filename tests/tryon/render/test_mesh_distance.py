"""Point-to-mesh distances, checked against brute force and hand-worked cases."""

from __future__ import annotations

import numpy as np
import trimesh

from tryon.render.mesh_distance import closest_points, distance_to_surface, surface_samples

TRIANGLE = np.array([[[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, 10.0, 0.0]]])


def brute_force(points: np.ndarray, positions: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    corners = positions[triangles]
    distances = [closest_points(np.repeat(p[None], len(corners), axis=0), corners)[0].min() for p in points]
    return np.array(distances)


def test_the_closest_point_is_on_the_face_an_edge_or_a_corner():
    points = np.array([[2.0, 2.0, 5.0], [5.0, -3.0, 0.0], [-3.0, -4.0, 0.0]])
    distance, closest = closest_points(points, np.repeat(TRIANGLE, 3, axis=0))
    assert np.allclose(distance, [5.0, 3.0, 5.0])
    assert np.allclose(closest, [[2.0, 2.0, 0.0], [5.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


def test_distances_to_a_sphere_match_brute_force():
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=20.0)
    positions, triangles = np.asarray(sphere.vertices), np.asarray(sphere.faces)
    rng = np.random.default_rng(1)
    directions = rng.normal(size=(300, 3))
    points = directions / np.linalg.norm(directions, axis=1, keepdims=True) * rng.uniform(0.0, 40.0, (300, 1))
    distance, nearest = distance_to_surface(points, positions, triangles)
    assert np.allclose(distance, brute_force(points, positions, triangles), atol=1e-9)
    # The nearest triangle is one at that distance.
    again, _ = closest_points(points, positions[triangles[nearest]])
    assert np.allclose(again, distance, atol=1e-9)


def test_points_spread_over_a_surface_lie_on_it():
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=20.0)
    positions, triangles = np.asarray(sphere.vertices), np.asarray(sphere.faces)
    points, triangle, weights = surface_samples(positions, triangles, 500)
    assert np.allclose(np.einsum("nk,nkd->nd", weights, positions[triangles[triangle]]), points)
    assert np.allclose(distance_to_surface(points, positions, triangles)[0], 0.0, atol=1e-9)
