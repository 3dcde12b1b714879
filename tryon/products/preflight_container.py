"""The model file itself: present, within the size limit, a GLB container or JSON that parses.

These checks come first and stop the pre-flight when they fail: without a document there is
nothing further to check. A GLB cut short still has its JSON read, when the JSON chunk is whole,
so the rest of the file can be checked too.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tryon.products import gltf_file
from tryon.products.gltf_file import EXPORT_HINT
from tryon.products.problems import ProblemLog

GLB_MAGIC = b"glTF"
_CHUNK_JSON = 0x4E4F534A
_CHUNK_BIN = 0x004E4942

# First bytes of formats people commonly mistake for glTF, so the message can say what it is.
_KNOWN_MAGIC = (
    (b"Kaydara FBX Binary", "an FBX file"),
    (b"PK\x03\x04", "a ZIP archive (USDZ or zipped model?)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"solid ", "an ASCII STL file"),
    (b"ply", "a PLY file"),
    (b"#usda", "a USD file"),
    (b"<?xml", "an XML file (COLLADA .dae?)"),
)


@dataclass(frozen=True)
class Container:
    """A glTF file split up. glb_bin: the GLB's BIN chunk (None: none); bin_whole: False when
    the file was cut short inside it (its length then says nothing about the buffer)."""

    document: dict[str, Any]
    glb_bin: bytes | None
    bin_whole: bool
    size: int


def read_model_bytes(path: Path, log: ProblemLog) -> bytes | None:
    """The file's bytes, or None with the problem logged (missing, a folder, empty, too large)."""
    if not path.exists():
        log.error("file.missing", "no such file; check the path (a .glb, .gltf, .obj or .zip file is expected)")
        return None
    if not path.is_file():
        log.error("file.not_a_file", "is a folder, not a model file; pass the .glb, .gltf or .obj inside it")
        return None
    size = path.stat().st_size
    if size == 0:
        log.error("file.empty", f"the file is empty (0 bytes); {EXPORT_HINT}")
        return None
    if size > gltf_file.MAX_MODEL_BYTES:
        log.error(
            "file.too_large",
            f"the file is {size / 2**20:.0f} MB, over the {gltf_file.MAX_MODEL_BYTES // 2**20} MB limit; "
            "shrink its textures or geometry (e.g. gltf-transform resize / simplify)",
        )
        return None
    return path.read_bytes()


def describe_foreign(data: bytes) -> str:
    """What a file that is not glTF looks like, from its first bytes."""
    for magic, name in _KNOWN_MAGIC:
        if data.startswith(magic):
            return f"it looks like {name}"
    return f"it starts with bytes {data[:8]!r}, neither the GLB magic b'glTF' nor JSON"


def read_container(data: bytes, log: ProblemLog) -> Container | None:
    """The glTF document (and GLB BIN chunk) of a file's bytes; None when there is no document."""
    if data[:4] == GLB_MAGIC:
        return _split_glb(data, log)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        document = parse_json(data, "the file", log)
        return None if document is None else Container(document, None, True, len(data))
    log.error("file.not_gltf", f"not a glTF file: {describe_foreign(data)}; {EXPORT_HINT}")
    return None


def _split_glb(data: bytes, log: ProblemLog) -> Container | None:
    """12-byte header (magic, version, length), a JSON chunk, then an optional BIN chunk."""
    if len(data) < 20:
        log.error("glb.truncated", f"truncated GLB: only {len(data)} bytes; fetch or export the file again")
        return None
    _, version, declared = struct.unpack_from("<4sII", data, 0)
    if version != 2:
        log.error("glb.version", f"GLB container version {version}; only glTF 2.0 is supported, {EXPORT_HINT}")
        return None
    available = min(declared, len(data))
    if declared > len(data):
        log.error(
            "glb.truncated",
            f"truncated GLB: the header declares {declared} bytes but the file has {len(data)}; the "
            "download or copy was cut short, fetch or export the file again",
        )
    elif declared < len(data):
        log.warning(
            "glb.trailing_bytes",
            f"the file has {len(data) - declared} bytes after the {declared} its GLB header declares; "
            "they are ignored (export the file again if it looks wrong)",
        )
    document: dict[str, Any] | None = None
    glb_bin: bytes | None = None
    bin_whole = True
    offset, index = 12, 0
    while offset + 8 <= available:
        length, kind = struct.unpack_from("<II", data, offset)
        start, end = offset + 8, offset + 8 + length
        whole = end <= available
        if index == 0 and kind != _CHUNK_JSON:
            log.error("glb.corrupt", f"corrupt GLB: the first chunk is not JSON; {EXPORT_HINT}")
            return None
        if not whole and end > declared:  # a file cut short was reported above; this is a bad header
            log.error(
                "glb.truncated",
                f"corrupt GLB: chunk {index} declares {length} bytes but only {available - start} "
                "remain in the container; export the file again",
            )
        if kind == _CHUNK_JSON and document is None:
            if not whole:
                log.error("glb.truncated", "the GLB's JSON chunk is cut short, so nothing else can be checked")
                return None
            document = parse_json(data[start:end].rstrip(b"\x00 "), "the GLB's JSON chunk", log)
            if document is None:
                return None
        elif kind == _CHUNK_BIN and glb_bin is None:
            glb_bin, bin_whole = data[start : min(end, available)], whole
        offset, index = end, index + 1
    if document is None:
        log.error("glb.corrupt", f"corrupt GLB: no JSON chunk; {EXPORT_HINT}")
        return None
    return Container(document, glb_bin, bin_whole, len(data))


def parse_json(raw: bytes, where: str, log: ProblemLog) -> dict[str, Any] | None:
    """A JSON object, or None with the problem logged."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        log.error("json.not_utf8", f"{where} is not UTF-8 text ({exc.reason} at byte {exc.start}); {EXPORT_HINT}")
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        log.error(
            "json.invalid",
            f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; the file is "
            "damaged or hand-edited, export it again",
        )
        return None
    except RecursionError:
        log.error("json.invalid", f"{where} nests JSON too deeply to be glTF; export the file again")
        return None
    if not isinstance(document, dict):
        log.error(
            "json.not_object", f"{where} holds a JSON {type(document).__name__}, not a glTF object; {EXPORT_HINT}"
        )
        return None
    return document
