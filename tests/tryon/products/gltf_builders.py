"""Tiny hand-written glTF files for loader tests: one triangle, plus whatever a test adds."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

DATA_URI = "data:application/octet-stream;base64,"
TRIANGLE = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)


def triangle_document(*, colours: np.ndarray | None = None, normals: bool = False) -> dict[str, Any]:
    """A glTF document with one triangle (counter-clockwise seen from +Z) in a base64 buffer."""
    blobs = [TRIANGLE.tobytes(), np.array([0, 1, 2], dtype=np.uint16).tobytes() + b"\0\0"]
    accessors = [
        {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0]},
        {"bufferView": 1, "componentType": 5123, "count": 3, "type": "SCALAR"},
    ]
    attributes = {"POSITION": 0}
    if colours is not None:
        blobs.append(colours.astype(np.float32).tobytes())
        accessors.append({"bufferView": 2, "componentType": 5126, "count": 3, "type": f"VEC{colours.shape[1]}"})
        attributes["COLOR_0"] = 2
    if normals:
        blobs.append(np.tile([0.0, 0.0, 1.0], (3, 1)).astype(np.float32).tobytes())
        accessors.append({"bufferView": len(blobs) - 1, "componentType": 5126, "count": 3, "type": "VEC3"})
        attributes["NORMAL"] = len(accessors) - 1
    views, offset = [], 0
    for blob in blobs:
        views.append({"buffer": 0, "byteOffset": offset, "byteLength": len(blob)})
        offset += len(blob)
    data = b"".join(blobs)
    return {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"name": "tri", "primitives": [{"attributes": attributes, "indices": 1}]}],
        "accessors": accessors,
        "bufferViews": views,
        "buffers": [{"byteLength": len(data), "uri": DATA_URI + base64.b64encode(data).decode()}],
    }


def with_texture(document: dict[str, Any], uri: str) -> dict[str, Any]:
    """The document with its triangle's material using the image file `uri` as base colour."""
    document = json.loads(json.dumps(document))
    document["images"] = [{"uri": uri}]
    document["textures"] = [{"source": 0}]
    document["materials"] = [{"name": "printed", "pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}]
    document["meshes"][0]["primitives"][0]["material"] = 0
    return document


def write_gltf(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def write_glb(path: Path, document: dict[str, Any], binary: bytes = b"") -> Path:
    """A GLB container: header, JSON chunk, optional BIN chunk, each padded to 4 bytes."""
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    chunks = struct.pack("<II", len(text), 0x4E4F534A) + text
    if binary:
        binary += b"\0" * (-len(binary) % 4)
        chunks += struct.pack("<II", len(binary), 0x004E4942) + binary
    path.write_bytes(struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks)
    return path


def with_named_parts(document: dict[str, Any], parts: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The document's triangle drawn once per (mesh name, glTF material) part, one node each,
    side by side along X so the parts do not overlap."""
    document = json.loads(json.dumps(document))
    primitive = document["meshes"][0]["primitives"][0]
    document["materials"] = [material for _, material in parts]
    document["meshes"] = [{"name": name, "primitives": [{**primitive, "material": i}]} for i, (name, _) in enumerate(parts)]
    document["nodes"] = [{"mesh": i, "translation": [1.5 * i, 0.0, 0.0]} for i in range(len(parts))]
    document["scenes"] = [{"nodes": list(range(len(parts)))}]
    return document
