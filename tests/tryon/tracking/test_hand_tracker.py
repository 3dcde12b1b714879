"""HandTracker: which frames the hand graph sees (budget), and that it finds real hands."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tryon.frames import read_image_file
from tryon.tracking import hands as hands_module
from tryon.tracking.hands import SEARCH_STRIDE, TRACK_STRIDE, HandTracker

WORLD = np.zeros((21, 3))


class ScriptedGraph:
    """Stands in for the hand graph: a hand (21 joints around `centre`, pixels of a 640x480
    frame) or none, from the frame's first pixel: 0 no hand, else the hand's x offset."""

    def __init__(self, **_: object) -> None:
        self.frames_seen = 0

    def landmarks(self, rgb: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        self.frames_seen += 1
        offset = int(rgb[0, 0, 0])
        if offset == 0:
            return []
        joints = np.zeros((21, 3))
        joints[:, 0] = (200 + offset + np.arange(21) * 5) / 640
        joints[:, 1] = (200 + np.arange(21) * 8) / 480
        return [(joints, WORLD.copy())]

    def close(self) -> None:
        pass


@pytest.fixture
def scripted(monkeypatch):
    monkeypatch.setattr(hands_module, "HandLandmarksGraph", ScriptedGraph)


def frame_with(offset: int) -> np.ndarray:
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[0, 0] = offset  # BGR: the graph gets RGB, the same value in every channel
    return frame


def run(tracker: HandTracker, offsets: list[int]) -> list[int]:
    found = []
    for offset in offsets:
        found.append(len(tracker.process(frame_with(offset))))
        time.sleep(0.02)  # a camera's pace: the background search finishes between frames
    return found


def test_a_hand_coming_into_view_is_tracked_within_a_few_frames(scripted):
    with HandTracker("video") as tracker:
        seen = [n > 0 for n in run(tracker, [0] * 6 + [1] * 10)]
    assert not any(seen[:6])
    first = seen.index(True)
    assert first - 6 <= SEARCH_STRIDE + 1
    assert all(seen[first:])


def test_with_no_hand_in_view_the_graph_looks_at_one_frame_in_three(scripted):
    with HandTracker("video") as tracker:
        run(tracker, [0] * 30)
        # (one fewer when a search is still running at a busy moment: that frame is skipped)
        assert 30 // SEARCH_STRIDE - 2 <= tracker.frames_looked_at <= 30 // SEARCH_STRIDE


def test_a_still_hand_is_looked_at_one_frame_in_four_and_a_moving_one_every_frame(scripted):
    with HandTracker("video") as tracker:
        run(tracker, [1] * 10)
        before = tracker.frames_looked_at
        run(tracker, [1] * 20)  # a whole number of strides
        still = tracker.frames_looked_at - before
        before = tracker.frames_looked_at
        run(tracker, [1 + 6 * i for i in range(20)])  # 6 px a frame: a hand moving across the face
        moving = tracker.frames_looked_at - before
    assert still == 20 // TRACK_STRIDE
    assert moving >= 20 - TRACK_STRIDE  # the move is seen at the next look, then every frame


def test_a_still_hand_comes_with_its_last_two_answers(scripted):
    with HandTracker("video") as tracker:
        found = run(tracker, [1] * 12)
    assert found[-1] == 2  # the same hand twice: its two silhouettes are drawn together


def test_photo_mode_looks_at_every_photo(scripted):
    with HandTracker("photo") as tracker:
        assert run(tracker, [0, 1, 0, 1]) == [0, 2, 0, 2]  # both models answer: a hand found twice


def test_real_hands_are_found_in_photos_of_hands(shared_data):
    image = read_image_file(shared_data / "hands/hand_thumb_up_wrist.jpg")
    with HandTracker("photo") as tracker:
        hands = tracker.process(image)
    assert hands
    h, w = image.shape[:2]
    for hand in hands:
        assert hand.landmarks_px.shape == (21, 3) and hand.world_m.shape == (21, 3)
        x0, y0, x1, y1 = hand.box_px()
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        # MediaPipe's metric hand: the knuckles of the index and little finger 5-9 cm apart
        assert 0.04 < np.linalg.norm(hand.world_m[5] - hand.world_m[17]) < 0.10
