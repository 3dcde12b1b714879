"""Feeding a legacy `mp.solutions` graph directly: one image packet in, serialised outputs out.

The solution wrappers' `process` builds namedtuples and Python protobuf objects every frame; the
graph behind them takes the same image packet (at the wrapper's own simulated 30 fps clock) and
its output packets hold the landmark lists already serialised, which numpy decodes in one pass
(face_mesh_graph.landmarks_from_bytes). Both the face mesh and the hand graph are fed this way.

The wrapper's private members this relies on are those of mediapipe 0.10.21 (pinned); if they
are ever missing, `available` is False and callers use the public `process` path instead.
"""

from __future__ import annotations

import numpy as np

INPUT_STREAM = "image"
FRAME_STEP_US = 33333  # the wrapper's simulated 30 fps clock
_MEMBERS = ("_graph", "_graph_outputs", "_simulated_timestamp", "_input_stream_type_info", "_output_stream_type_info")


class DirectGraphFeed:
    """Runs one solution's graph on one image at a time and returns its `outputs` streams."""

    def __init__(self, solution, outputs: tuple[str, ...]) -> None:
        self._solution = solution
        self._outputs = outputs
        self.available = _has_direct_access(solution, outputs)
        if self.available:  # resolved once: this runs every frame
            from mediapipe.python import packet_creator
            from mediapipe.python._framework_bindings import _packet_getter, image_frame

            # The input is an Image (face mesh) or an ImageFrame (hands): the packet creator is
            # named after the type the graph declares, as the wrapper does.
            kind = solution._input_stream_type_info[INPUT_STREAM].value
            self._create_image = getattr(packet_creator, "create_" + kind)
            self._serialized_lists = _packet_getter._get_serialized_proto_list
            self._srgb = image_frame.ImageFormat.SRGB

    def run(self, rgb: np.ndarray) -> dict[str, list[bytes]]:
        """Each output stream's serialised protos for a (H, W, 3) uint8 RGB image; a stream with
        no packet this time (nothing found) maps to an empty list."""
        solution = self._solution
        solution._graph_outputs.clear()
        solution._simulated_timestamp += FRAME_STEP_US
        packet = self._create_image(rgb, image_format=self._srgb)
        solution._graph.add_packet_to_input_stream(stream=INPUT_STREAM, packet=packet.at(solution._simulated_timestamp))
        solution._graph.wait_until_idle()
        found: dict[str, list[bytes]] = {}
        for name in self._outputs:
            output = solution._graph_outputs.get(name)
            found[name] = [] if output is None or output.is_empty() else list(self._serialized_lists(output))
        return found


def landmark_list_array(landmark_list) -> np.ndarray:
    """A (Normalized)LandmarkList protobuf -> (N,3) float64 x, y, z."""
    return np.array([(p.x, p.y, p.z) for p in landmark_list.landmark], dtype=np.float64).reshape(-1, 3)


def _has_direct_access(solution, outputs: tuple[str, ...]) -> bool:
    try:
        from mediapipe.python import packet_creator  # noqa: F401
        from mediapipe.python._framework_bindings import _packet_getter, image_frame  # noqa: F401
    except ImportError:
        return False
    if not all(hasattr(solution, name) for name in _MEMBERS):
        return False
    return (list(solution._input_stream_type_info) == [INPUT_STREAM]
            and set(outputs) <= set(solution._output_stream_type_info)
            and hasattr(_packet_getter, "_get_serialized_proto_list"))
