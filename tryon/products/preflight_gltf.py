"""Pre-flight of a glTF file (.glb or .gltf with its files): every problem found, before decoding.

The loader (load.py) stops at the first problem, which suits a catalog of known-good files. A
retailer importing their own model needs the whole list at once, so this pass walks the JSON
and the files it names and logs each problem as a Problem: referenced buffers and images exist
and have their declared length, bufferViews and accessors stay in range, required extensions
are readable, textures are within limits (from their headers), triangle counts are within
MAX_TRIANGLES, and there is geometry at all. What it misses, the loader still catches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tryon.products import gltf_file
from tryon.products.gltf_file import COMPONENT_BYTES, DRACO, EXPORT_HINT, TRIANGLE_MODES, TYPE_WIDTH
from tryon.products.gltf_materials import VARIANTS_EXTENSION
from tryon.products.image_header import TextureBudget
from tryon.products.preflight_container import Container, read_container, read_model_bytes
from tryon.products.problems import Problem, ProblemLog
from tryon.products.referenced_files import ReferencedFiles

_TEXTURE_SLOTS = (
    "baseColorTexture",
    "metallicRoughnessTexture",
    "normalTexture",
    "emissiveTexture",
    "occlusionTexture",
    "diffuseTexture",
)


@dataclass(frozen=True)
class GltfPreflight:
    """What the pre-flight found: problems (errors reject the file), and facts for the report."""

    problems: tuple[Problem, ...]
    triangles: int = 0
    uses_draco: bool = False

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def preflight_gltf(path: Path) -> GltfPreflight:
    """Check a .glb/.gltf and the files it references; never raises for a bad file."""
    log = ProblemLog(path.name)
    data = read_model_bytes(path, log)
    container = read_container(data, log) if data is not None else None
    if container is None or not _check_version(container.document, log):
        return GltfPreflight(tuple(log.problems))
    document = container.document
    _check_required_extensions(document, log)
    files = ReferencedFiles(path.parent, log, spent=container.size)
    buffers = _buffers(document, container, files, log)
    views = _buffer_views(document, buffers, log)
    _check_accessors(document, views, log)
    triangles, uses_draco = _check_geometry(document, log)
    _check_images(document, buffers, views, files, log)
    _check_material_textures(document, log)
    return GltfPreflight(tuple(log.problems), triangles, uses_draco)


def _list(document: dict[str, Any], key: str, log: ProblemLog) -> list[Any]:
    value = document.get(key, [])
    if not isinstance(value, list):
        log.error("gltf.malformed", f"'{key}' must be a JSON list, not {type(value).__name__}; export the model again")
        return []
    return value


def _index(value: Any, length: int) -> int | None:
    """value as an index into a list of `length`, or None if it is not one."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < length else None


def _check_version(document: dict[str, Any], log: ProblemLog) -> bool:
    asset = document.get("asset")
    version = asset.get("version") if isinstance(asset, dict) else None
    if version is None:
        log.error(
            "gltf.no_version",
            "JSON without 'asset.version', so not a glTF file (glTF 2.0 files declare "
            f'"asset": {{"version": "2.0"}}); {EXPORT_HINT}',
        )
        return False
    if not str(version).startswith("2."):
        log.error("gltf.version", f"glTF version {version} is not supported, only 2.0; {EXPORT_HINT}")
        return False
    return True


def _check_required_extensions(document: dict[str, Any], log: ProblemLog) -> None:
    required = _list(document, "extensionsRequired", log)
    unreadable = sorted({str(e) for e in required} - gltf_file.READABLE_REQUIRED_EXTENSIONS)
    if unreadable:
        log.error(
            "extension.unsupported",
            f"requires glTF extension(s) {', '.join(unreadable)}, which tryon cannot read; export again "
            "without them (e.g. no meshopt, quantization or KTX2 textures; Draco is fine)",
        )


def _buffers(
    document: dict[str, Any], container: Container, files: ReferencedFiles, log: ProblemLog
) -> list[bytes | None]:
    """Each buffer's bytes; None where they are unavailable (the problem is logged once, here)."""
    buffers: list[bytes | None] = []
    for i, buffer in enumerate(_list(document, "buffers", log)):
        buffers.append(None)
        with log.malformed(f"buffers[{i}]"):
            uri = buffer.get("uri")
            declared = buffer.get("byteLength", 0)
            if _index(declared, 2**63) is None:
                raise ValueError(f"byteLength {declared!r} is not a byte count")
            if uri is not None:
                name = f"buffers[{i}]" if str(uri).startswith("data:") else f"buffers[{i}] ({str(uri)!r})"
                data = files.read_uri(str(uri), name, "buffer")
            elif i == 0 and container.glb_bin is not None:
                name, data = "the GLB's binary chunk", container.glb_bin
                if not container.bin_whole:
                    continue  # the truncated GLB is already reported
            else:
                log.error(
                    "buffer.no_data", f"buffers[{i}] has no uri and there is no GLB binary chunk for it; {EXPORT_HINT}"
                )
                continue
            if data is not None and len(data) < declared:
                log.error(
                    "buffer.truncated",
                    f"{name} has {len(data)} bytes but the model declares {declared}; it is truncated or "
                    "from another export, copy the matching file again",
                )
                continue
            buffers[-1] = data
    return buffers


