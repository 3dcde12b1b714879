"""MediaPipe's face mesh graph, fed and read without the Python solution wrapper's per-frame costs.

`FaceMesh.process` builds a namedtuple class, parses every landmark list into Python protobuf
objects, and returns them; reading those back into arrays means serialising them again. Per
frame at 640x480 that wrapper work measured ~0.45 ms beside ~4.4 ms of graph time. Here the
same graph (same models, options and simulated 30 fps timestamps) is fed one image packet and
its output packet's serialised landmark lists are decoded straight into arrays
(direct_graph_feed.py; the public `process` path, with the same results, if the pinned
mediapipe's private members are ever missing).
"""

from __future__ import annotations

import numpy as np

from tryon.tracking.direct_graph_feed import DirectGraphFeed, landmark_list_array

OUTPUT_STREAM = "multi_face_landmarks"

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
        self._feed = DirectGraphFeed(self._solution, (OUTPUT_STREAM,))
        self._direct = self._feed.available

    def landmarks(self, rgb: np.ndarray) -> list[np.ndarray]:
        """(N,3) float64 normalised landmarks (x, y in 0..1 of the image, z relative) per face
        found in a (H, W, 3) uint8 RGB image."""
        if not self._direct:
            result = self._solution.process(rgb)
            return [landmark_list_array(lm) for lm in (result.multi_face_landmarks or [])]
        return [landmarks_from_bytes(data) for data in self._feed.run(rgb)[OUTPUT_STREAM]]

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
    return landmark_list_array(message)
