"""The hat's head proxy, as geometry: the reference face at known poses and head sizes, the
bundled fedora and the imported clown hat fitted on it. The proxy fills the hat's opening (so
the crown's inside never shows through it) yet no part of the hat in front of the head's centre
is inside it, and it is one closed mesh that the browser's two domes reproduce."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.hat_occluder import build_hat_occluder, camera_from_domes, occluder_from_domes
from tryon.geometry.head_pose import HeadPose
from tryon.geometry.reference_face import load_reference_face
from tryon.products.fit.face_frame import FaceFrame
from tryon.products.fit.hat import hat_opening, place_hat
from tryon.products.fit.hat_line import HAIR_MM, measure_hat_line
from tryon.products.load import load_model
from tryon.products.model import FitProfile

REF = load_reference_face()
CAM = CameraIntrinsics.from_fov(1280, 720)
FEDORA = Path(__file__).resolve().parents[3] / "assets" / "products" / "hat-fedora.glb"
POSES = [(0.0, 0.0, 0.0), (25.0, 0.0, 0.0), (-20.0, 12.0, 5.0), (10.0, -15.0, -8.0)]  # yaw, pitch, roll
SIZES = [0.9, 1.0, 1.12]  # the wearer against the reference face


def face_at(yaw: float, pitch: float, roll: float, size: float = 1.0) -> FaceFrame:
    rotation = Rotation.from_euler("yxz", [yaw, pitch, roll], degrees=True).as_matrix()
    pose = HeadPose(rotation, np.array([20.0, -40.0, 550.0]) * size, size, True)
    pixels = np.concatenate([CAM.project(pose.to_camera(REF.landmarks)), np.zeros((478, 1))], axis=1)
    return FaceFrame.build(pixels, pose, CAM, REF)


@pytest.fixture(scope="module")
def hats(shared_data):
    return {"fedora": load_model(FEDORA, "hat"),
            "clown": load_model(shared_data / "models3d/hat_clown_mindar/scene.gltf", "hat")}


def in_dome_units(points_camera: np.ndarray, face: FaceFrame) -> np.ndarray:
    """Points as the unit sphere of the proxy sees them: |p| < 1 is inside the skull."""
    upper, lower = camera_from_domes(face)
    out = np.empty_like(points_camera)
    for matrix in (upper, lower):
        local = (points_camera - matrix[:3, 3]) @ np.linalg.inv(matrix[:3, :3]).T
        mine = local[:, 1] >= 0.0
        out[mine] = local[mine]
    return out


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("pose", POSES)
@pytest.mark.parametrize("which", ["fedora", "clown"])
def test_nothing_of_the_hat_in_front_of_the_head_is_inside_the_proxy(hats, which, pose, size):
    face = face_at(*pose, size)
    model = hats[which]
    camera_from_product = face.camera_from_head() @ place_hat(model, FitProfile("hat"), face)[0]
    points = np.concatenate([p.positions for p in model.primitives]).astype(np.float64)
    front = points[points[:, 2] > hat_opening(model).centre_z]
    camera = front @ camera_from_product[:3, :3].T + camera_from_product[:3, 3]
    radius = np.linalg.norm(in_dome_units(camera, face), axis=1)
    assert radius.min() > 1.0, f"a front vertex of the {which} is {1 - radius.min():.1%} inside the skull"


@pytest.mark.parametrize("which", ["fedora", "clown"])
def test_the_proxy_fills_the_opening_up_to_the_hair(hats, which):
    """The gap between skull and band is the hair, a few mm, all round: through it nothing of
    the crown's inside can be seen."""
    face = face_at(0.0, 0.0, 0.0)
    line = measure_hat_line(face)
    model = hats[which]
    opening = hat_opening(model)
    head_from_product = place_hat(model, FitProfile("hat"), face)[0]
    angles = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    rim = np.stack([opening.centre_x + 0.5 * opening.width_mm * np.cos(angles), np.zeros_like(angles),
                    opening.centre_z + 0.5 * opening.length_mm * np.sin(angles), np.ones_like(angles)], axis=1)
    band = (np.linalg.inv(line.head_from_band) @ head_from_product @ rim.T).T[:, :3]
    a, b = line.skull_semi_axes_mm
    gap = np.hypot(band[:, 0], band[:, 2]) - np.hypot(a * np.cos(angles), b * np.sin(angles))
    assert np.abs(band[:, 1]).max() < 1.0, "the opening lies on the hat line"
    assert gap.min() > 0.5 and gap.max() < 3.0 * HAIR_MM, f"skull to band: {gap.min():.1f}..{gap.max():.1f} mm"


def test_the_proxy_is_one_closed_mesh_the_two_domes_describe():
    face = face_at(15.0, 5.0, 0.0)
    occluder = build_hat_occluder(face)
    edges = np.sort(occluder.indices[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    assert (counts == 2).all(), "every edge is shared by two triangles: no crack at the hat line"
    again = occluder_from_domes(camera_from_domes(face))
    np.testing.assert_allclose(again.vertices, occluder.vertices)
    radius = np.linalg.norm(in_dome_units(occluder.vertices.astype(np.float64), face), axis=1)
    np.testing.assert_allclose(radius, 1.0, atol=1e-4)