def _buffer_views(document: dict[str, Any], buffers: list[bytes | None], log: ProblemLog) -> list[int | None]:
    """Each bufferView's byteLength when it lies within a readable buffer, else None."""
    views: list[int | None] = []
    for i, view in enumerate(_list(document, "bufferViews", log)):
        views.append(None)
        with log.malformed(f"bufferViews[{i}]"):
            b = _index(view["buffer"], len(buffers))
            start, length = int(view.get("byteOffset", 0)), int(view["byteLength"])
            if b is None:
                log.error(
                    "buffer_view.out_of_range",
                    f"bufferViews[{i}] uses buffer {view['buffer']!r} but the file has {len(buffers)}; export it again",
                )
                continue
            data = buffers[b]
            if data is None:
                continue  # the buffer's own problem is reported
            if start < 0 or length < 0 or start + length > len(data):
                log.error(
                    "buffer_view.out_of_range",
                    f"bufferViews[{i}] reads bytes {start}..{start + length} of buffers[{b}], which has "
                    f"{len(data)}; the .bin is truncated or from another export",
                )
                continue
            views[-1] = length
    return views


def _check_accessors(document: dict[str, Any], views: list[int | None], log: ProblemLog) -> None:
    for i, accessor in enumerate(_list(document, "accessors", log)):
        with log.malformed(f"accessors[{i}]"):
            item = COMPONENT_BYTES[accessor["componentType"]] * TYPE_WIDTH[accessor["type"]]
            count = int(accessor["count"])
            if count < 0:
                raise ValueError(f"count {count} is negative")
            if "bufferView" not in accessor:
                continue  # zeros, sparse, or Draco-decoded
            v = _index(accessor["bufferView"], len(views))
            if v is None:
                log.error(
                    "accessor.bad_reference",
                    f"accessors[{i}] uses bufferView {accessor['bufferView']!r} but the file has {len(views)}; "
                    "export the model again",
                )
                continue
            length = views[v]
            if length is None:
                continue
            stride = int(document["bufferViews"][v].get("byteStride", item))
            end = int(accessor.get("byteOffset", 0)) + (count - 1) * stride + item if count else 0
            if end > length:
                log.error(
                    "accessor.out_of_range",
                    f"accessors[{i}] needs {end} bytes of bufferViews[{v}], which has {length}; the file is "
                    "corrupt, export it again",
                )


def _check_geometry(document: dict[str, Any], log: ProblemLog) -> tuple[int, bool]:
    """(triangles after instancing, whether Draco is used), logging geometry problems."""
    meshes = _list(document, "meshes", log)
    if not meshes:
        log.error("geometry.empty", "contains no meshes, so there is nothing to draw; export the product's geometry")
        return 0, False
    nodes = _list(document, "nodes", log)
    uses = [0] * len(meshes)
    for n, node in enumerate(nodes):
        if isinstance(node, dict) and "mesh" in node:
            m = _index(node["mesh"], len(meshes))
            if m is None:
                log.error(
                    "node.bad_mesh",
                    f"nodes[{n}] uses mesh {node['mesh']!r} but the file has {len(meshes)} meshes; export it again",
                )
            else:
                uses[m] += 1
    if nodes and not any(uses):
        log.error(
            "geometry.not_in_scene",
            "none of its meshes is placed in the scene by a node, so nothing would show; export it again",
        )
    accessors = _list(document, "accessors", log)
    materials = _list(document, "materials", log)
    total, triangle_primitives, uses_draco = 0, 0, False
    for i, mesh in enumerate(meshes):
        with log.malformed(f"meshes[{i}]"):
            for k, primitive in enumerate(mesh.get("primitives", [])):
                where = f"mesh {mesh.get('name') or i!r} primitive {k}"
                _check_primitive_materials(primitive, where, len(materials), log)
                draco = (primitive.get("extensions") or {}).get(DRACO)
                if draco is not None:
                    uses_draco = True
                    if _index(draco.get("bufferView"), len(document.get("bufferViews", []))) is None:
                        log.error(
                            "draco.bad_buffer_view",
                            f"{where}: its Draco data points to a missing bufferView; export it again",
                        )
                if primitive.get("mode", 4) not in TRIANGLE_MODES or "POSITION" not in primitive.get("attributes", {}):
                    continue
                triangle_primitives += 1
                source = primitive.get("indices", primitive["attributes"]["POSITION"])
                a = _index(source, len(accessors))
                if a is None:
                    log.error(
                        "mesh.bad_accessor",
                        f"{where} uses accessor {source!r} but the file has {len(accessors)}; export it again",
                    )
                    continue
                count = int(accessors[a]["count"])
                triangles = count // 3 if primitive.get("mode", 4) == 4 else max(count - 2, 0)
                total += triangles * max(uses[i], 1)
    if uses_draco:
        _check_dracopy(log)
    if triangle_primitives == 0:
        log.error(
            "geometry.no_triangles",
            "has no triangle geometry (its meshes hold only points, lines or triangle fans); export the "
            "product as a triangle mesh",
        )
    elif total == 0:
        log.error("geometry.empty", "its triangle meshes have no triangles; export the product's geometry")
    elif total > gltf_file.MAX_TRIANGLES:
        log.error(
            "geometry.too_many_triangles",
            f"has {total} triangles, over the {gltf_file.MAX_TRIANGLES} limit; simplify it (e.g. Blender's "
            "Decimate modifier or gltf-transform simplify) to well under 100k for try-on",
        )
    return total, uses_draco


