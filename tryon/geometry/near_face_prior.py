"""A longer assumed focal length for photos whose face would otherwise sit implausibly near.

The default camera (60 degrees across the longer side) is a guess made per picture, so a photo
cropped tightly around a face gets a focal length in pixels a fraction of its camera's: a
414 px crop of a portrait is "seen" with a 358 px focal length and its face 21 cm from the lens,
where the whole picture reads 66 cm. The pose then draws the product with a perspective that
no camera gave (measured on shared photos: the glasses front pitched 6-8 degrees and moved up
to 9 px against a larger crop of the same photo). No photo of a face is taken that near: the
closest selfies (a phone at 25 cm, a 70-degree front camera) read 30 cm under the default. So
when the nearest face reads nearer than MIN_FACE_DISTANCE_MM, the assumed focal length is
lengthened until it reads that far. Only for assumed intrinsics of photos; a camera the caller
or the EXIF gives is never changed, nor are video frames (a webcam's frame is never a crop).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.head_pose import estimate_head_pose
from tryon.geometry.reference_face import ReferenceFace

MIN_FACE_DISTANCE_MM = 280.0  # under the closest selfie's 30 cm reading, over any tight crop's


def nearest_face_distance_mm(camera: CameraIntrinsics, faces_landmarks_px: Sequence[np.ndarray],
                             reference: ReferenceFace) -> float | None:
    """Camera to the nearest face's nose bridge by its metric pose (mm, what the CLI's distance
    column says), or None without a face whose iris gave its size."""
    poses = [estimate_head_pose(lm, camera, reference) for lm in faces_landmarks_px]
    distances = [float(np.linalg.norm(p.translation)) for p in poses if p.scale_from_iris]
    return min(distances) if distances else None


def lengthen_for_near_faces(camera: CameraIntrinsics, faces_landmarks_px: Sequence[np.ndarray],
                            reference: ReferenceFace) -> tuple[CameraIntrinsics, str]:
    """(camera, note): the assumed camera, its focal length lengthened when the nearest face
    would read nearer than MIN_FACE_DISTANCE_MM (note says so; empty when unchanged)."""
    distance = nearest_face_distance_mm(camera, faces_landmarks_px, reference)
    if distance is None or distance >= MIN_FACE_DISTANCE_MM:
        return camera, ""
    # the iris-scaled distance grows with the focal length (about in proportion: PnP's depth
    # and the iris's both do), so one step lands the face near the minimum
    gain = MIN_FACE_DISTANCE_MM / distance
    longer = CameraIntrinsics(camera.fx * gain, camera.fy * gain, camera.cx, camera.cy, camera.width, camera.height)
    fov = math.degrees(2.0 * math.atan(0.5 * max(camera.width, camera.height) / longer.fx))
    return longer, (f"narrowed to {fov:.0f} deg: the face would be {distance / 10:.0f} cm away, nearer than photos "
                    "are taken (a cropped picture?); --fov sets it")
