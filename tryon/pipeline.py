"""frame -> track -> pose -> fit -> render -> composite, for photos and video streams.

Per-stream state (MediaPipe tracking, filters, earring visibility) lives in one TryOnPipeline;
GL resources are shared by every pipeline in the process.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

from tryon.errors import FaceCutByFrame
from tryon.geometry.camera import DEFAULT_FOV_DEG, CameraIntrinsics
from tryon.geometry.ear_roots import ear_roots
from tryon.geometry.face_plausibility import FacePlausibility, assess_face
from tryon.geometry.hand_occluder import build_hand_occluder
from tryon.geometry.hands_over_faces import FaceRegion, hands_over_faces
from tryon.geometry.hat_occluder import camera_from_domes, occluder_from_domes
from tryon.geometry.head_occluder import build_head_occluder, camera_from_ears
from tryon.geometry.head_pose import HeadPose, estimate_head_pose
from tryon.geometry.measure import FaceMeasurements, measure_face
from tryon.geometry.near_face_prior import lengthen_for_near_faces
from tryon.geometry.reference_face import load_reference_face
from tryon.products.catalog import load_product_model
from tryon.products.fit import place_product
from tryon.products.fit.face_frame import FaceFrame
from tryon.products.fit.temples import TempleFit, fit_temples
from tryon.products.model import Product, ProductModel
from tryon.render.items import Occluder, RenderItem
from tryon.render.hand_mask import HandMask, build_hand_mask
from tryon.tracking.face import FaceTracker, Mode, TrackedFace
from tryon.tracking.hands import HandTracker
from tryon.tracking.presence_gate import PresenceGate

# Landmarks a category needs inside the picture (eyes and bridge; forehead; face sides).
REQUIRED_LANDMARKS = {
    "glasses": (33, 263, 168, 468, 473),
    "sunglasses": (33, 263, 168, 468, 473),
    "hat": (10, 67, 297),
    "earrings": (234, 454),
}
FACE_LOST_NOTES = ("face lost",)  # the notes of a face whose track ended, while its product fades
# Head size is constant, so its per-frame iris reading is averaged over ~1 s.
SCALE_TIME_CONSTANT_S = 1.0


@dataclass(frozen=True)
class FaceResult:
    """One face's outcome: pose, measurements, where the product's anchor landed (pixels), or
    why nothing was drawn (`skipped`). placements: one (4,4) camera_from_product per drawn copy
    (mm, camera frame), for clients that draw the product themselves. occluder_domes: for hats,
    the head proxy as (upper, lower) (4,4) camera_from_dome transforms of the unit half-ball
    y >= 0 (tryon/geometry/hat_occluder.py); empty for other categories.

    tracking: "acquiring" (video: seen, not yet trusted or faded out, nothing drawn), "tracked" (drawn),
    "fading" (video: lost or implausible; its last placement is drawn still, fading out) or
    "rejected" (photo: not plausible as a face, nothing drawn). confidence: 0..1 that this is a
    real, well-measured face (face_plausibility; 0 once lost). opacity: what the product is
    drawn at, 0..1 (clients drawing it themselves should use it). notes: why the confidence is
    low, for the shopper; empty when sure."""

    face_id: int
    pose: HeadPose
    measurements: FaceMeasurements
    anchors_px: tuple[tuple[float, float], ...] = ()
    skipped: str | None = None
    placements: tuple[np.ndarray, ...] = ()
    # Glasses: each temple's fit (spread, droop, where its tip rests), for every drawn copy, and
    # the matching part transforms (product frame) a client applies to the temple parts.
    temples: tuple[TempleFit, ...] = ()
    part_transforms: tuple[dict[str, np.ndarray], ...] = ()
    occluder_domes: tuple[np.ndarray, ...] = ()
    # Every other category: each ear's proxy, (4,4) camera_from_ellipsoid of the unit sphere.
    occluder_ears: tuple[np.ndarray, ...] = ()
    tracking: str = "tracked"
    confidence: float = 1.0
    opacity: float = 1.0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class _Shown:
    """What a tracked face showed on its last drawn frame (items at that frame's opacity, which a
    fade replaces), kept to fade it out in place when the face is lost."""

    result: FaceResult
    items: tuple[RenderItem, ...]
    occluder: Occluder | None


@dataclass(frozen=True, eq=False)
class FrameResult:
    image: np.ndarray
    faces: tuple[FaceResult, ...]
    timings_ms: dict[str, float]
    camera: CameraIntrinsics | None = None  # the intrinsics this frame was drawn with
    camera_note: str = ""  # why they differ from the assumed ones (near_face_prior), if they do
    # Pose mode (render=False) with hands on: where hands hide the products, for clients that
    # draw them (render/hand_mask.py); None when no hand is over a face.
    hand_mask: HandMask | None = None


@dataclass
class _FaceState:
    pose: HeadPose | None = None
    scale: float | None = None
    last_t: float = 0.0
    fit_state: dict = field(default_factory=dict)
    gate: PresenceGate = field(default_factory=PresenceGate)
    shown: _Shown | None = None
    centre_px: tuple[float, float] | None = None  # where the face was last seen (video)
    width_px: float = 0.0


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
            state.shown = None  # a fading face of the old product just goes

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
        camera_note = ""
        if self.mode == "photo" and self._camera is None:  # an assumed camera: a crop's is too wide
            camera, camera_note = lengthen_for_near_faces(camera, [f.landmarks for f in faces], self.reference)
        now = timestamp_s if timestamp_s is not None else t1
        items: list[RenderItem] = []
        occluders: list[Occluder] = []
        seen = {f.face_id for f in faces}
        if self.mode == "video":
            self._resume_returning(faces, seen)
        self._temples_ms = 0.0
        results = [self._face(f, camera, now, items, occluders) for f in faces]
        results += self._fade_lost(seen, now, items, occluders)
        self._states = {i: s for i, s in self._states.items() if i in seen or (s.gate.drawn and s.shown)}
        t2 = time.perf_counter()
        timings["pose"] = (t2 - t1) * 1e3
        if self.model is not None and self.model.rig is not None:
            timings["temples"] = self._temples_ms  # part of "pose": ear roots and temple fits
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
        return FrameResult(image, tuple(results), timings, camera, camera_note, hand_mask)

    def _face(self, face: TrackedFace, camera: CameraIntrinsics, now: float,
              items: list[RenderItem], occluders: list[Occluder]) -> FaceResult:
        state = self._states.setdefault(face.face_id, _FaceState())
        pose = estimate_head_pose(face.landmarks, camera, self.reference,
                                  previous=state.pose if self.mode == "video" else None)
        if self.mode == "video":
            pose = self._smooth_scale(state, pose, now)
            state.pose = pose
            state.centre_px, state.width_px = tuple(face.centre.tolist()), face.width_px
        frame_face = FaceFrame.build(face.landmarks, pose, camera, self.reference)
        measurements = measure_face(face.landmarks, pose, camera, self.reference, frame_face.landmarks_camera)
        plausibility = assess_face(face.landmarks, frame_face.landmarks_head, pose, camera, self.reference)
        product = self.product if self.model is not None else None
        cut = _cut_by_frame(face, product.fit.category, camera) if product is not None else None
        gated = self._gate(state, plausibility, now, cut is not None)
        if gated is not None:
            tracking, opacity = gated
            result = FaceResult(face.face_id, pose, measurements, skipped=cut, tracking=tracking,
                                confidence=plausibility.confidence, opacity=opacity, notes=plausibility.notes)
            if tracking == "rejected":
                return dataclasses.replace(result, skipped=cut or _not_a_face_note(plausibility))
            return self._show_faded(state, result, items, occluders) if tracking == "fading" else result
        if self.model is None or self.product is None:
            return FaceResult(face.face_id, pose, measurements, confidence=plausibility.confidence,
                              notes=plausibility.notes)
        if cut is not None:
            return FaceResult(face.face_id, pose, measurements, skipped=cut,
                              confidence=plausibility.confidence, notes=plausibility.notes)
        placements, state.fit_state = place_product(self.model, self.product.fit, frame_face, state.fit_state)
        camera_from_head = frame_face.camera_from_head()
        anchors = []
        matrices = []
        temples: list[TempleFit] = []
        parts: list[dict[str, np.ndarray]] = []
        hat = self.product.fit.category == "hat"
        t_temples = time.perf_counter()
        roots = None if hat else ear_roots(frame_face.landmarks_head, frame_face.pose)
        face_items = []
        opacity = state.gate.opacity if self.mode == "video" else 1.0
        for head_from_product in placements:
            m = camera_from_head @ head_from_product
            matrices.append(m)
            u, v = camera.project(m[None, :3, 3])[0]
            anchors.append((float(u), float(v)))
            moved: dict[str, np.ndarray] = {}
            if self.model.rig is not None:
                fits = fit_temples(self.model.rig, head_from_product, roots)
                temples.extend(fits)
                moved = {fit.part: fit.transform for fit in fits}
                self._temples_ms += (time.perf_counter() - t_temples) * 1e3
                t_temples = time.perf_counter()
            parts.append(moved)
            if self._render:
                face_items.append(RenderItem(self.model, self.product.id, self.variant, m, moved, opacity))
        # Hats get a skull without the face mesh, which would punch holes in band and brim.
        domes = camera_from_domes(frame_face) if hat else ()
        ears = () if hat else camera_from_ears(frame_face, roots)
        occluder = None
        if self._render:
            occluder = occluder_from_domes(domes) if hat else build_head_occluder(frame_face, roots)
        result = FaceResult(face.face_id, pose, measurements, tuple(anchors), placements=tuple(matrices),
                            temples=tuple(temples), part_transforms=tuple(parts), occluder_domes=domes,
                            occluder_ears=ears, confidence=plausibility.confidence, opacity=opacity,
                            notes=plausibility.notes)
        items.extend(face_items)
        if occluder is not None:
            occluders.append(occluder)
        if self.mode == "video":
            state.shown = _Shown(result, tuple(face_items), occluder)
        return result

    def _gate(self, state: _FaceState, plausibility: FacePlausibility, now: float,
              cut: bool) -> tuple[str, float] | None:
        """(tracking, opacity) for a face whose product is not placed afresh this frame, or None
        when it is: video faces not yet trusted or fading (a face the frame edge cuts fades like
        a lost one); photo faces judged not to be faces."""
        if self.mode == "photo":
            return ("rejected", 0.0) if plausibility.verdict == "rejected" else None
        state.gate.update("rejected" if cut else plausibility.verdict, now)
        if state.gate.state == "tracked":
            return None
        return state.gate.state, (state.gate.opacity if state.gate.drawn else 0.0)

    def _show_faded(self, state: _FaceState, result: FaceResult, items: list[RenderItem],
                    occluders: list[Occluder]) -> FaceResult:
        """A fading face: its last placement drawn still at the gate's opacity."""
        shown = state.shown
        if shown is None or not state.gate.drawn:
            return dataclasses.replace(result, anchors_px=(), placements=(), opacity=0.0)
        opacity = state.gate.opacity
        items.extend(dataclasses.replace(item, opacity=opacity) for item in shown.items)
        if shown.occluder is not None:
            occluders.append(shown.occluder)
        return dataclasses.replace(result, anchors_px=shown.result.anchors_px, placements=shown.result.placements)

    def _resume_returning(self, faces: list[TrackedFace], seen: set[int]) -> None:
        """A new track where a lost face is still fading out is that face back (the tracker
        dropped it for a frame or two, e.g. behind a passing hand): it takes over the lost
        face's state, so its product fades back in from where it was (once judged plausible)
        instead of waiting three frames while the old copy fades beside it."""
        for face in faces:
            if face.face_id in self._states:
                continue
            lost = [
                (float(np.hypot(*(face.centre - state.centre_px))), face_id)
                for face_id, state in self._states.items()
                if face_id not in seen and state.gate.state == "fading" and state.gate.drawn
                and state.centre_px is not None
            ]
            near = [(d, i) for d, i in lost if d <= 0.5 * max(self._states[i].width_px, 1.0)]
            if near:
                self._states[face.face_id] = self._states.pop(min(near)[1])

    def _fade_lost(self, seen: set[int], now: float, items: list[RenderItem],
                   occluders: list[Occluder]) -> list[FaceResult]:
        """Faces whose track ended this frame or earlier and are still fading out."""
        results = []
        for face_id, state in self._states.items():
            if face_id in seen or state.shown is None or state.gate.state == "acquiring":
                continue
            state.gate.update(None, now)
            last = state.shown.result
            faded = dataclasses.replace(last, tracking="fading", confidence=0.0, opacity=state.gate.opacity,
                                        notes=FACE_LOST_NOTES)
            results.append(self._show_faded(state, faded, items, occluders))
        return results

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


def _not_a_face_note(plausibility: FacePlausibility) -> str:
    reasons = "; ".join(plausibility.notes) or "it does not look like a face"
    return f"not dressed, this does not look enough like a face (confidence {plausibility.confidence:.2f}): {reasons}"


def _cut_by_frame(face: TrackedFace, category: str, camera: CameraIntrinsics) -> str | None:
    """Why the frame edge keeps the product off this face, or None when it is inside."""
    try:
        _check_inside(face, category, camera)
    except FaceCutByFrame as exc:
        return str(exc)
    return None


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
