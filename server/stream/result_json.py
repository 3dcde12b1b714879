"""A processed frame as the protocol's `result` object (docs/protocol.md), plain JSON values."""

from __future__ import annotations

from typing import Any

import numpy as np

from server.stream.protocol import FrameMessage, StreamConfig
from tryon.geometry.camera import CameraIntrinsics
from tryon.pipeline import FaceResult, FrameResult


def _matrix(m: np.ndarray) -> list[float]:
    return [round(float(v), 5) for v in np.asarray(m, dtype=np.float64).ravel()]


def face_json(face: FaceResult) -> dict[str, Any]:
    m = face.measurements
    return {
        "face_id": face.face_id,
        "camera_from_head": _matrix(face.pose.matrix()),
        "yaw_pitch_roll_deg": [round(a, 2) for a in face.pose.euler_deg],
        "distance_mm": round(m.distance_mm, 1),
        "measurements": {"pd_mm": round(m.pd_mm, 2), "face_width_mm": round(m.face_width_mm, 2),
                         "confidence": round(m.confidence, 3)},
        "placements": [_matrix(p) for p in face.placements],
        # Glasses: per placement, the part transforms (product frame, mm) that swing each temple
        # to the ears; and each temple's fit, for read-outs.
        "part_transforms": [{part: _matrix(m) for part, m in parts.items()} for parts in face.part_transforms],
        "temples": [{"part": t.part, "spread_deg": round(t.spread_deg, 2), "droop_deg": round(t.droop_deg, 2),
                     "gap_mm": round(t.gap_mm, 1), "limited": t.limited} for t in face.temples],
        "anchors_px": [[round(u, 2), round(v, 2)] for u, v in face.anchors_px],
        "skipped": face.skipped,
        "occluder_domes": [_matrix(d) for d in face.occluder_domes],
        "occluder_ears": [_matrix(e) for e in face.occluder_ears],
        "tracking": face.tracking,
        "confidence": round(face.confidence, 3),
        "opacity": round(face.opacity, 3),
        "notes": list(face.notes),
    }


def result_json(message: FrameMessage, result: FrameResult, camera: CameraIntrinsics, config: StreamConfig,
                timings_ms: dict[str, float]) -> dict[str, Any]:
    """The frame-specific part of a result; the session adds queue/server timings and counters."""
    meta: dict[str, Any] = {
        "type": "result",
        "frame_id": message.frame_id,
        "capture_ts_ms": message.capture_ts_ms,
        "timings_ms": {k: round(v, 3) for k, v in timings_ms.items()},
        "product": {"id": config.product, "variant": config.variant},
        "camera": {"fx": round(camera.fx, 3), "fy": round(camera.fy, 3), "cx": camera.cx, "cy": camera.cy,
                   "width": camera.width, "height": camera.height},
        "faces": [face_json(f) for f in result.faces],
    }
    if config.mode == "composite":
        meta["image"] = {"format": config.format, "width": camera.width, "height": camera.height,
                         "mirrored": config.mirror}
    if result.hand_mask is not None:  # pose mode: where a hand in front hides the product
        meta["hand_mask"] = result.hand_mask.to_json()
    return meta
