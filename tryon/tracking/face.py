"""MediaPipe face mesh (with iris) in photo or video mode, with stable face ids and filtering.

Landmarks come back in pixels: x, y on the image and z on the same scale as x (MediaPipe's
relative depth, smaller is nearer the camera). 478 points: the 468-point mesh plus 10 iris points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from tryon.tracking.face_mesh_graph import FaceMeshGraph
from tryon.tracking.filters import OneEuroFilter, OneEuroParams

Mode = Literal["photo", "video"]
LANDMARK_COUNT = 478
RIGHT_IRIS_CENTRE = 468  # the subject's right eye: on the image's left in a frontal photo
LEFT_IRIS_CENTRE = 473
MAX_FACES_LIMIT = 4  # mirrors show up to four shoppers; more makes tracking too slow for live use

# Filter parameters in "pixels at 480 lines" so they behave the same at any resolution:
# Chosen by a sweep on a real portrait (tests/tryon/geometry): min_cutoff 1 Hz cuts still-face
# jitter ~3x; beta 1.0 with d_cutoff 3 Hz opens the cutoff fast enough that a head moving 120 px/s
# lags ~1.2 px (MediaPipe's own tracking lags ~0.7 px there), where beta 0.1 lagged ~3.6 px.
DEFAULT_FILTER = OneEuroParams(min_cutoff=1.0, beta=1.0, d_cutoff=3.0)
_FILTER_REFERENCE_LINES = 480.0


@dataclass(frozen=True, eq=False)
class TrackedFace:
    """One face in one frame. landmarks: (478,3) float64 pixels (x, y, z-relative).

    raw_landmarks are MediaPipe's output before temporal filtering (equal in photo mode).
    """

    face_id: int
    landmarks: np.ndarray
    raw_landmarks: np.ndarray

    @property
    def centre(self) -> np.ndarray:
        return self.landmarks[:, :2].mean(axis=0)

    @property
    def width_px(self) -> float:
        x = self.landmarks[:, 0]
        return float(x.max() - x.min())


@dataclass
class _Track:
    face_id: int
    centre: np.ndarray
    width: float
    filter: OneEuroFilter | None = None


class FaceTracker:
    """Face mesh with iris refinement. photo mode: every image on its own; video mode: tracking
    state across frames, face ids kept across frames, and One Euro filtered landmarks."""

    def __init__(
        self,
        mode: Mode = "video",
        max_faces: int = 1,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        filter_params: OneEuroParams | None = DEFAULT_FILTER,
    ) -> None:
        if not 1 <= max_faces <= MAX_FACES_LIMIT:
            raise ValueError(f"max_faces must be 1..{MAX_FACES_LIMIT}, got {max_faces}")
        self.mode = mode
        self.max_faces = max_faces
        self._filter_params = filter_params
        self._mesh = FaceMeshGraph(
            static_image_mode=(mode == "photo"),
            max_num_faces=max_faces,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self._tracks: list[_Track] = []
        self._next_id = 0
        self._frames = 0

    def close(self) -> None:
        self._mesh.close()

    def __enter__(self) -> "FaceTracker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def process(self, frame_bgr: np.ndarray, timestamp_s: float | None = None) -> list[TrackedFace]:
        """Faces in one BGR frame, ordered by face id. timestamp_s drives the filter (video
        mode); without it frames are taken to be 1/30 s apart."""
        h, w = frame_bgr.shape[:2]
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        found = self._mesh.landmarks(rgb)
        t = timestamp_s if timestamp_s is not None else self._frames / 30.0
        self._frames += 1
        detections = [_to_pixels(lm, w, h) for lm in found]
        if self.mode == "photo":
            faces = [TrackedFace(i, lm, lm) for i, lm in enumerate(_left_to_right(detections))]
            return faces
        return self._track(detections, t, h)

    def _track(self, detections: list[np.ndarray], t: float, height: int) -> list[TrackedFace]:
        centres = [d[:, :2].mean(axis=0) for d in detections]
        matches = _match(self._tracks, centres)
        faces: list[TrackedFace] = []
        kept: list[_Track] = []
        unit = _FILTER_REFERENCE_LINES / height
        for det_index, landmarks in enumerate(detections):
            track = matches.get(det_index)
            if track is None:
                params = self._filter_params
                track = _Track(self._next_id, np.zeros(2), 0.0, OneEuroFilter(params) if params else None)
                self._next_id += 1
            track.centre = centres[det_index]
            track.width = float(np.ptp(landmarks[:, 0]))
            smoothed = landmarks
            if track.filter is not None:
                smoothed = track.filter(landmarks, t, unit)
            kept.append(track)
            faces.append(TrackedFace(track.face_id, smoothed, landmarks))
        # a track not matched this frame is dropped: its filter state dies with it, so a face
        # that comes back starts fresh instead of sliding in from where it was lost
        self._tracks = kept
        return sorted(faces, key=lambda f: f.face_id)


def _to_pixels(normalised: np.ndarray, width: int, height: int) -> np.ndarray:
    arr = normalised
    arr[:, 0] *= width
    arr[:, 1] *= height
    arr[:, 2] *= width  # MediaPipe's z uses roughly the scale of x
    return arr


def _left_to_right(detections: list[np.ndarray]) -> list[np.ndarray]:
    return sorted(detections, key=lambda lm: float(lm[:, 0].mean()))


def _match(tracks: list[_Track], detection_centres: list[np.ndarray]) -> dict[int, _Track]:
    """Hungarian assignment on centre distance (pixels); a pair further apart than half a face
    width is not the same face. Returns detection index -> track."""
    if not tracks or not detection_centres:
        return {}
    centres = np.array(detection_centres)
    if len(tracks) == 1 and len(centres) == 1:  # the webcam case: no assignment to solve
        track = tracks[0]
        near = float(np.hypot(*(centres[0] - track.centre))) <= 0.5 * max(track.width, 1.0)
        return {0: track} if near else {}
    cost = np.linalg.norm(centres[:, None, :] - np.array([t.centre for t in tracks])[None], axis=2)
    rows, cols = linear_sum_assignment(cost)
    out: dict[int, _Track] = {}
    for r, c in zip(rows, cols):
        if cost[r, c] <= 0.5 * max(tracks[c].width, 1.0):
            out[int(r)] = tracks[c]
    return out
