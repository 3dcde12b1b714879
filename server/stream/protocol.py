"""The `/ws/tryon` wire format (docs/protocol.md): frame headers, control messages, close codes.

Pure functions and value types, no sockets: the server (server/stream/ws.py) and the Python
client (server/stream/client.py) both use them, and they are tested on bytes alone.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any, Literal

PROTOCOL_VERSION = 1

# Client -> server binary frame: magic, frame id, capture time (client clock, ms), image bytes.
FRAME_MAGIC = b"TRY1"
FRAME_HEADER = struct.Struct("<4sId")
# Server -> client binary result (composite mode): magic, JSON length, JSON, image bytes.
RESULT_MAGIC = b"TRR1"
RESULT_HEADER = struct.Struct("<4sI")

OutputMode = Literal["composite", "pose"]
ImageFormat = Literal["jpeg", "webp"]
OUTPUT_MODES: tuple[str, ...] = ("composite", "pose")
IMAGE_FORMATS: tuple[str, ...] = ("jpeg", "webp")


class CloseCode:
    """WebSocket close codes the server uses; docs/protocol.md explains each."""

    NORMAL = 1000  # the client sent {"type": "end"}
    SERVICE_RESTART = 1012  # the server process is stopping (sent by uvicorn at shutdown)
    MESSAGE_TOO_BIG = 1009  # a frame over max_frame_bytes, or a JSON message over max_text_bytes
    INTERNAL_ERROR = 1011  # a server bug: reported, the session is closed, others are unaffected
    TRY_AGAIN_LATER = 1013  # this process has max_sessions sessions already
    MALFORMED = 4400  # bad frame header, invalid JSON, unknown message type
    IDLE_TIMEOUT = 4408  # nothing received for idle_timeout_s


class ProtocolViolation(Exception):
    """The client broke the protocol; the session is closed with `code` and `reason`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class RequestRejected(Exception):
    """A message that was understood but cannot be honoured (unknown product, bad value, bad
    frame): the client gets an error message with `code`; the session goes on."""

    def __init__(self, code: str, message: str, frame_id: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.frame_id = frame_id


@dataclass(frozen=True)
class FrameMessage:
    frame_id: int
    capture_ts_ms: float
    image: bytes


def pack_frame(frame_id: int, capture_ts_ms: float, image: bytes) -> bytes:
    """Client side: one binary frame message."""
    return FRAME_HEADER.pack(FRAME_MAGIC, frame_id & 0xFFFFFFFF, float(capture_ts_ms)) + image


def unpack_frame(data: bytes) -> FrameMessage:
    """Server side: split a binary message; raises ProtocolViolation when the header is wrong."""
    if len(data) < FRAME_HEADER.size:
        raise ProtocolViolation(CloseCode.MALFORMED, f"binary message of {len(data)} bytes is shorter than the "
                                f"{FRAME_HEADER.size}-byte frame header")
    magic, frame_id, capture_ts = FRAME_HEADER.unpack_from(data)
    if magic != FRAME_MAGIC:
        raise ProtocolViolation(CloseCode.MALFORMED, f"frame header must start with {FRAME_MAGIC!r}, got {magic!r}")
    if capture_ts != capture_ts:  # NaN
        raise ProtocolViolation(CloseCode.MALFORMED, "frame capture timestamp is NaN")
    return FrameMessage(frame_id, capture_ts, data[FRAME_HEADER.size:])


def pack_result(meta: dict[str, Any], image: bytes) -> bytes:
    """Server side: a composite result as one binary message (metadata and picture together)."""
    body = json.dumps(meta, separators=(",", ":")).encode()
    return RESULT_HEADER.pack(RESULT_MAGIC, len(body)) + body + image


def unpack_result(data: bytes) -> tuple[dict[str, Any], bytes]:
    """Client side: (metadata, encoded image) from a binary result message."""
    if len(data) < RESULT_HEADER.size:
        raise ValueError(f"result message of {len(data)} bytes has no header")
    magic, length = RESULT_HEADER.unpack_from(data)
    if magic != RESULT_MAGIC:
        raise ValueError(f"result message must start with {RESULT_MAGIC!r}, got {magic!r}")
    start = RESULT_HEADER.size
    if start + length > len(data):
        raise ValueError("result message is shorter than its JSON length says")
    return json.loads(data[start:start + length]), data[start + length:]


def parse_control(text: str, max_bytes: int) -> dict[str, Any]:
    """Server side: a JSON control message as a dict with a string "type"; raises
    ProtocolViolation for oversize, invalid JSON or a missing type."""
    if len(text) > max_bytes:
        raise ProtocolViolation(CloseCode.MESSAGE_TOO_BIG, f"JSON message over {max_bytes} bytes")
    try:
        message = json.loads(text)
    except ValueError as exc:
        raise ProtocolViolation(CloseCode.MALFORMED, f"invalid JSON: {exc}"[:120]) from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolViolation(CloseCode.MALFORMED, 'a JSON message must be an object with a string "type"')
    return message


@dataclass(frozen=True)
class StreamConfig:
    """What a session produces; changed by `configure` messages (any subset of the fields)."""

    product: str | None = None
    variant: str | None = None
    mode: OutputMode = "composite"
    fov_deg: float = 60.0
    mirror: bool = False
    quality: int = 80
    format: ImageFormat = "jpeg"
    max_faces: int = 1

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


CONFIG_FIELDS = frozenset(StreamConfig.__dataclass_fields__)


def apply_config(current: StreamConfig, changes: dict[str, Any]) -> StreamConfig:
    """A new config with `changes` applied, every value checked; raises RequestRejected
    (code "invalid_config") naming the first bad field. Product existence is checked by the
    session, which knows the catalog."""
    unknown = sorted(set(changes) - CONFIG_FIELDS)
    if unknown:
        raise RequestRejected("invalid_config", f"unknown configure field(s): {', '.join(unknown)}; "
                              f"known: {', '.join(sorted(CONFIG_FIELDS))}")
    values = current.to_json()
    for key, value in changes.items():
        values[key] = _checked(key, value)
    if "product" in changes and "variant" not in changes:
        values["variant"] = None  # a variant belongs to its product
    return StreamConfig(**values)


def _checked(key: str, value: Any) -> Any:
    def bad(expected: str) -> RequestRejected:
        return RequestRejected("invalid_config", f"{key} must be {expected}, got {value!r}")

    if key in ("product", "variant"):
        if value is not None and (not isinstance(value, str) or not value or len(value) > 200):
            raise bad("a non-empty string or null")
        return value
    if key == "mode":
        if value not in OUTPUT_MODES:
            raise bad(" or ".join(OUTPUT_MODES))
        return value
    if key == "format":
        if value not in IMAGE_FORMATS:
            raise bad(" or ".join(IMAGE_FORMATS))
        return value
    if key == "mirror":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if key == "fov_deg":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 20.0 <= value <= 120.0:
            raise bad("a number of degrees between 20 and 120")
        return float(value)
    if key == "quality":
        if isinstance(value, bool) or not isinstance(value, int) or not 30 <= value <= 95:
            raise bad("an integer between 30 and 95")
        return value
    if key == "max_faces":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
            raise bad("an integer between 1 and 4")
        return value
    raise bad("a known field")  # unreachable: unknown keys are rejected first
