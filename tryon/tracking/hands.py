"""Hand landmarks per frame (MediaPipe Hands), on a thread of their own, per stream.

Why a thread: the hand graph releases the GIL, so it runs on the second core beside the face
mesh, render and encode. Measured on this 2-core machine, the graph and the face mesh slow each
other down (each ~1.8x as long side by side), so the graph is fed as few frames as looks right
(every frame while a hand moves, one in TRACK_STRIDE while it is still) and, in video, is not
waited for: a frame is drawn with the graph's last answer, moved on at the hand's speed.

Why the search runs in the background: with no hand in view the graph runs palm detection on
every frame it is fed (~7 ms, longer than the face mesh). While no hand is tracked, one frame in
SEARCH_STRIDE is handed to the graph; once it has found a hand, tracking starts. A hand that
comes into view occludes from 1-6 frames after it appears. Photos wait for the graph.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from tryon.tracking.face import Mode
from tryon.tracking.hand_landmarks_graph import HandLandmarksGraph

# Full landmark model (~1.5x the lite one's time): on the thumbs-up clip picked up mid-way
# (frame 70), the lite model folded the thumb into the fist on most frames (thumb covered on
# 21/85 frames; the lens then shows over the thumb), the full one covered it on 79/85; picked up
# from the clip's start, lite 83/85, full 73/85.
MODEL_COMPLEXITY = 1
# Photos (no time budget) ask both models and keep every hand either finds: on a still of that
# clip the full model lost the thumb that the lite one found, and a finger one model misses is
# a lens drawn over it. The same hand found twice is drawn as the union of the two silhouettes.
PHOTO_MODEL_COMPLEXITIES = (0, 1)
# Video: one hand. With two, the graph looks for the second hand (palm detection) on every frame
# one is tracked: 9.3 ms p50 measured, past the frame budget. Photos have no budget: two.
VIDEO_MAX_HANDS = 1
PHOTO_MAX_HANDS = 2
MAX_HANDS_LIMIT = 2
# Wider frames are scaled down to this before the hand graph: its models see 192 and 224 px
# inputs, so a hand over a face (a fifth of the frame or more) loses nothing, and the colour
# conversion and copy of a 1280x720 frame (~1 ms on this machine) shrink fourfold.
INPUT_MAX_WIDTH = 640
# While a tracked hand is still, the graph runs on one frame in TRACK_STRIDE; the frames
# between reuse its last two answers. Why: on this machine the hand graph beside the face mesh
# slows both (side by side each took ~1.8x as long), so feeding the lite model every frame
# measured +2.1 ms p50 on the whole 640x480 frame, past the budget, and the full model costs
# ~1.5x the lite one. On the thumbs-up clip (frames 75-160, tracking picked up at frame 0 or 70)
# the full model covered the thumb on 73/85 and 79/85 frames fed every frame, and on 76/85 and
# 82/85 with stride 4, fed 21-24 frames of 85. A moving hand is fed every frame: with frames
# skipped, a fast hand (~30 px/frame) left the graph's tracking box and it locked onto the
# forearm for seconds.
TRACK_STRIDE = 4
# Still: the joints moved less than this share of the hand's size since the graph's last answer
# (~2 px for a thumbs-up at 640x480, about the lite model's own frame-to-frame jitter).
STILL_SHARE_PER_FRAME = 0.015
# While none is tracked, a background search (palm detection, ~7 ms) starts on one frame in
# SEARCH_STRIDE: a hand coming into view is found within ~0.17 s at 30 fps. No hand in view is
# the common case of a try-on, and every third frame still measured +0.3 to +1.5 ms p50 there.
SEARCH_STRIDE = 5
# Tracking frames are handed to the graph and not waited for: the frame is drawn with the last
# answer, moved on at the hand's speed (one frame old while the hand moves). Frame-interleaved
# A/B on the thumbs-up clip at 640x480 (p50 over hands off): waiting +2.4 ms overall and +5.3 ms
# while the hand rises; in the background +1.6 and +2.7 ms.
TRACK_IN_BACKGROUND = True


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
    graph's thread (or skips it) and returns at once; `result()` gives the hands to draw.

    Photo mode waits for every photo's hands. Video mode never waits (with in_background, the
    default): it draws the graph's last answer and searches in the background while no hand is
    tracked (see the module docstring). `process` does both in one call.
    """

    def __init__(self, mode: Mode = "video", max_hands: int | None = None,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 track_stride: int = TRACK_STRIDE, model_complexity: int = MODEL_COMPLEXITY,
                 in_background: bool | None = None) -> None:
        """track_stride: in video, one frame in this many runs the graph while a tracked hand is
        still; model_complexity: MediaPipe's hand landmark model, 0 (lite) or 1 (full);
        in_background: video frames are never waited for, the last answer is used (moved on at
        the hand's speed); default TRACK_IN_BACKGROUND."""
        max_hands = max_hands or (PHOTO_MAX_HANDS if mode == "photo" else VIDEO_MAX_HANDS)
        if not 1 <= max_hands <= MAX_HANDS_LIMIT:
            raise ValueError(f"max_hands must be 1..{MAX_HANDS_LIMIT}, got {max_hands}")
        self.mode = mode
        self.max_hands = max_hands
        self.track_stride = max(1, track_stride)
        self.in_background = TRACK_IN_BACKGROUND if in_background is None else in_background
        complexities = PHOTO_MODEL_COMPLEXITIES if mode == "photo" else (model_complexity,)
        self._graphs = [
            HandLandmarksGraph(
                static_image_mode=(mode == "photo"),
                max_num_hands=max_hands,
                model_complexity=complexity,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )
            for complexity in complexities
        ]
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hands")
        self._pending: Future | None = None
        self._wait = True  # whether result() waits for the frame start() handed over
        self._tracking = False
        self._frame = 0  # frames given to start()
        self._seen: list[tuple[int, list[TrackedHand]]] = []  # the last two graph answers, by frame
        self._pending_waited = True  # whether the frame in flight is waited for (not a search)
        self._is_still = False  # whether the last two answers show a still hand (_still)
        self._pending_frame = 0
        self.frames_looked_at = 0  # frames the hand graph ran on (the rest were skipped)
        # Where a hand can hide a product: (x0, y0, x1, y1) pixel boxes, set by the caller from
        # the faces of the frame before (None: everywhere). Without in_background, a tracked hand
        # outside all of them is tracked in the background too, until it comes near.
        self.watch_boxes: list[tuple[float, float, float, float]] | None = None

    def start(self, frame_bgr: np.ndarray) -> None:
        """Hand `frame_bgr` ((H,W,3) uint8 BGR, not modified until `result`) to the hand graph."""
        self._frame += 1
        self._wait = False
        if self._pending is not None and not self._pending.done():
            # A background search is still running on an earlier frame: this frame is skipped,
            # the graph sees frames in order and one at a time.
            return
        if self._pending is not None and not self._pending_waited:
            self._remember(self._pending_frame, self._pending.result())  # a background answer
            self._pending = None
        if self.mode == "photo":
            self._wait = True
        elif self._tracking:
            due = (self._frame - self._seen[-1][0]) >= self.track_stride or not self._is_still
            if not due:
                return
            self._wait = not self.in_background and self._near_watch_boxes()
        elif not self._tracking and self._frame % SEARCH_STRIDE:
            return
        self._pending_waited = self._wait
        self._pending_frame = self._frame
        self._pending = self._thread.submit(self._run, frame_bgr if self._wait else frame_bgr.copy())

    def _near_watch_boxes(self) -> bool:
        """Whether the last answer's hands reach (with half their size of margin, for the way
        they may move in a frame) into one of the watch boxes."""
        if self.watch_boxes is None:
            return True
        for hand in self._seen[-1][1]:
            x0, y0, x1, y1 = hand.box_px()
            m = 0.5 * max(x1 - x0, y1 - y0)
            if any(x0 - m < b[2] and b[0] < x1 + m and y0 - m < b[3] and b[1] < y1 + m for b in self.watch_boxes):
                return True
        return False

    def result(self) -> list[TrackedHand]:
        """The hands to occlude with in the frame given to the last `start` (empty while
        searching). A still hand comes as its last two answers, the same hand twice, whose
        silhouettes are drawn together: the landmark model now and then folds a raised thumb
        into the fist for a frame, and the answer before still holds it."""
        if self._wait and self._pending is not None:
            self._remember(self._frame, self._pending.result())
            self._pending = None
        if not self._tracking or not self._seen:
            return []
        if self._is_still:
            return _still_hands(self._seen)
        return _moved_on(self._seen, self._frame) if self.in_background else self._seen[-1][1]

    def _remember(self, frame: int, hands: list[TrackedHand]) -> None:
        """Keep the graph's answer for `frame` beside the one before (no hand: tracking ends)."""
        self._tracking = bool(hands)
        self._seen = (self._seen[-1:] + [(frame, hands)]) if hands else []
        self._is_still = _still(self._seen)

    def process(self, frame_bgr: np.ndarray) -> list[TrackedHand]:
        self.start(frame_bgr)
        return self.result()

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        for graph in self._graphs:
            graph.close()

    def __enter__(self) -> "HandTracker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, frame_bgr: np.ndarray) -> list[TrackedHand]:
        h, w = frame_bgr.shape[:2]
        if w > INPUT_MAX_WIDTH:
            small = (INPUT_MAX_WIDTH, max(1, round(h * INPUT_MAX_WIDTH / w)))
            frame_bgr = cv2.resize(frame_bgr, small, interpolation=cv2.INTER_AREA)
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        self.frames_looked_at += 1
        hands = []
        for graph in self._graphs:
            for image, world in graph.landmarks(rgb):
                image[:, 0] *= w
                image[:, 1] *= h
                image[:, 2] *= w  # MediaPipe's z uses roughly the scale of x
                hands.append(TrackedHand(image, world))
        return hands


