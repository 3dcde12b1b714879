"""The glasses front settles on the nose: it touches it, never sinks into it, and follows it."""

import numpy as np
from scipy.spatial.transform import Rotation

from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.head_pose import HeadPose
from tryon.geometry.reference_face import load_reference_face
from tryon.products.catalog import load_product_model, resolve_product
from tryon.products.fit.face_frame import HEAD_FROM_PRODUCT_AXES, FaceFrame
from tryon.products.fit.glasses import place_glasses
from tryon.products.fit.nose_contact import CLEARANCE_MM, NOSE_SURFACE, contact_points, depth_on_nose

REF = load_reference_face()
CAM = CameraIntrinsics.from_fov(640, 480)


def _face(landmarks: np.ndarray, yaw: float = 0.0) -> FaceFrame:
    pose = HeadPose(Rotation.from_euler("y", yaw, degrees=True).as_matrix(), np.array([0.0, 0.0, 500.0]), 1.0, True)
    pixels = np.concatenate([CAM.project(pose.to_camera(landmarks)), np.zeros((478, 1))], axis=1)
    return FaceFrame.build(pixels, pose, CAM, REF)


def _clearance(product: str, face: FaceFrame) -> float:
    """Smallest distance (mm, along the head's z) between the front's contact points and the nose."""
    model = load_product_model(resolve_product(product))
    (head_from_product,) = place_glasses(model, resolve_product(product).fit, face)
    points = contact_points(model) @ head_from_product[:3, :3].T + head_from_product[:3, 3]
    depth = depth_on_nose(face.landmarks_head, points[:, :2], points[:, 2] - head_from_product[2, 3])
    return float(depth - head_from_product[2, 3]) + CLEARANCE_MM


def test_the_bridge_rests_on_the_nose_without_sinking_into_it():
    for product in ("round-classic", "rect-metro", "sunglasses-shade"):
        assert abs(_clearance(product, _face(REF.landmarks)) - CLEARANCE_MM) < 0.05
        assert abs(_clearance(product, _face(REF.landmarks, yaw=20.0)) - CLEARANCE_MM) < 0.05


def test_a_higher_nose_bridge_holds_the_frame_further_from_the_eyes():
    model = load_product_model(resolve_product("round-classic"))
    fit = resolve_product("round-classic").fit
    face = _face(REF.landmarks)
    higher = face.landmarks_head.copy()
    higher[list(NOSE_SURFACE), 2] -= 3.0  # the wearer's nose stands 3 mm further out
    tall_nose = FaceFrame(face.pose, face.landmarks_camera, higher)
    (usual,) = place_glasses(model, fit, face)
    (on_tall,) = place_glasses(model, fit, tall_nose)
    assert abs(usual[2, 3] - on_tall[2, 3] - 3.0) < 1e-6
    # the front's orientation and height are the same: only how far out it sits changes
    assert np.allclose(usual[:3, :3] @ HEAD_FROM_PRODUCT_AXES, on_tall[:3, :3] @ HEAD_FROM_PRODUCT_AXES)
    assert np.allclose(usual[:2, 3], on_tall[:2, 3])
