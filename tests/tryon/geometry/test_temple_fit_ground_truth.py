"""Glasses temples against ground truth: the textured head of test_pose_ground_truth.py (a real
frontal photo's own face mesh, textured with the photo) is rendered at known poses, centred and
off-centre, tracked like a camera frame, and dressed; each temple's resting point must land on
the head's ear root, wherever the face sits in the picture. Then every shared face is dressed and
no temple seen from the side may rise into the hair or drop down the cheek."""

import cv2
import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from test_pose_ground_truth import textured_head  # noqa: F401 (the fixture)

from tryon.frames import read_image_file
from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.ear_roots import contour_ear_roots
from tryon.geometry.reference_face import load_reference_face
from tryon.pipeline import TryOnPipeline
from tryon.products.catalog import resolve_product
from tryon.products.fit.face_frame import HEAD_FROM_PRODUCT_AXES
from tryon.products.fit.temples import picture_angle_deg
from tryon.products.model import ProductModel
from tryon.render.items import RenderItem

REF = load_reference_face()
CAM = CameraIntrinsics.from_fov(640, 480)


@pytest.fixture(scope="module")
def head(textured_head) -> tuple[ProductModel, np.ndarray]:
    """The textured head (test_pose_ground_truth) and its (478,3) landmarks in its own head frame
    (mm): its vertices, in product axes."""
    landmarks_head = textured_head.primitives[0].positions.astype(np.float64) @ HEAD_FROM_PRODUCT_AXES
    return textured_head, landmarks_head