def _moved_on(seen: list[tuple[int, list[TrackedHand]]], frame: int) -> list[TrackedHand]:
    """The last answer's hands moved on to `frame` at their speed between the last two answers
    (as they are with one answer or a different hand count)."""
    last_frame, last = seen[-1]
    if len(seen) < 2 or len(seen[0][1]) != len(last) or frame == last_frame:
        return last
    first_frame, first = seen[0]
    step = (frame - last_frame) / max(last_frame - first_frame, 1)
    return [TrackedHand(b.landmarks_px + (b.landmarks_px - a.landmarks_px) * step, b.world_m) for a, b in zip(first, last)]


def _still_hands(seen: list[tuple[int, list[TrackedHand]]]) -> list[TrackedHand]:
    """Both answers' hands of a still hand (moving them on at their speed instead added the
    model's jitter to them)."""
    return seen[-1][1] + seen[0][1]


def _still(seen: list[tuple[int, list[TrackedHand]]]) -> bool:
    """Whether every hand's median joint moved less than STILL_SHARE_PER_FRAME of its size per
    frame between the last two answers (unknown, with one answer: not still)."""
    if len(seen) < 2 or len(seen[0][1]) != len(seen[1][1]):
        return False
    frames = max(seen[1][0] - seen[0][0], 1)
    for a, b in zip(seen[0][1], seen[1][1]):
        x0, y0, x1, y1 = b.box_px()
        size = max(x1 - x0, y1 - y0, 1.0)
        # The median joint: a thumb folded into the fist for one answer is not a moving hand.
        shifts = np.sort(np.abs(b.landmarks_px[:, :2] - a.landmarks_px[:, :2]).max(axis=1))
        moved = float(shifts[len(shifts) // 2])
        if moved > STILL_SHARE_PER_FRAME * size * frames:
            return False
    return True
