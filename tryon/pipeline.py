"""frame -> track -> pose -> fit -> render -> composite, for photos and video streams.

Per-stream state (MediaPipe tracking, filters, earring visibility) lives in one TryOnPipeline;
GL resources are shared by every pipeline in the process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from tryon.errors import FaceCutByFrame
from tryon.geometry.camera import DEFAULT_FOV_DEG, CameraIntrinsics
from tryon.geometry.hand_occluder import build_hand_occluder
from tryon.geometry.hands_over_faces import FaceRegion, hands_over_faces
from tryon.geometry.head_occluder import build_head_occluder
from tryon.geometry.head_pose import HeadPose, estimate_head_pose
from tryon.geometry.measure import FaceMeasurements, measure_face
from tryon.geometry.reference_face import load_reference_face
from tryon.products.catalog import load_product_model
from tryon.products.fit import place_product
from tryon.products.fit.face_frame import FaceFrame
from tryon.products.model import Product, ProductModel
from tryon.render.items import Occluder, RenderItem
from tryon.render.hand_mask import HandMask, build_hand_mask
from tryon.tracking.face import FaceTracker, Mode, TrackedFace
from tryon.tracking.hands import HandTracker

# Landmarks a category needs inside the picture (eyes and bridge; forehead; face sides).
REQUIRED_LANDMARKS = {
    "glasses": (33, 263, 168, 468, 473),
    "sunglasses": (33, 263, 168, 468, 473),
    "hat": (10, 67, 297),
    "earrings": (234, 454),
}
# Head size is constant, so its per-frame iris reading is averaged over ~1 s.
SCALE_TIME_CONSTANT_S = 1.0


@dataclass(frozen=True)
class FaceResult:
    """One face's outcome: pose, measurements, where the product's anchor landed (pixels), or
    why nothing was drawn (`skipped`). placements: one (4,4) camera_from_product per drawn copy
    (mm, camera frame), for clients that draw the product themselves."""

    face_id: int
    pose: HeadPose
    measurements: FaceMeasurements
    anchors_px: tuple[tuple[float, float], ...] = ()
    skipped: str | None = None
    placements: tuple[np.ndarray, ...] = ()


@dataclass(frozen=True, eq=False)
class FrameResult:
    image: np.ndarray
    faces: tuple[FaceResult, ...]
    timings_ms: dict[str, float]
    # Pose mode (render=False) with hands on: where hands hide the products, for clients that
    # draw them (render/hand_mask.py); None when no hand is over a face.
    hand_mask: HandMask | None = None


@dataclass
class _FaceState:
    pose: HeadPose | None = None
    scale: float | None = None
    last_t: float = 0.0
    fit_state: dict = field(default_factory=dict)


class TryOnPipeline:
    """One stream (or a batch of photos): owns a FaceTracker and per-face state."""

    def __init__(
        self,
        product: Product | None = None,
        variant: str | None = None,
        mode: Mode = "video",
        max_faces: int = 1,
        camera: CameraIntrinsics | None = None,
        fov_deg: float = DEFAULT_FOV_DEG,
        render: bool = True,
        hands: bool = True,
    ) -> None:
        """hands: track hands (beside the face mesh, tracking/hands.py) so that a hand in front
        of a face hides the product behind it: occluders when rendering, a mask otherwise."""
        self.mode = mode
        self.tracker = FaceTracker(mode, max_faces=max_faces)
        # Made with the first product (~80 MB of graph per stream): a session that never picks
        # one never pays for it.
        self.hands = hands
        self.hand_tracker: HandTracker | None = None
        self._hand_shapes: dict = {}  # hands_over_faces' cache: a still hand's shape is reused
        self.reference = load_reference_face()
        self._camera = camera
        self._fov = fov_deg
        self._render = render
        self._states: dict[int, _FaceState] = {}
        self.product: Product | None = None
        self.model: ProductModel | None = None
        self.variant: str | None = None
        self.set_product(product, variant)

    def set_product(self, product: Product | None, variant: str | None = None) -> None:
        """Switch product/variant (loads and caches the model; raises UnknownVariant)."""
        model = load_product_model(product) if product is not None else None
        if model is not None and variant is not None:
            model.materials_for(variant)  # validates the name
        self.product, self.model, self.variant = product, model, variant
        for state in self._states.values():
            state.fit_state = {}

    def set_fov(self, fov_deg: float) -> None:
        """Assumed field of view across the longer side, for frames with no given intrinsics."""
        CameraIntrinsics.from_fov(640, 480, fov_deg)  # validates the range
        self._fov = fov_deg

    def close(self) -> None:
        self.tracker.close()
        if self.hand_tracker is not None:
            self.hand_tracker.close()

    def __enter__(self) -> "TryOnPipeline":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def camera_for(self, frame: np.ndarray) -> CameraIntrinsics:
        h, w = frame.shape[:2]
        if self._camera is None:
            return CameraIntrinsics.from_fov(w, h, self._fov)
        if (self._camera.width, self._camera.height) != (w, h):
            return self._camera.scaled_to(w, h)
        return self._camera

    def process(self, frame: np.ndarray, timestamp_s: float | None = None, in_place: bool = False) -> FrameResult:
        """Track every face, place the product on each, and composite (BGR uint8 in and out).
        in_place: draw into `frame` itself rather than a copy (for callers that own it)."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        # Hands matter only over a product: with none picked, the hand graph is not run.
        if self.hands and self.model is not None and self.hand_tracker is None:
            self.hand_tracker = HandTracker(self.mode)
        hand_tracker = self.hand_tracker if self.model is not None else None
        if hand_tracker is not None:
            hand_tracker.start(frame)  # runs on its own thread beside the face mesh
        faces = self.tracker.process(frame, timestamp_s)
        t1 = time.perf_counter()
        timings["track"] = (t1 - t0) * 1e3
        hands = hand_tracker.result() if hand_tracker is not None else []
        t_hands = time.perf_counter()
        t1 = t_hands
        camera = self.camera_for(frame)
        now = timestamp_s if timestamp_s is not None else t1
        items: list[RenderItem] = []
        occluders: list[Occluder] = []
        results = [self._face(f, camera, now, items, occluders) for f in faces]
        self._states = {f.face_id: self._states[f.face_id] for f in faces if f.face_id in self._states}
        t2 = time.perf_counter()
        timings["pose"] = (t2 - t1) * 1e3
        hand_mask = None
        regions = [_face_region(f, r) for f, r in zip(faces, results)] if hand_tracker is not None else []
        if hand_tracker is not None:
            hand_tracker.watch_boxes = [region.product_box() for region in regions]
        if hands and results:
            shapes = hands_over_faces(hands, regions, camera, self._hand_shapes)
            if self._render and items:
                occluders.extend(build_hand_occluder(shape, camera) for shape in shapes)
            elif not self._render:
                hand_mask = build_hand_mask(shapes, camera.width, camera.height)
        t3 = time.perf_counter()
        if hand_tracker is not None:
            # The hands' cost on the frame's critical path: waiting for the hand graph after the
            # face mesh, plus the hand shapes and their occluders or mask.
            timings["hands"] = (t_hands - t0) * 1e3 - timings["track"] + (t3 - t2) * 1e3
        t2 = t3
        image = frame
        if self._render and items:
            from tryon.render.compositor import get_compositor

            image = get_compositor().render(frame, camera, items, occluders, in_place=in_place)
        timings["render"] = (time.perf_counter() - t2) * 1e3
        return FrameResult(image, tuple(results), timings, hand_mask)

    def _face(self, face: TrackedFace, camera: CameraIntrinsics, now: float,
              items: list[RenderItem], occluders: list[Occluder]) -> FaceResult:
        state = self._states.setdefault(face.face_id, _FaceState())
        pose = estimate_head_pose(face.landmarks, camera, self.reference,
                                  previous=state.pose if self.mode == "video" else None)
        if self.mode == "video":
            pose = self._smooth_scale(state, pose, now)
            state.pose = pose
        frame_face = FaceFrame.build(face.landmarks, pose, camera, self.reference)
        measurements = measure_face(face.landmarks, pose, camera, self.reference, frame_face.landmarks_camera)
        if self.model is None or self.product is None:
            return FaceResult(face.face_id, pose, measurements)
        try:
            _check_inside(face, self.product.fit.category, camera)
        except FaceCutByFrame as exc:
            return FaceResult(face.face_id, pose, measurements, skipped=str(exc))
        placements, state.fit_state = place_product(self.model, self.product.fit, frame_face, state.fit_state)
        camera_from_head = frame_face.camera_from_head()
        anchors = []
        matrices = []
        for head_from_product in placements:
            m = camera_from_head @ head_from_product
            matrices.append(m)
            u, v = camera.project(m[None, :3, 3])[0]
            anchors.append((float(u), float(v)))
            if self._render:
                items.append(RenderItem(self.model, self.product.id, self.variant, m))
        if self._render:
            occluders.append(build_head_occluder(frame_face))
        return FaceResult(face.face_id, pose, measurements, tuple(anchors), placements=tuple(matrices))

    @staticmethod
    def _smooth_scale(state: _FaceState, pose: HeadPose, now: float) -> HeadPose:
        if pose.scale_from_iris:
            if state.scale is None:
                state.scale = pose.scale
            else:
                dt = max(now - state.last_t, 1e-3)
                state.scale += (pose.scale - state.scale) * dt / (SCALE_TIME_CONSTANT_S + dt)
            state.last_t = now
        return pose.with_scale(state.scale) if state.scale is not None else pose


def _face_region(face: TrackedFace, result: FaceResult) -> FaceRegion:
    xy = face.landmarks[:, :2]
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    return FaceRegion((float(x0), float(y0), float(x1), float(y1)), float(result.pose.translation[2]))


def _check_inside(face: TrackedFace, category: str, camera: CameraIntrinsics) -> None:
    ids = REQUIRED_LANDMARKS.get(category, ())
    pts = face.raw_landmarks[list(ids), :2]
    outside = (pts[:, 0] < 0) | (pts[:, 1] < 0) | (pts[:, 0] >= camera.width) | (pts[:, 1] >= camera.height)
    if outside.any():
        raise FaceCutByFrame(
            f"face {face.face_id} is cut by the frame edge: the part a {category} product needs "
            "is outside the picture; move so the whole face is in view"
        )
