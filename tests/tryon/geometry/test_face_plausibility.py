"""Face plausibility on real faces and on meshes that are not (or not wholly) faces."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tryon.frames import read_image_file
from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.face_plausibility import assess_face, mirror_pairs
from tryon.geometry.head_pose import estimate_head_pose
from tryon.geometry.reference_face import load_reference_face
from tryon.products.fit.face_frame import FaceFrame
from tryon.tracking.face import FaceTracker

REFERENCE = load_reference_face()
FRONTAL = ["obama_official_portrait_frontal.jpg", "biden_standing_upper_body.jpg", "astronaut_eileen_collins_frontal.png",
           "hagrid_man_closeup_thumb_down.jpg", "hagrid_woman_eyeglasses_hand_raised.jpg",
           "two_children_frontal_multiface.jpeg", "obama_partial_face_cropped.jpg"]


def assess(image: np.ndarray, landmarks: np.ndarray | None = None):
    camera = CameraIntrinsics.from_fov(image.shape[1], image.shape[0], 60.0)
    if landmarks is None:
        with FaceTracker("photo", max_faces=4) as tracker:
            faces = tracker.process(image)
        assert faces, "no face found"
        landmarks = faces[0].landmarks
    pose = estimate_head_pose(landmarks, camera, REFERENCE)
    frame = FaceFrame.build(landmarks, pose, camera, REFERENCE)
    return assess_face(landmarks, frame.landmarks_head, pose, camera, REFERENCE)


@pytest.mark.parametrize("photo", FRONTAL)
def test_real_frontal_faces_are_accepted_with_no_notes(shared_data, photo):
    result = assess(read_image_file(shared_data / "faces" / photo))
    assert result.verdict == "accepted" and result.confidence >= 0.9 and result.notes == ()


def test_the_reference_face_mirrors_onto_itself():
    pairs = mirror_pairs(REFERENCE)
    assert len(pairs) >= 40
    right, left = REFERENCE.landmarks[pairs[:, 0]], REFERENCE.landmarks[pairs[:, 1]]
    assert np.abs(right * [-1, 1, 1] - left).max() < 1.5 and (right[:, 0] < 0).all()


def test_a_face_squashed_to_half_its_height_is_rejected(shared_data):
    """What a camera feed with a wrong aspect ratio, or a face-like pattern, gives the mesh."""
    image = read_image_file(shared_data / "faces/obama_official_portrait_frontal.jpg")
    squashed = cv2.resize(image, (image.shape[1], image.shape[0] // 2), interpolation=cv2.INTER_AREA)
    result = assess(squashed)
    assert result.verdict == "rejected" and result.residual_pct > 4.5
    assert any("human face shape" in note for note in result.notes)


def test_a_mesh_mostly_above_the_picture_is_not_taken_for_a_face(shared_data):
    """Cropped at the lips, the mesh still returns a whole face from the mouth and chin."""
    image = read_image_file(shared_data / "faces/hagrid_man_closeup_thumb_down.jpg")
    with FaceTracker("photo") as tracker:
        landmarks = tracker.process(image)[0].landmarks.copy()
    lips_y = landmarks[13, 1]
    landmarks[:, 1] -= lips_y  # as if the picture began at the upper lip
    cropped = np.ascontiguousarray(image[int(lips_y):])
    result = assess(cropped, landmarks)
    assert result.verdict != "accepted" and "the face is partly outside the picture" in result.notes


def test_a_tiny_face_says_come_closer(shared_data):
    image = read_image_file(shared_data / "faces/hagrid_man_eyeglasses_phone_gesture.jpg")
    small = cv2.resize(image, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    result = assess(small)
    assert result.verdict == "rejected" and any("come closer" in note for note in result.notes)
