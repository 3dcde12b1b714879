import cv2
import mediapipe as mp
import numpy as np
import pytest
from mediapipe.framework.formats import landmark_pb2

from tryon.frames import read_image_file
from tryon.tracking.face_mesh_graph import FaceMeshGraph, landmarks_from_bytes


@pytest.fixture(scope="module")
def video_frames(shared_data):
    cap = cv2.VideoCapture(str(shared_data / "video/woman_face_thumbs_up_720p.mp4"))
    frames = []
    for _ in range(12):
        ok, frame = cap.read()
        assert ok
        frames.append(cv2.cvtColor(cv2.resize(frame, (640, 360)), cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


def test_driving_the_graph_directly_gives_mediapipes_own_landmarks_frame_by_frame(video_frames):
    graph = FaceMeshGraph(static_image_mode=False, max_num_faces=1, min_detection_confidence=0.5,
                          min_tracking_confidence=0.5)
    assert graph._direct, "mediapipe 0.10.21's wrapper members are expected; the fallback would hide a slowdown"
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1, refine_landmarks=True) as stock:
        for rgb in video_frames:
            ours = graph.landmarks(rgb)
            theirs = stock.process(rgb).multi_face_landmarks
            assert len(ours) == len(theirs) == 1
            expected = np.array([(p.x, p.y, p.z) for p in theirs[0].landmark])
            np.testing.assert_allclose(ours[0], expected, rtol=0, atol=1e-6)  # float32 values, same graph
    graph.close()


def test_both_children_come_back_from_a_photo(shared_data):
    rgb = cv2.cvtColor(read_image_file(shared_data / "faces/two_children_frontal_multiface.jpeg"), cv2.COLOR_BGR2RGB)
    graph = FaceMeshGraph(static_image_mode=True, max_num_faces=4, min_detection_confidence=0.5,
                          min_tracking_confidence=0.5)
    faces = graph.landmarks(rgb)
    graph.close()
    assert len(faces) == 2 and all(f.shape == (478, 3) for f in faces)
    assert all(0.0 < f[:, 0].mean() < 1.0 and 0.0 < f[:, 1].mean() < 1.0 for f in faces)


def test_landmark_lists_with_extra_fields_are_read_through_protobuf():
    message = landmark_pb2.NormalizedLandmarkList()
    for i in range(5):
        message.landmark.add(x=0.1 * i, y=0.2, z=-0.01 * i, visibility=0.9)
    decoded = landmarks_from_bytes(message.SerializeToString())
    np.testing.assert_allclose(decoded, [[0.1 * i, 0.2, -0.01 * i] for i in range(5)], atol=1e-6)


def test_plain_landmark_lists_are_read_as_records():
    message = landmark_pb2.NormalizedLandmarkList()
    for i in range(478):
        message.landmark.add(x=i / 478, y=1 - i / 478, z=0.5)
    decoded = landmarks_from_bytes(message.SerializeToString())
    assert decoded.shape == (478, 3) and decoded.dtype == np.float64
    np.testing.assert_allclose(decoded[:, 0], np.arange(478) / 478, atol=1e-6)
