"""A face looking into the lens from the side of the picture is measured like a centred one.

The textured head of test_pose_ground_truth is rendered facing the camera (turned with its
viewing ray) at the centre of a 1280x720 frame and up to 22 degrees off-axis. Seen along its
ray it is the same face, so its distance, how it is seen turned, and the confidence in its
measurements must not depend on where in the picture it sits.
"""

import cv2
import numpy as np
import pytest
from test_pose_ground_truth import textured_head  # noqa: F401 (the fixture)

from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.head_pose import estimate_head_pose
from tryon.geometry.measure import measure_face
from tryon.geometry.reference_face import load_reference_face
from tryon.geometry.viewing_ray import ray_rotation, seen_yaw_pitch_deg
from tryon.products.fit.face_frame import HEAD_FROM_PRODUCT_AXES
from tryon.products.model import ProductModel
from tryon.render.items import RenderItem
from tryon.tracking.face import FaceTracker

REF = load_reference_face()
CAMERA = CameraIntrinsics.from_fov(1280, 720)
DISTANCE_MM = 500.0


def _seen(head: ProductModel, right_deg: float, down_deg: float, artifacts):
    from tryon.render.compositor import get_compositor

    ray = np.array([np.tan(np.radians(right_deg)), np.tan(np.radians(down_deg)), 1.0])
    position = DISTANCE_MM * ray / np.linalg.norm(ray)
    m = np.eye(4)
    m[:3, :3] = ray_rotation(position) @ HEAD_FROM_PRODUCT_AXES  # facing the camera along its ray
    m[:3, 3] = position
    image = get_compositor().render(np.full((720, 1280, 3), 110, np.uint8), CAMERA,
                                    [RenderItem(head, "test-head", None, m)], [])
    cv2.imwrite(str(artifacts / f"off_axis_{right_deg}_{down_deg}.png"), image)
    with FaceTracker("photo") as tracker:
        landmarks = tracker.process(image)[0].landmarks
    pose = estimate_head_pose(landmarks, CAMERA, REF)
    return pose, measure_face(landmarks, pose, CAMERA, REF)


@pytest.mark.parametrize("right_deg,down_deg", [(20, 0), (-20, 0), (0, -8), (20, -8)])  # chin in view
def test_a_face_seen_off_axis_is_as_far_and_as_turned_as_when_centred(textured_head, artifacts,  # noqa: F811
                                                                      right_deg, down_deg):
    centred_pose, centred = _seen(textured_head, 0, 0, artifacts)
    pose, measured = _seen(textured_head, right_deg, down_deg, artifacts)
    # Before the iris was read as an angle along the ray, 20 degrees off-axis came out 6-9%
    # nearer (the glasses drawn that much too big for the face) and 0.2 less confident. What is
    # left (2-6%, always nearer) is MediaPipe reading the radially stretched iris a little large.
    assert measured.distance_mm == pytest.approx(centred.distance_mm, rel=0.06)
    assert measured.confidence >= centred.confidence - 0.05
    seen = np.array(seen_yaw_pitch_deg(pose.rotation, pose.translation))
    seen_centred = np.array(seen_yaw_pitch_deg(centred_pose.rotation, centred_pose.translation))
    assert np.abs(seen - seen_centred).max() < 3.0  # camera axes: turned by the ray's 20 degrees
