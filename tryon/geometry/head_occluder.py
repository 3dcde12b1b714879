"""Depth-only head proxy: the live face mesh plus an ellipsoid for the skull, so temples and
the far earring disappear behind the head."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import trimesh

from tryon.products.fit.face_frame import FaceFrame
from tryon.render.items import Occluder

FACE_PUSH_BACK_MM = 1.5  # the mesh sits on the skin; pushed back so frames touching it still show
# Skull proxy in the reference head frame (mm): centred behind the nose bridge, slightly narrower
# than the face at the ears so glasses temples (~140 mm apart) stay outside it seen from the front.
SKULL_CENTRE = np.array([0.0, 5.0, 90.0])
SKULL_SEMI_AXES = np.array([67.0, 120.0, 86.0])
FACE_MESH_POINTS = 468  # the mesh proper; the iris points are not part of the tessellation


@lru_cache(maxsize=1)
def face_mesh_triangles() -> np.ndarray:
    """(M,3) uint32 triangles of the 468-point face mesh, from MediaPipe's tessellation edges
    (every 3-cycle of the edge graph is a triangle)."""
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_TESSELATION

    neighbours: dict[int, set[int]] = {}
    for a, b in FACEMESH_TESSELATION:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    tris = set()
    for a, nb in neighbours.items():
        for b in nb:
            if b <= a:
                continue
            for c in nb & neighbours[b]:
                if c > b:
                    tris.add((a, b, c))
    return np.array(sorted(tris), dtype=np.uint32)


@lru_cache(maxsize=1)
def _unit_sphere() -> tuple[np.ndarray, np.ndarray]:
    sphere = trimesh.creation.icosphere(subdivisions=2)
    return np.asarray(sphere.vertices), np.asarray(sphere.faces, dtype=np.uint32)


@lru_cache(maxsize=1)
def _skull_in_head() -> np.ndarray:
    """(N,3) skull ellipsoid vertices in the reference head frame (mm)."""
    return _unit_sphere()[0] * SKULL_SEMI_AXES + SKULL_CENTRE


@lru_cache(maxsize=1)
def head_occluder_triangles() -> np.ndarray:
    """(M,3) uint32: the face mesh's triangles, then the skull's (vertices 468 on)."""
    indices = np.concatenate([face_mesh_triangles(), _unit_sphere()[1] + FACE_MESH_POINTS]).astype(np.uint32)
    indices.flags.writeable = False
    return indices


def build_head_occluder(face: FaceFrame) -> Occluder:
    """Face mesh (camera frame, pushed back along the view rays) + skull ellipsoid, one mesh."""
    skull = _skull_in_head()
    vertices = np.empty((FACE_MESH_POINTS + len(skull), 3), np.float32)
    cam = face.landmarks_camera[:FACE_MESH_POINTS]
    depth = cam[:, 2:3]
    vertices[:FACE_MESH_POINTS] = cam * ((depth + FACE_PUSH_BACK_MM) / depth)
    pose = face.pose
    vertices[FACE_MESH_POINTS:] = skull @ (pose.rotation.T * pose.scale) + pose.translation
    return Occluder(vertices, head_occluder_triangles())
