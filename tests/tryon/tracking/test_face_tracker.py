import cv2
import numpy as np
import pytest

from tryon.frames import read_image_file
from tryon.tracking.face import FaceTracker


@pytest.fixture(scope="module")
def children(shared_data):
    frame = read_image_file(shared_data / "faces/two_children_frontal_multiface.jpeg")
    return cv2.resize(frame, (640, 427))


def test_photo_mode_finds_both_children_left_to_right(children):
    with FaceTracker("photo", max_faces=4) as tracker:
        faces = tracker.process(children)
    assert len(faces) == 2
    assert faces[0].centre[0] < faces[1].centre[0]
    assert faces[0].landmarks.shape == (478, 3)


def test_face_ids_stay_with_their_faces_as_they_move(children):
    with FaceTracker("video", max_faces=2) as tracker:
        first = {f.face_id: f.centre[0] for f in tracker.process(children, 0.0)}
        for i in range(1, 8):
            shifted = np.roll(children, 6 * i, axis=1)
            faces = tracker.process(shifted, i / 30)
            assert {f.face_id for f in faces} == set(first)
            for f in faces:
                assert abs(f.raw_landmarks[:, 0].mean() - (first[f.face_id] + 6 * i)) < 5


def test_a_face_lost_and_found_again_gets_a_fresh_track(shared_data):
    frame = read_image_file(shared_data / "faces/hagrid_man_closeup_thumb_down.jpg")
    blank = np.full_like(frame, 90)
    with FaceTracker("video", max_faces=1) as tracker:
        a = tracker.process(frame, 0.0)
        assert tracker.process(blank, 1 / 30) == []
        b = tracker.process(np.roll(frame, 40, axis=1), 2 / 30)
    assert a[0].face_id != b[0].face_id
    # a fresh track is not dragged toward the old position by the filter
    assert np.allclose(b[0].landmarks, b[0].raw_landmarks)


def test_profile_and_masked_faces_report_no_face(shared_data):
    with FaceTracker("photo", max_faces=1) as tracker:
        assert tracker.process(read_image_file(shared_data / "faces/cameraman_profile_grayscale.png")) == []


def test_too_many_faces_requested_is_refused():
    with pytest.raises(ValueError, match="max_faces"):
        FaceTracker("photo", max_faces=9)
