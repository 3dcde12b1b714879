"""The head proxy: face mesh, skull, neck and ears, the same on the server and in the browser."""

import numpy as np
from scipy.spatial.transform import Rotation

from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.ear_roots import ear_roots
from tryon.geometry.head_occluder import FACE_MESH_POINTS, build_head_occluder, camera_from_ears
from tryon.geometry.head_pose import HeadPose
from tryon.geometry.reference_face import load_reference_face
from tryon.products.fit.face_frame import FaceFrame

REF = load_reference_face()
CAM = CameraIntrinsics.from_fov(640, 480)


def _face(yaw: float) -> FaceFrame:
    pose = HeadPose(Rotation.from_euler("y", yaw, degrees=True).as_matrix(), np.array([0.0, -40.0, 480.0]), 1.0, True)
    pixels = np.concatenate([CAM.project(pose.to_camera(REF.landmarks)), np.zeros((478, 1))], axis=1)
    return FaceFrame.build(pixels, pose, CAM, REF)


def test_the_browser_gets_the_ears_the_server_draws():
    face = _face(20.0)
    roots = ear_roots(face.landmarks_head, face.pose)
    occluder = build_head_occluder(face, roots)
    ears = occluder.vertices[-2 * 162:]  # two icospheres of 162 vertices, last in the mesh
    for side, m in enumerate(camera_from_ears(face, roots)):
        unit = (ears[side * 162:(side + 1) * 162] - m[:3, 3]) @ np.linalg.inv(m[:3, :3]).T
        assert np.allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-3)


def test_each_ear_hangs_from_its_root_outside_the_head():
    face = _face(0.0)
    roots = ear_roots(face.landmarks_head, face.pose)
    for side, (root, m) in enumerate(zip(roots, camera_from_ears(face, roots))):
        centre_head = face.pose.rotation.T @ (m[:3, 3] - face.pose.translation)
        outward = 1.0 if side else -1.0
        assert outward * (centre_head[0] - root[0]) > 0  # the pinna stands out from the head
        assert 15.0 < centre_head[1] - root[1] < 35.0  # and hangs below the root, lobe lowest
    occluder = build_head_occluder(face, roots)
    assert len(occluder.vertices) > FACE_MESH_POINTS and occluder.indices.max() < len(occluder.vertices)
