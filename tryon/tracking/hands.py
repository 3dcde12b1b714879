"""Hand landmarks per frame (MediaPipe Hands, lite model), run beside the face mesh.

Why a thread: the face mesh takes ~4.8 ms of the ~11.8 ms frame at 640x480 on one core, and
the hand graph ~3.8 ms while it tracks a hand; both release the GIL, so on a second core the
hands cost only the hand-off (`start` before the face mesh, `result` after it).

Why detection runs in the background: with no hand in view the graph runs palm detection on
every frame it is fed (~7 ms, longer than the face mesh). In video mode, while no hand is
tracked, a frame is handed to the graph and *not* waited for; its answer is read on a later
frame, and only once it has found a hand are frames waited for (tracking, cheap). A hand that
comes into view is therefore occluding from about two frames after it appears.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from tryon.tracking.face import Mode
from tryon.tracking.hand_landmarks_graph import HandLandmarksGraph

# Lite landmark model: 3.8 ms per tracked frame at 640x480 against ~6 ms for the full one; its
# joints are a few pixels less exact, well inside the finger radius the occluder adds.
MODEL_COMPLEXITY = 0
# Video: one hand. With two, the graph looks for the second hand (palm detection) on every frame
# one is tracked: 9.3 ms p50 measured, past the frame budget. Photos have no budget: two.
VIDEO_MAX_HANDS = 1
PHOTO_MAX_HANDS = 2
MAX_HANDS_LIMIT = 2


@dataclass(frozen=True, eq=False)
class TrackedHand:
    """One hand in one frame. landmarks_px: (21,3) float64 pixels (x, y on the image, z MediaPipe's
    relative depth on x's scale); world_m: (21,3) float64 metres around the hand's centre,
    camera-aligned axes (x right, y down, z away from the camera), from MediaPipe's model of an
    average hand."""

    landmarks_px: np.ndarray
    world_m: np.ndarray

    def box_px(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the joints, pixels (fingers reach a finger radius past it)."""
        xy = self.landmarks_px[:, :2]
        x0, y0 = xy.min(axis=0)
        x1, y1 = xy.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)


class HandTracker:
    """Hands in photo or video mode, for one stream. `start(frame)` hands the frame to the hand
    graph's thread and returns at once; `result()` waits for that frame's hands.

    Photo mode waits for every frame. Video mode waits while a hand is tracked and, while none
    is, looks in the background (see the module docstring); `process` does both in one call.
    """

    def __init__(self, mode: Mode = "video", max_hands: int | None = None,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5) -> None:
        max_hands = max_hands or (PHOTO_MAX_HANDS if mode == "photo" else VIDEO_MAX_HANDS)
        if not 1 <= max_hands <= MAX_HANDS_LIMIT:
            raise ValueError(f"max_hands must be 1..{MAX_HANDS_LIMIT}, got {max_hands}")
        self.mode = mode
        self.max_hands = max_hands
        self._graph = HandLandmarksGraph(
            static_image_mode=(mode == "photo"),
            max_num_hands=max_hands,
            model_complexity=MODEL_COMPLEXITY,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hands")
        self._pending: Future | None = None
        self._wait = True  # whether result() waits for the frame start() handed over
        self._tracking = False
        self.frames_looked_at = 0  # frames the hand graph ran on (the rest were skipped)

    def start(self, frame_bgr: np.ndarray) -> None:
        """Hand `frame_bgr` ((H,W,3) uint8 BGR, not modified until `result`) to the hand graph."""
        if self._pending is not None and not self._pending.done():
            # A background search is still running on an earlier frame: this frame is skipped,
            # the graph sees frames in order and one at a time.
            self._wait = False
            return
        if self._pending is not None and not self._wait:
            self._tracking = bool(self._pending.result())  # the background search's answer
        self._wait = self.mode == "photo" or self._tracking
        self._pending = self._thread.submit(self._run, frame_bgr if self._wait else frame_bgr.copy())

    def result(self) -> list[TrackedHand]:
        """The hands of the frame given to the last `start` (empty while searching)."""
        if self._pending is None or not self._wait:
            return []
        hands = self._pending.result()
        self._tracking = bool(hands)
        return hands

    def process(self, frame_bgr: np.ndarray) -> list[TrackedHand]:
        self.start(frame_bgr)
        return self.result()

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        self._graph.close()

    def __enter__(self) -> "HandTracker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, frame_bgr: np.ndarray) -> list[TrackedHand]:
        h, w = frame_bgr.shape[:2]
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        self.frames_looked_at += 1
        hands = []
        for image, world in self._graph.landmarks(rgb):
            image[:, 0] *= w
            image[:, 1] *= h
            image[:, 2] *= w  # MediaPipe's z uses roughly the scale of x
            hands.append(TrackedHand(image, world))
        return hands
