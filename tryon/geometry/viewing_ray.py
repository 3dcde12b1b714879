"""Head rotation as seen along its viewing ray, not along the optical axis.

A face that looks straight at the camera from a corner of the picture has a camera-axes yaw or
pitch of the ray's angle (20-30 degrees near a wide picture's edge), yet it is seen head-on:
its irises are not foreshortened and its ears are hidden as on a centred face. Whatever depends
on how the face is seen (iris foreshortening, turned-away confidence) reads the rotation
relative to the ray through the eyes; everything placed in 3D keeps the camera-axes rotation.
Camera frame: OpenCV axes (x right, y down, z forward).
"""

from __future__ import annotations

import math

import numpy as np

_OPTICAL_AXIS = np.array([0.0, 0.0, 1.0])


def ray_rotation(point_camera: np.ndarray) -> np.ndarray:
    """(3,3) smallest rotation taking the optical axis to the ray from the camera centre
    through `point_camera` (3,), mm; identity on the axis."""
    d = np.asarray(point_camera, dtype=np.float64)
    d = d / np.linalg.norm(d)
    axis = np.cross(_OPTICAL_AXIS, d)
    s, c = float(np.linalg.norm(axis)), float(d[2])
    if s < 1e-12:
        return np.eye(3)
    k = axis / s
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + s * kx + (1.0 - c) * (kx @ kx)  # Rodrigues


def ray_relative_rotation(rotation: np.ndarray, point_camera: np.ndarray) -> np.ndarray:
    """(3,3) the rotation with the ray's own turn taken out: what the camera sees of it."""
    return ray_rotation(point_camera).T @ rotation


def seen_yaw_pitch_deg(rotation: np.ndarray, point_camera: np.ndarray) -> tuple[float, float]:
    """(yaw, pitch) in degrees of the ray-relative rotation, in HeadPose.euler_deg's convention
    (R = Ry(yaw) Rx(pitch) Rz(roll)): 0, 0 for a face looking straight into the lens."""
    # Only the head's forward axis (third column) decides yaw and pitch: it is turned back by
    # the ray's rotation with Rodrigues' formula on floats (~5 us a frame, not ~30 with arrays).
    dx, dy, dz = (float(c) for c in point_camera)
    n = math.sqrt(dx * dx + dy * dy + dz * dz)
    dx, dy, dz = dx / n, dy / n, dz / n
    vx, vy, vz = (float(c) for c in rotation[:, 2])
    s = math.hypot(dx, dy)  # sin of the ray's angle; axis k = z x d / s = (-dy, dx, 0) / s
    if s > 1e-12:
        kx, ky, c = -dy / s, dx / s, dz
        kv = kx * vx + ky * vy
        # inverse rotation: v cos - (k x v) sin + k (k.v)(1 - cos), with k x v = (ky vz, -kx vz, kx vy - ky vx)
        vx, vy, vz = (vx * c - ky * vz * s + kx * kv * (1.0 - c),
                      vy * c + kx * vz * s + ky * kv * (1.0 - c),
                      vz * c - (kx * vy - ky * vx) * s)
    pitch = math.degrees(math.asin(min(max(-vy, -1.0), 1.0)))
    yaw = math.degrees(math.atan2(vx, vz))
    return yaw, pitch
