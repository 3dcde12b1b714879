"""MediaPipe's hand landmark graph, fed and read without the Python solution wrapper's costs.

The same direct feed as the face mesh's (direct_graph_feed.py: same models, options and simulated
30 fps clock): one image packet in, the serialised landmark lists out, decoded straight into
arrays. The wrapper also builds handedness protobufs every frame, which the occluder does not
need.
"""

from __future__ import annotations

import numpy as np

from tryon.tracking.direct_graph_feed import DirectGraphFeed, landmark_list_array
from tryon.tracking.face_mesh_graph import landmarks_from_bytes

IMAGE_STREAM = "multi_hand_landmarks"
WORLD_STREAM = "multi_hand_world_landmarks"


class HandLandmarksGraph:
    """One MediaPipe Hands graph (lite landmark model) for one stream of images."""

    def __init__(self, static_image_mode: bool, max_num_hands: int, model_complexity: int,
                 min_detection_confidence: float, min_tracking_confidence: float) -> None:
        import mediapipe as mp  # heavy import, kept local so the CLI's --help stays fast

        self._solution = mp.solutions.hands.Hands(
            static_image_mode=static_image_mode,
            max_num_hands=max_num_hands,
            model_complexity=model_complexity,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self._feed = DirectGraphFeed(self._solution, (IMAGE_STREAM, WORLD_STREAM))
        self._direct = self._feed.available

    def landmarks(self, rgb: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per hand found in a (H, W, 3) uint8 RGB image: ((21,3) float64 normalised image
        landmarks (x, y in 0..1, z relative, on x's scale), (21,3) float64 world landmarks in
        metres around the hand's centre, camera-aligned axes)."""
        if not self._direct:
            result = self._solution.process(rgb)
            image = result.multi_hand_landmarks or []
            world = result.multi_hand_world_landmarks or []
            return [(landmark_list_array(a), landmark_list_array(b)) for a, b in zip(image, world)]
        found = self._feed.run(rgb)
        return [(landmarks_from_bytes(a), landmarks_from_bytes(b))
                for a, b in zip(found[IMAGE_STREAM], found[WORLD_STREAM])]

    def close(self) -> None:
        self._solution.close()
