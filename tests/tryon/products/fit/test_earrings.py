import numpy as np
from scipy.spatial.transform import Rotation

from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.head_pose import HeadPose
from tryon.geometry.reference_face import load_reference_face
from tryon.products.fit.earrings import place_earrings
from tryon.products.fit.face_frame import FaceFrame
from tryon.products.model import FitProfile, Material, Primitive, ProductModel

REF = load_reference_face()
CAM = CameraIntrinsics.from_fov(640, 480)
_PTS = np.array([[-4, -25, -4], [4, 0, 4]], np.float32)
EARRING = ProductModel((Primitive("drop", _PTS, np.zeros_like(_PTS), None, np.zeros((0, 3), np.uint32), Material()),))


def face_turned(yaw_deg: float) -> FaceFrame:
    """The reference face 500 mm away, turned about the vertical axis (camera frame)."""
    pose = HeadPose(Rotation.from_euler("y", yaw_deg, degrees=True).as_matrix(), np.array([0.0, 0.0, 500.0]), 1.0, True)
    pixels = np.concatenate([CAM.project(pose.to_camera(REF.landmarks)), np.zeros((478, 1))], axis=1)
    return FaceFrame.build(pixels, pose, CAM, REF)


def visible_sides(yaw: float, before=None) -> dict[str, bool]:
    return place_earrings(EARRING, FitProfile("earrings"), face_turned(yaw), before)[1]


def test_a_frontal_face_shows_both_earrings():
    placements, state = place_earrings(EARRING, FitProfile("earrings"), face_turned(0.0))
    assert state == {"right": True, "left": True} and len(placements) == 2


def test_the_ear_turned_away_hides_its_earring():
    # positive rotation about the camera's y axis (pointing down) brings the subject's left side
    # toward the camera and turns the right ear away
    assert visible_sides(30.0) == {"right": False, "left": True}
    assert visible_sides(-30.0) == {"right": True, "left": False}


def test_visibility_has_hysteresis_near_the_threshold():
    hidden = {"right": False, "left": True}
    # at 10 degrees a visible ear stays visible, but a hidden one must come back further first
    assert visible_sides(10.0, {"right": True, "left": True})["right"] is True
    assert visible_sides(10.0, hidden)["right"] is False
    assert visible_sides(0.0, hidden)["right"] is True


def test_the_right_earring_is_mirrored_and_both_hang_at_the_lobes():
    placements, _ = place_earrings(EARRING, FitProfile("earrings"), face_turned(0.0))
    right, left = placements
    assert np.linalg.det(right[:3, :3]) < 0 < np.linalg.det(left[:3, :3])
    assert right[0, 3] < -60 and left[0, 3] > 60  # head frame x: subject's right is negative
    assert right[1, 3] > 0 and left[1, 3] > 0  # below the eye line (y down)
