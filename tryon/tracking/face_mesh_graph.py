"""MediaPipe's face mesh graph, fed and read without the Python solution wrapper's per-frame costs.

`FaceMesh.process` builds a namedtuple class, parses every landmark list into Python protobuf
objects, and returns them; reading those back into arrays means serialising them again. Per
frame at 640x480 that wrapper work measured ~0.45 ms beside ~4.4 ms of graph time. Here the
same graph (same models, options and simulated 30 fps timestamps) is fed one image packet and
its output packet's serialised landmark lists are decoded straight into arrays.

The wrapper's private members this relies on are those of mediapipe 0.10.21 (pinned); if they
are ever missing, the public `process` path is used instead, with the same results.
"""

from __future__ import annotations

import numpy as np

OUTPUT_STREAM = "multi_face_landmarks"
INPUT_STREAM = "image"
_FRAME_STEP_US = 33333  # the wrapper's simulated 30 fps clock

# A NormalizedLandmarkList of x/y/z-only landmarks serialises to fixed 17-byte records (field
# tag, length, then three tagged float32s): numpy reads them in one pass.
_LANDMARK_RECORD = np.dtype(
    [("head", "u1", (2,)), ("tx", "u1"), ("x", "<f4"), ("ty", "u1"), ("y", "<f4"), ("tz", "u1"), ("z", "<f4")]
)


class FaceMeshGraph:
    """One MediaPipe face mesh (iris refinement on) for one stream of images.

    Inference stays on MediaPipe's one XNNPACK thread: two threads cut the graph time by
    ~0.8 ms at 640x480 on a 2-core machine, but their pool spins after each run and slowed the
    software rasteriser that follows by ~0.4 ms, so a whole frame gained ~0.2 ms.
    """

    def __init__(self, static_image_mode: bool, max_num_faces: int,
                 min_detection_confidence: float, min_tracking_confidence: float) -> None:
        import mediapipe as mp  # heavy import, kept local so the CLI's --help stays fast

        self._solution = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=static_image_mode,
            max_num_faces=max_num_faces,
            refine_landmarks=True,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self._direct = _has_direct_access(self._solution)
        if self._direct:  # resolved once: this runs every frame
            from mediapipe.python import packet_creator
            from mediapipe.python._framework_bindings import _packet_getter, image_frame

            self._create_image = packet_creator.create_image
            self._serialized_lists = _packet_getter._get_serialized_proto_list
            self._srgb = image_frame.ImageFormat.SRGB

    def landmarks(self, rgb: np.ndarray) -> list[np.ndarray]:
        """(N,3) float64 normalised landmarks (x, y in 0..1 of the image, z relative) per face
        found in a (H, W, 3) uint8 RGB image."""
        if not self._direct:
            result = self._solution.process(rgb)
            return [_from_message(lm) for lm in (result.multi_face_landmarks or [])]
        solution = self._solution
        solution._graph_outputs.clear()
        solution._simulated_timestamp += _FRAME_STEP_US
        packet = self._create_image(rgb, image_format=self._srgb)
        solution._graph.add_packet_to_input_stream(stream=INPUT_STREAM, packet=packet.at(solution._simulated_timestamp))
        solution._graph.wait_until_idle()
        output = solution._graph_outputs.get(OUTPUT_STREAM)
        if output is None or output.is_empty():
            return []
        return [landmarks_from_bytes(data) for data in self._serialized_lists(output)]

    def close(self) -> None:
        self._solution.close()


def landmarks_from_bytes(data: bytes) -> np.ndarray:
    """A serialised NormalizedLandmarkList -> (N,3) float64 x, y, z."""
    if len(data) % _LANDMARK_RECORD.itemsize == 0:
        rec = np.frombuffer(data, dtype=_LANDMARK_RECORD)
        heads = rec["head"]
        if ((heads[:, 0] == 0x0A) & (heads[:, 1] == 0x0F) & (rec["tx"] == 0x0D) & (rec["ty"] == 0x15)
                & (rec["tz"] == 0x1D)).all():
            out = np.empty((len(rec), 3))
            out[:, 0], out[:, 1], out[:, 2] = rec["x"], rec["y"], rec["z"]
            return out
    from mediapipe.framework.formats import landmark_pb2

    message = landmark_pb2.NormalizedLandmarkList()
    message.ParseFromString(data)
    return _from_message(message)


def _from_message(landmark_list) -> np.ndarray:
    return np.array([(p.x, p.y, p.z) for p in landmark_list.landmark], dtype=np.float64).reshape(-1, 3)


def _has_direct_access(solution) -> bool:
    try:
        from mediapipe.python import packet_creator  # noqa: F401
        from mediapipe.python._framework_bindings import _packet_getter, image_frame  # noqa: F401
    except ImportError:
        return False
    members = ("_graph", "_graph_outputs", "_simulated_timestamp", "_input_stream_type_info", "_output_stream_type_info")
    if not all(hasattr(solution, name) for name in members):
        return False
    return (list(solution._input_stream_type_info) == [INPUT_STREAM]
            and list(solution._output_stream_type_info) == [OUTPUT_STREAM]
            and hasattr(_packet_getter, "_get_serialized_proto_list"))
