"""MediaPipe's hand landmark graph, fed and read without the Python solution wrapper's costs.

The same direct feed as face_mesh_graph.py (same models, options and simulated 30 fps clock):
one image packet in, the serialised landmark lists out, decoded straight into arrays. The
wrapper also builds handedness protobufs every frame, which the occluder does not need.
"""

from __future__ import annotations

import numpy as np

from tryon.tracking.face_mesh_graph import landmarks_from_bytes

INPUT_STREAM = "image"
IMAGE_STREAM = "multi_hand_landmarks"
WORLD_STREAM = "multi_hand_world_landmarks"
_FRAME_STEP_US = 33333  # the wrapper's simulated 30 fps clock
HAND_LANDMARKS = 21


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
        self._direct = _has_direct_access(self._solution)
        if self._direct:
            from mediapipe.python import packet_creator
            from mediapipe.python._framework_bindings import _packet_getter, image_frame

            # The hand graph's input is an ImageFrame (the face mesh's an Image): the creator
            # is named after the type the graph declares, as the wrapper does.
            kind = solution_input_type(self._solution)
            self._create_image = getattr(packet_creator, "create_" + kind)
            self._serialized_lists = _packet_getter._get_serialized_proto_list
            self._srgb = image_frame.ImageFormat.SRGB

    def landmarks(self, rgb: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per hand found in a (H, W, 3) uint8 RGB image: ((21,3) float64 normalised image
        landmarks (x, y in 0..1, z relative, on x's scale), (21,3) float64 world landmarks in
        metres around the hand's centre, camera-aligned axes)."""
        if not self._direct:
            result = self._solution.process(rgb)
            image = result.multi_hand_landmarks or []
            world = result.multi_hand_world_landmarks or []
            return [(_from_message(a), _from_message(b)) for a, b in zip(image, world)]
        solution = self._solution
        solution._graph_outputs.clear()
        solution._simulated_timestamp += _FRAME_STEP_US
        packet = self._create_image(rgb, image_format=self._srgb)
        solution._graph.add_packet_to_input_stream(stream=INPUT_STREAM, packet=packet.at(solution._simulated_timestamp))
        solution._graph.wait_until_idle()
        image = solution._graph_outputs.get(IMAGE_STREAM)
        world = solution._graph_outputs.get(WORLD_STREAM)
        if image is None or image.is_empty() or world is None or world.is_empty():
            return []
        return [(landmarks_from_bytes(a), landmarks_from_bytes(b))
                for a, b in zip(self._serialized_lists(image), self._serialized_lists(world))]

    def close(self) -> None:
        self._solution.close()


def solution_input_type(solution) -> str:
    """'image_frame' or 'image': the packet type the graph's one input stream takes."""
    return solution._input_stream_type_info[INPUT_STREAM].value


def _from_message(landmark_list) -> np.ndarray:
    return np.array([(p.x, p.y, p.z) for p in landmark_list.landmark], dtype=np.float64).reshape(-1, 3)


def _has_direct_access(solution) -> bool:
    try:
        from mediapipe.python import packet_creator  # noqa: F401
        from mediapipe.python._framework_bindings import _packet_getter, image_frame  # noqa: F401
    except ImportError:
        return False
    members = ("_graph", "_graph_outputs", "_simulated_timestamp", "_input_stream_type_info")
    if not all(hasattr(solution, name) for name in members):
        return False
    return list(solution._input_stream_type_info) == [INPUT_STREAM] and hasattr(_packet_getter, "_get_serialized_proto_list")
