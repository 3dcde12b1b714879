"""Read a glTF 2.0 file (.glb, or .gltf with its .bin and textures) into checked JSON and bytes.

Everything that can be wrong with the *file* is found here, before any geometry is decoded, and
reported as UnsupportedModel naming the file, the problem and what to do: a missing or empty
file, a file that is not glTF, a truncated GLB or .bin, bad JSON, a missing referenced file, an
unsupported required extension, a limit exceeded.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tryon.errors import UnsupportedModel

# Limits on what a user may hand us; they bound memory and load time, not realism.
MAX_MODEL_BYTES = 100 * 1024 * 1024  # the .glb/.gltf plus every file it references
MAX_TRIANGLES = 500_000  # a try-on product needs a few 10k; 500k still uploads in ~50 ms
MAX_TEXTURE_SIDE = 8192  # px; 8192^2 RGBA is 256 MiB decoded, the most we accept per image
MAX_TEXTURE_PIXELS = 4 * 8192 * 8192  # all decoded textures of one model together: 1 GiB as RGBA

# Extensions a file may list in extensionsRequired: we read them, or read them well enough.
READABLE_REQUIRED_EXTENSIONS = frozenset(
    {
        "KHR_draco_mesh_compression",
        "KHR_materials_variants",
        "KHR_materials_pbrSpecularGlossiness",
        "KHR_materials_transmission",
        "KHR_materials_emissive_strength",
        "KHR_materials_unlit",
        "EXT_texture_webp",
    }
)

_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


@dataclass(eq=False)
class GltfFile:
    """A glTF document with its buffers loaded and checked against each other.

    document: the parsed glTF JSON. buffers: one bytes object per glTF buffer, at least
    byteLength long. Referenced files are read through `read_uri`, which keeps the byte budget.
    """

    path: Path
    document: dict[str, Any]
    buffers: list[bytes]
    bytes_read: int = 0
    _base_dir: Path = field(init=False)

    def __post_init__(self) -> None:
        self._base_dir = self.path.parent

    def fail(self, problem: str) -> UnsupportedModel:
        """An UnsupportedModel whose message starts with this file's path."""
        return UnsupportedModel(f"{self.path}: {problem}")

    def view_bytes(self, index: int) -> bytes:
        """The bytes of bufferView `index` (ranges were checked on load)."""
        view = self.document["bufferViews"][index]
        start = int(view.get("byteOffset", 0))
        return self.buffers[view["buffer"]][start : start + int(view["byteLength"])]

    def read_uri(self, uri: str, what: str) -> bytes:
        """Bytes of a data: URI or of a file beside the model; `what` names it in errors."""
        if uri.startswith("data:"):
            head, _, payload = uri.partition(",")
            if not head.endswith(";base64"):
                raise self.fail(f"{what} is a data: URI that is not base64; embed it as base64")
            try:
                data = base64.b64decode(payload, validate=True)
            except binascii.Error as exc:
                raise self.fail(f"{what} has corrupt base64 data ({exc}); re-export the model") from exc
        else:
            data = self._read_beside(uri, what)
        self._spend(len(data))
        return data

    def _read_beside(self, uri: str, what: str) -> bytes:
        if _URI_SCHEME.match(uri):
            raise self.fail(
                f"{what} points to {uri!r}; only files beside the model are read: download it "
                "next to the model or export a .glb"
            )
        relative = Path(unquote(uri))
        if relative.is_absolute():
            raise self.fail(f"{what} uses the absolute path {uri!r}; use a path relative to the model")
        target = self._base_dir / relative
        if not target.is_file():
            raise self.fail(
                f"{what} refers to missing file {uri!r} (looked for {target}); copy it next to the "
                "model or export a self-contained .glb"
            )
        size = target.stat().st_size
        if self.bytes_read + size > MAX_MODEL_BYTES:
            self._spend(size)  # raises before reading a file that cannot fit the budget
        return target.read_bytes()

    def _spend(self, n: int) -> None:
        self.bytes_read += n
        if self.bytes_read > MAX_MODEL_BYTES:
            raise self.fail(
                f"the model and the files it references exceed {MAX_MODEL_BYTES // 2**20} MB; "
                "shrink its textures or geometry (e.g. gltf-transform resize / simplify)"
            )


def read_gltf_file(path: str | Path) -> GltfFile:
    """Read and check a .glb or .gltf file and its buffers. Raises UnsupportedModel."""
    # The container checks are the pre-flight's (which lists every problem); here the first ends it.
    from tryon.products.preflight_container import read_container, read_model_bytes
    from tryon.products.problems import ProblemLog

    path = Path(path)
    log = ProblemLog(str(path))
    data = read_model_bytes(path, log)
    container = read_container(data, log) if data is not None else None
    first_error = next((p for p in log.problems if p.severity == "error"), None)
    if first_error is not None or container is None or data is None:
        raise UnsupportedModel(first_error.message if first_error else f"{path}: not a readable glTF file")
    document, glb_bin = container.document, container.glb_bin
    _check_version_and_extensions(path, document)
    gltf = GltfFile(path=path, document=document, buffers=[], bytes_read=len(data))
    with malformed_as_unsupported(gltf):
        gltf.buffers = _load_buffers(gltf, glb_bin)
        _check_buffer_views(gltf)
        _check_accessors(gltf)
    return gltf