def _check_primitive_materials(primitive: dict[str, Any], where: str, count: int, log: ProblemLog) -> None:
    used = [primitive["material"]] if "material" in primitive else []
    for mapping in ((primitive.get("extensions") or {}).get(VARIANTS_EXTENSION) or {}).get("mappings", []):
        used.append(mapping.get("material"))
    for material in used:
        if _index(material, count) is None:
            log.error(
                "mesh.bad_material",
                f"{where} uses material {material!r} but the file has {count} materials; export it again",
            )


def _check_dracopy(log: ProblemLog) -> None:
    try:
        import DracoPy  # noqa: F401
    except ImportError:
        log.error(
            "draco.unavailable", "is Draco-compressed and DracoPy is not installed on the server; pip install DracoPy"
        )


def _check_images(
    document: dict[str, Any],
    buffers: list[bytes | None],
    views: list[int | None],
    files: ReferencedFiles,
    log: ProblemLog,
) -> None:
    """Every image a texture uses: its bytes exist and its header is within the texture limits."""
    images = _list(document, "images", log)
    used: dict[int, None] = {}
    for t, texture in enumerate(_list(document, "textures", log)):
        with log.malformed(f"textures[{t}]"):
            sources = [texture["source"]] if "source" in texture else []
            webp = (texture.get("extensions") or {}).get("EXT_texture_webp")
            if isinstance(webp, dict) and "source" in webp:
                sources.append(webp["source"])
            for source in sources:
                if _index(source, len(images)) is None:
                    log.error(
                        "texture.bad_image",
                        f"textures[{t}] uses image {source!r} but the file has {len(images)} images; export it again",
                    )
                else:
                    used[source] = None
    budget = TextureBudget(log)
    for i in used:
        with log.malformed(f"images[{i}]"):
            data = _image_bytes(document, images[i], i, buffers, views, files, log)
            if data is not None:
                budget.check(data, image_label(images[i], i))


def _image_bytes(
    document: dict[str, Any],
    entry: dict[str, Any],
    i: int,
    buffers: list[bytes | None],
    views: list[int | None],
    files: ReferencedFiles,
    log: ProblemLog,
) -> bytes | None:
    label = image_label(entry, i)
    if "bufferView" in entry:
        v = _index(entry["bufferView"], len(views))
        if v is None:
            log.error(
                "image.bad_buffer_view",
                f"texture {label} points to bufferView {entry['bufferView']!r}, which does not exist; export it again",
            )
            return None
        if views[v] is None:
            return None  # the view's or buffer's problem is reported
        view = document["bufferViews"][v]
        start = int(view.get("byteOffset", 0))
        return buffers[view["buffer"]][start : start + views[v]]
    if "uri" in entry:
        return files.read_uri(str(entry["uri"]), f"texture {label}", "image")
    log.error("image.no_data", f"texture {label} has neither a uri nor a bufferView; export it again")
    return None


def image_label(entry: Any, index: int) -> str:
    """How an image is named in messages: its file name, else its name and index."""
    if isinstance(entry, dict):
        uri = entry.get("uri")
        if isinstance(uri, str) and not uri.startswith("data:"):
            return f"{uri!r} (images[{index}])"
        if entry.get("name"):
            return f"{entry['name']!r} (images[{index}])"
    return f"images[{index}]"


def _check_material_textures(document: dict[str, Any], log: ProblemLog) -> None:
    textures = _list(document, "textures", log)
    for m, material in enumerate(_list(document, "materials", log)):
        with log.malformed(f"materials[{m}]"):
            slots = dict(material.get("pbrMetallicRoughness") or {})
            slots.update(material)
            slots.update(((material.get("extensions") or {}).get("KHR_materials_pbrSpecularGlossiness") or {}))
            for slot in _TEXTURE_SLOTS:
                reference = slots.get(slot)
                if isinstance(reference, dict) and _index(reference.get("index"), len(textures)) is None:
                    log.error(
                        "material.bad_texture",
                        f"material {material.get('name') or m!r} {slot} uses texture {reference.get('index')!r} "
                        f"but the file has {len(textures)} textures; export it again",
                    )