def _camera_from_head(yaw: float, pitch: float, position: tuple[float, float, float]) -> np.ndarray:
    """A head at `position` (camera frame, mm) that faces the camera, as a shopper faces a mirror
    or a webcam, then turned by yaw and pitch (degrees) about its own axes."""
    towards = -np.asarray(position, float) / np.linalg.norm(position)  # head z points away: -towards
    z = -towards
    x = np.cross([0.0, 1.0, 0.0], z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    m = np.eye(4)
    m[:3, :3] = np.stack([x, y, z], axis=1) @ Rotation.from_euler("YX", [yaw, pitch], degrees=True).as_matrix()
    m[:3, 3] = position
    return m


def _render(head: ProductModel, camera_from_head: np.ndarray) -> np.ndarray:
    from tryon.render.compositor import get_compositor

    m = camera_from_head.copy()
    m[:3, :3] = m[:3, :3] @ HEAD_FROM_PRODUCT_AXES
    background = np.full((480, 640, 3), 110, np.uint8)
    return get_compositor().render(background, CAM, [RenderItem(head, "test-head", None, m)], [])


# yaw, pitch (degrees) from facing the camera, head position in the camera frame (mm), and the
# largest tip-to-ear-root distance allowed (mm). Turned heads get more: there the tracked mesh
# itself is off by 2-3 degrees on this synthetic head, which swings an ear 100 mm behind the
# bridge. The ear roots' height is read in the picture (tryon/geometry/ear_roots.py), so a head
# pitched against its line of sight costs ~1.3 mm of ear height per degree: pitches stay small.
POSES = [
    (0, 0, (0.0, 0.0, 450.0), 6.0),
    (0, 0, (0.0, -130.0, 450.0), 6.0),  # well above the picture's centre (a portrait, a low mirror camera)
    (0, 0, (-150.0, 60.0, 450.0), 6.0),  # left of and below the centre
    (0, 4, (0.0, -110.0, 450.0), 10.0),  # measured 9.1: 4 degrees of true pitch read as level
    (15, 0, (0.0, 0.0, 450.0), 6.0),
    (-15, 0, (80.0, -60.0, 450.0), 6.0),
    (20, -4, (0.0, 0.0, 450.0), 8.0),
    (25, 0, (0.0, 0.0, 450.0), 10.0),
    (-25, 0, (60.0, -80.0, 450.0), 10.0),
]


@pytest.mark.parametrize("yaw,pitch,position,tolerance_mm", POSES)
def test_each_temple_rests_on_the_ear_root_of_a_head_seen_at_a_known_pose(head, artifacts, yaw, pitch, position,
                                                                          tolerance_mm):
    head, landmarks_head = head
    camera_from_head = _camera_from_head(yaw, pitch, position)
    image = _render(head, camera_from_head)
    with TryOnPipeline(resolve_product("round-classic"), mode="photo", camera=CAM) as pipeline:
        result = pipeline.process(image)
    assert len(result.faces) == 1 and len(result.faces[0].temples) == 2
    face = result.faces[0]
    cv2.imwrite(str(artifacts / f"temples_gt_yaw{yaw}_pitch{pitch}_{position[0]:.0f}_{position[1]:.0f}.png"), result.image)
    truth = contour_ear_roots(landmarks_head) @ camera_from_head[:3, :3].T + camera_from_head[:3, 3]
    tips = np.array([t.tip_head for t in face.temples]) @ face.pose.rotation.T + face.pose.translation
    # The iris scale sets the head's distance to a few per cent (tests/tryon/geometry); here the
    # question is where on the head the temple ends, so the estimate is taken to the true distance.
    bridge = face.pose.translation
    tips *= position[2] / bridge[2]
    errors = np.linalg.norm(tips - truth, axis=1)
    assert errors.max() < tolerance_mm, f"temple tips {errors.round(1)} mm from the ear roots"


def _shared_faces(shared_data):
    """Every shared face photo, plus crops that move faces off-centre, a turned copy and a
    scaled-down copy of one, and frames of both shared videos."""
    images = [(path.name, read_image_file(path)) for path in sorted((shared_data / "faces").iterdir())]
    portrait = dict(images)["obama_official_portrait_frontal.jpg"]
    h, w = portrait.shape[:2]
    images.append(("portrait_face_top_left", np.ascontiguousarray(portrait[: int(0.55 * h), : int(0.75 * w)][::1])))
    images.append(("portrait_face_bottom_right", np.ascontiguousarray(
        cv2.copyMakeBorder(portrait[: int(0.45 * h)], int(0.6 * h), 0, int(0.5 * w), 0, cv2.BORDER_REPLICATE))))
    images.append(("portrait_turned_12deg", cv2.warpAffine(portrait, cv2.getRotationMatrix2D((w / 2, h / 3), 12, 1.0), (w, h))))
    images.append(("portrait_small", cv2.resize(portrait, (w // 3, h // 3), interpolation=cv2.INTER_AREA)))
    for video, step in (("woman_face_thumbs_up_720p.mp4", 30), ("carphone_talking_head_qcif.mp4", 40)):
        capture = cv2.VideoCapture(str(shared_data / "video" / video))
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            if index % step == 0:
                images.append((f"{video}@{index}", frame))
            index += 1
    return images


# A temple seen end-on (a frontal face: it runs along the line of sight) shows as a stub no
# longer than the frame's end piece, whose direction nobody can see; its angle is judged where
# the picture shows it over at least this share (1/8) of the distance between the hinges.
END_ON_SHARE = 0.125


@pytest.mark.parametrize("product", ["round-classic", "sunglasses-shade"])
def test_temples_never_rise_into_the_hair_nor_drop_down_the_cheek_on_any_shared_face(shared_data, textured_head,
                                                                                     product):
    turned = [(f"head_yaw{yaw}_{x:.0f}_{y:.0f}", _render(textured_head, _camera_from_head(yaw, 0, (x, y, 450.0))))
              for yaw in (-30, 30) for x, y in ((0.0, 0.0), (-120.0, -100.0), (100.0, 80.0))]
    judged = 0
    with TryOnPipeline(resolve_product(product), mode="photo", max_faces=4) as pipeline:
        for name, image in _shared_faces(shared_data) + turned:
            result = pipeline.process(image)
            camera = pipeline.camera_for(image)
            for face in result.faces:
                if not face.temples:
                    continue
                placement = face.placements[0]
                angles = picture_angle_deg(camera, placement, face.temples)
                ends = np.array([[t.hinge, t.tip] for t in face.temples]).reshape(-1, 3)
                px = camera.project(ends @ placement[:3, :3].T + placement[:3, 3]).reshape(2, 2, 2)
                width = np.linalg.norm(px[1, 0] - px[0, 0])
                for angle, (hinge, tip) in zip(angles, px):
                    if np.linalg.norm(tip - hinge) < END_ON_SHARE * width:
                        continue
                    judged += 1
                    assert -35.0 <= angle <= 25.0, f"{name}: a temple at {angle:.0f} degrees in the picture"
    assert judged >= 6, "too few temples seen from the side to judge"