@contextmanager
def malformed_as_unsupported(gltf: GltfFile) -> Iterator[None]:
    """Report a JSON value of the wrong type or a dangling index, met anywhere while reading
    the document (by us or by trimesh), as UnsupportedModel rather than a traceback."""
    try:
        yield
    except (TypeError, KeyError, IndexError, AttributeError, ValueError) as exc:
        raise gltf.fail(
            f"malformed glTF ({type(exc).__name__}: {exc}); re-export it, or check it with the "
            "Khronos glTF validator (github.khronos.org/glTF-Validator)"
        ) from exc


EXPORT_HINT = "export the model as glTF 2.0 (.glb), e.g. from Blender: File > Export > glTF 2.0"


def _check_version_and_extensions(path: Path, document: dict[str, Any]) -> None:
    asset = document.get("asset")
    version = asset.get("version") if isinstance(asset, dict) else None
    if version is None:
        raise UnsupportedModel(
            f"{path}: JSON without 'asset.version', so not a glTF file (glTF 2.0 files declare "
            f'"asset": {{"version": "2.0"}}); {EXPORT_HINT}'
        )
    if not str(version).startswith("2."):
        raise UnsupportedModel(f"{path}: glTF version {version} is not supported, only 2.0; {EXPORT_HINT}")
    required = document.get("extensionsRequired", [])
    unreadable = sorted(set(required) - READABLE_REQUIRED_EXTENSIONS) if isinstance(required, list) else []
    if unreadable:
        raise UnsupportedModel(
            f"{path}: requires glTF extension(s) {', '.join(unreadable)}, which tryon cannot read; "
            "re-export without them (e.g. no meshopt/quantization/KTX2; Draco is fine)"
        )


def _load_buffers(gltf: GltfFile, glb_bin: bytes | None) -> list[bytes]:
    buffers = []
    for i, buffer in enumerate(_list(gltf, "buffers")):
        what = f"buffers[{i}]"
        if not isinstance(buffer, dict):
            raise gltf.fail(f"{what} is not a JSON object; re-export the model")
        uri = buffer.get("uri")
        if uri is not None:
            data = gltf.read_uri(str(uri), f"{what} ({uri})")
        elif i == 0 and glb_bin is not None:
            data = glb_bin
        else:
            raise gltf.fail(f"{what} has no uri and there is no GLB binary chunk for it; {EXPORT_HINT}")
        declared = int(buffer.get("byteLength", 0))
        if len(data) < declared:
            name = repr(uri) if uri and not str(uri).startswith("data:") else what
            raise gltf.fail(
                f"buffer {name} has {len(data)} bytes but the model declares {declared}; "
                "it is truncated or from another export, copy the matching file again"
            )
        buffers.append(data)
    return buffers


def _check_buffer_views(gltf: GltfFile) -> None:
    for i, view in enumerate(_list(gltf, "bufferViews")):
        try:
            buffer = gltf.buffers[int(view["buffer"])]
            start, length = int(view.get("byteOffset", 0)), int(view["byteLength"])
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise gltf.fail(f"bufferViews[{i}] is malformed ({exc!r}); re-export the model") from exc
        if start < 0 or start + length > len(buffer):
            raise gltf.fail(
                f"bufferViews[{i}] reads bytes {start}..{start + length} of buffer {view['buffer']}, "
                f"which has {len(buffer)}; the .bin is truncated or from another export"
            )


# glTF vocabulary shared by the loader and the pre-flight
COMPONENT_BYTES = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
TYPE_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
TRIANGLE_MODES = (4, 5)  # TRIANGLES, TRIANGLE_STRIP: what trimesh reads (no TRIANGLE_FAN), so what is drawn
DRACO = "KHR_draco_mesh_compression"


def _check_accessors(gltf: GltfFile) -> None:
    views = _list(gltf, "bufferViews")
    for i, accessor in enumerate(_list(gltf, "accessors")):
        try:
            item = COMPONENT_BYTES[accessor["componentType"]] * TYPE_WIDTH[accessor["type"]]
            count = int(accessor["count"])
            if "bufferView" not in accessor:
                continue
            view = views[int(accessor["bufferView"])]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise gltf.fail(f"accessors[{i}] is malformed ({exc!r}); re-export the model") from exc
        stride = int(view.get("byteStride", item))
        end = int(accessor.get("byteOffset", 0)) + (count - 1) * stride + item if count else 0
        if end > int(view["byteLength"]):
            raise gltf.fail(
                f"accessors[{i}] needs {end} bytes of bufferViews[{accessor['bufferView']}], which has "
                f"{view['byteLength']}; the file is corrupt, re-export it"
            )


def _list(gltf: GltfFile, key: str) -> list[Any]:
    value = gltf.document.get(key, [])
    if not isinstance(value, list):
        raise gltf.fail(f"'{key}' must be a JSON list, not {type(value).__name__}; re-export the model")
    return value
