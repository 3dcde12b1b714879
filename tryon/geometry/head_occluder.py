"""Depth-only head proxy: the live face mesh, an ellipsoid for the skull, one for each ear and an
elliptic cylinder for the neck, so temples, ear hooks and the far earring disappear behind the
head, behind the ears and behind the neck."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import trimesh

from tryon.geometry.ear_roots import ear_roots
from tryon.products.fit.face_frame import FaceFrame
from tryon.render.items import Occluder

FACE_PUSH_BACK_MM = 1.5  # the mesh sits on the skin; pushed back so frames touching it still show
# Skull proxy in the reference head frame (mm): centred behind the nose bridge, slightly narrower
# than the face at the ears so glasses temples (~140 mm apart) stay outside it seen from the front.
SKULL_CENTRE = np.array([0.0, 5.0, 90.0])
SKULL_SEMI_AXES = np.array([67.0, 120.0, 86.0])
FACE_MESH_POINTS = 468  # the mesh proper; the iris points are not part of the tessellation
# Neck proxy (reference head frame, mm): an elliptic cylinder from under the skull's lower half
# down past the collar, centred behind the jaw (adult neck ~120 mm wide, ~110 mm deep).
NECK_SEMI_AXES = np.array([55.0, 52.0])  # x, z
NECK_CENTRE_Z = 85.0
NECK_TOP_Y, NECK_BOTTOM_Y = 70.0, 230.0
NECK_SEGMENTS = 24
# Ear proxy (the wearer's mm, from its ear root, tryon/geometry/ear_roots.py): the pinna is ~60 mm
# tall, ~30 mm front to back and stands ~15-20 mm out from the head; its top is at the root.
EAR_CENTRE_FROM_ROOT = np.array([6.0, 24.0, 8.0])  # outward, down, back
EAR_SEMI_AXES = np.array([11.0, 31.0, 17.0])


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
def _neck_in_head() -> tuple[np.ndarray, np.ndarray]:
    """Elliptic cylinder (vertices, triangles) in the reference head frame (mm), open ends."""
    angles = np.linspace(0.0, 2.0 * np.pi, NECK_SEGMENTS, endpoint=False)
    ring = np.stack([NECK_SEMI_AXES[0] * np.cos(angles), np.zeros_like(angles),
                     NECK_CENTRE_Z + NECK_SEMI_AXES[1] * np.sin(angles)], axis=1)
    top, bottom = ring + [0.0, NECK_TOP_Y, 0.0], ring + [0.0, NECK_BOTTOM_Y, 0.0]
    a = np.arange(NECK_SEGMENTS)
    b = (a + 1) % NECK_SEGMENTS
    triangles = np.concatenate([np.stack([a, b, a + NECK_SEGMENTS], 1), np.stack([b, b + NECK_SEGMENTS, a + NECK_SEGMENTS], 1)])
    return np.concatenate([top, bottom]), triangles


def camera_from_ears(face: FaceFrame, ear_roots_head: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(4,4) camera_from_ellipsoid per ear, the wearer's right first: the unit sphere taken to
    that ear's proxy (EAR_SEMI_AXES about a centre placed from its root), camera frame, mm. What
    the browser's 3D mode draws as its ear occluders."""
    ears = []
    for root, outward in zip(ear_roots_head, (-1.0, 1.0)):
        m = np.eye(4)
        m[:3, :3] = face.pose.rotation * EAR_SEMI_AXES  # the real mm of landmarks_head: unscaled
        m[:3, 3] = face.pose.rotation @ (root + EAR_CENTRE_FROM_ROOT * [outward, 1.0, 1.0]) + face.pose.translation
        ears.append(m)
    return ears[0], ears[1]


@lru_cache(maxsize=1)
def head_occluder_triangles() -> np.ndarray:
    """(M,3) uint32: the face mesh's triangles, then the skull's (vertices 468 on), the neck's,
    and the two ears'."""
    sphere = _unit_sphere()
    neck_vertices, neck_triangles = _neck_in_head()
    start = FACE_MESH_POINTS
    parts = [face_mesh_triangles(), sphere[1] + start]
    start += len(sphere[0])
    parts.append(neck_triangles + start)
    start += len(neck_vertices)
    parts += [sphere[1] + start, sphere[1] + start + len(sphere[0])]
    indices = np.concatenate(parts).astype(np.uint32)
    indices.flags.writeable = False
    return indices


def build_head_occluder(face: FaceFrame, ear_roots_head: np.ndarray | None = None) -> Occluder:
    """Face mesh (camera frame, pushed back along the view rays), skull, neck and ears, one mesh.
    ear_roots_head: (2,3) mm from tryon.geometry.ear_roots (computed here when not given)."""
    if ear_roots_head is None:
        ear_roots_head = ear_roots(face.landmarks_head, face.pose)
    skull = _skull_in_head()
    neck = _neck_in_head()[0]
    unit = _unit_sphere()[0]
    ears = np.concatenate([unit @ m[:3, :3].T + m[:3, 3] for m in camera_from_ears(face, ear_roots_head)])
    vertices = np.empty((FACE_MESH_POINTS + len(skull) + len(neck) + len(ears), 3), np.float32)
    cam = face.landmarks_camera[:FACE_MESH_POINTS]
    depth = cam[:, 2:3]
    vertices[:FACE_MESH_POINTS] = cam * ((depth + FACE_PUSH_BACK_MM) / depth)
    pose = face.pose
    scaled = pose.rotation.T * pose.scale
    end = FACE_MESH_POINTS + len(skull) + len(neck)
    vertices[FACE_MESH_POINTS:end] = np.concatenate([skull, neck]) @ scaled + pose.translation
    vertices[end:] = ears
    return Occluder(vertices, head_occluder_triangles())
