"""The wire format and config rules on bytes and values alone (no server)."""

from __future__ import annotations

import json

import pytest

from server.stream.protocol import (
    CloseCode,
    ProtocolViolation,
    RequestRejected,
    StreamConfig,
    apply_config,
    pack_frame,
    pack_result,
    parse_control,
    unpack_frame,
    unpack_result,
)


def test_a_frame_round_trips_its_id_timestamp_and_image():
    frame = unpack_frame(pack_frame(4_000_000_000, 12345.678, b"\xff\xd8jpeg"))
    assert (frame.frame_id, frame.capture_ts_ms, frame.image) == (4_000_000_000, 12345.678, b"\xff\xd8jpeg")


def test_frame_ids_wrap_at_32_bits_instead_of_failing():
    assert unpack_frame(pack_frame(2**32 + 5, 0.0, b"x")).frame_id == 5


@pytest.mark.parametrize("data, words", [(b"", "shorter"), (b"TRY1" + bytes(11), "shorter"),
                                         (b"TRY2" + bytes(12), "must start with")])
def test_bad_frame_headers_are_protocol_violations(data, words):
    with pytest.raises(ProtocolViolation) as info:
        unpack_frame(data)
    assert info.value.code == CloseCode.MALFORMED and words in info.value.reason


def test_a_nan_timestamp_is_rejected():
    with pytest.raises(ProtocolViolation, match="NaN"):
        unpack_frame(pack_frame(1, float("nan"), b"x"))


def test_a_result_round_trips_metadata_and_picture():
    meta, image = unpack_result(pack_result({"type": "result", "frame_id": 3, "é": "ü"}, b"\xff\xd8pic"))
    assert meta == {"type": "result", "frame_id": 3, "é": "ü"} and image == b"\xff\xd8pic"


def test_a_result_whose_length_overruns_the_message_is_refused():
    data = pack_result({"a": 1}, b"")
    with pytest.raises(ValueError, match="shorter"):
        unpack_result(data[:-2])


@pytest.mark.parametrize("text, code", [("x" * 100, CloseCode.MESSAGE_TOO_BIG), ("{", CloseCode.MALFORMED),
                                        ('"configure"', CloseCode.MALFORMED), ('{"type": 3}', CloseCode.MALFORMED)])
def test_control_messages_must_be_small_json_objects_with_a_type(text, code):
    with pytest.raises(ProtocolViolation) as info:
        parse_control(text, max_bytes=50)
    assert info.value.code == code


def test_configure_changes_only_the_fields_given():
    config = apply_config(StreamConfig(product="a", variant="v", quality=70), {"mirror": True, "fov_deg": 75})
    assert config == StreamConfig(product="a", variant="v", quality=70, mirror=True, fov_deg=75.0)


def test_changing_product_resets_the_variant_unless_given():
    base = StreamConfig(product="a", variant="v")
    assert apply_config(base, {"product": "b"}).variant is None
    assert apply_config(base, {"product": "b", "variant": "w"}).variant == "w"


@pytest.mark.parametrize("changes", [{"mode": "3d"}, {"quality": 96}, {"quality": 80.5}, {"quality": True},
                                     {"fov_deg": 10}, {"mirror": "yes"}, {"format": "gif"}, {"max_faces": 0},
                                     {"product": ""}, {"product": 7}, {"size": 3}])
def test_bad_configure_values_are_rejected_by_name(changes):
    with pytest.raises(RequestRejected) as info:
        apply_config(StreamConfig(), changes)
    assert info.value.code == "invalid_config" and next(iter(changes)) in info.value.message


def test_config_json_lists_every_field():
    assert set(json.loads(json.dumps(StreamConfig().to_json()))) == {
        "product", "variant", "mode", "fov_deg", "mirror", "quality", "format", "max_faces"}
