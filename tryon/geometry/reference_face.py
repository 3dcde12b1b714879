"""The project's own metric reference face: 478 MediaPipe landmarks in millimetres.

Built by assets/build_reference_face.py from face-mesh output on the frontal adult photos in
shared/data (MediaPipe's canonical face model is not in the wheel): each face is centred,
generalised-Procrustes aligned, averaged, and scaled so the pupils are 63 mm apart (the adult
mean PD). Head frame: origin at landmark 168 (nose bridge between the eyes), x toward the
subject's left (image right in a frontal view), y down (chin), z into the head (away from the
camera) — the OpenCV camera axes of a face looking straight into the lens.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

REFERENCE_FILE = Path(__file__).with_name("reference_face.npz")
REFERENCE_PD_MM = 63.0  # adult mean pupillary distance

NOSE_BRIDGE = 168
FOREHEAD_TOP = 10
CHIN = 152
FACE_RIGHT_SIDE = 234  # subject's right cheek edge, at ear level
FACE_LEFT_SIDE = 454
RIGHT_EYE_OUTER, RIGHT_EYE_INNER = 33, 133
LEFT_EYE_OUTER, LEFT_EYE_INNER = 263, 362
RIGHT_IRIS = (468, 469, 470, 471, 472)  # centre, then the contour (469/471 horizontal)
LEFT_IRIS = (473, 474, 475, 476, 477)

# Rigid, well-tracked points for the pose fit: MediaPipe's 33 geometry-pipeline landmarks plus
# the eye corners, nose bridge and face sides (the mouth and jaw are left out: they move).
POSE_LANDMARKS = (
    4, 6, 10, 33, 54, 67, 117, 119, 121, 127, 129, 132, 133, 136, 143, 147, 198, 205, 263, 284,
    297, 346, 348, 350, 356, 358, 361, 362, 365, 372, 376, 420, 425, 168, 234, 454, 1, 9, 151,
)


@dataclass(frozen=True, eq=False)
class ReferenceFace:
    """landmarks: (478,3) float64 mm in the head frame; sources: photos it was built from."""

    landmarks: np.ndarray
    sources: tuple[str, ...]

    @cached_property
    def pose_points(self) -> np.ndarray:
        """(len(POSE_LANDMARKS), 3) float64 C-contiguous: the points the pose is fitted to."""
        return np.ascontiguousarray(self.landmarks[list(POSE_LANDMARKS)], dtype=np.float64)

    @cached_property
    def iris_centres_mean(self) -> np.ndarray:
        """(3,) mm: the midpoint of the two iris centres, whose depth the iris scale is read at."""
        return self.landmarks[[RIGHT_IRIS[0], LEFT_IRIS[0]]].mean(axis=0)

    @property
    def pd_mm(self) -> float:
        return float(np.linalg.norm(self.landmarks[RIGHT_IRIS[0]] - self.landmarks[LEFT_IRIS[0]]))


@lru_cache(maxsize=1)
def load_reference_face(path: Path = REFERENCE_FILE) -> ReferenceFace:
    data = np.load(path)
    return ReferenceFace(data["landmarks_mm"].astype(np.float64), tuple(str(s) for s in data["sources"]))


def head_frame_from_landmarks(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Axes and origin of the head frame for a (478,3) landmark set in any right-handed frame
    with y down: x from the right to the left iris, y toward the chin, z = x cross y.

    Returns (R, origin): R's rows are the head axes, so head = (p - origin) @ R.T.
    """
    x = points[LEFT_IRIS[0]] - points[RIGHT_IRIS[0]]
    x /= np.linalg.norm(x)
    down = points[CHIN] - points[FOREHEAD_TOP]
    y = down - x * float(down @ x)
    y /= np.linalg.norm(y)
    z = np.cross(x, y)
    return np.stack([x, y, z]), points[NOSE_BRIDGE].copy()
