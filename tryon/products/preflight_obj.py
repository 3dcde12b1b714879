"""Pre-flight of a Wavefront OBJ with its .mtl files and textures: every problem found, before decoding.

Checks: the file is text with faces, its face indices name existing vertices, the triangle count
(polygons fan into n - 2 triangles) is within MAX_TRIANGLES, each mtllib and map_Kd file exists
beside the model and every texture header is within the texture limits. The .mtl text and the
texture bytes read here are handed on to the loader, so nothing is read twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tryon.products import gltf_file
from tryon.products.image_header import TextureBudget
from tryon.products.obj_materials import MtlSpec, parse_mtl
from tryon.products.preflight_container import describe_foreign, read_model_bytes
from tryon.products.problems import Problem, ProblemLog
from tryon.products.referenced_files import ReferencedFiles

_EXPORT_OBJ = "export it again as OBJ with its .mtl and textures, or as glTF 2.0 (.glb)"


@dataclass
class ObjScan:
    """What one pass over the OBJ text found (no files read)."""

    vertices: int = 0
    triangles: int = 0
    material_libraries: list[str] = field(default_factory=list)
    material_names: list[str] = field(default_factory=list)  # usemtl names, first use order
    bad_index_line: int | None = None
    bad_face_line: int | None = None


@dataclass(frozen=True)
class ObjPreflight:
    problems: tuple[Problem, ...]
    text: str = ""
    triangles: int = 0
    material_names: tuple[str, ...] = ()
    materials: dict[str, MtlSpec] = field(default_factory=dict)
    textures: dict[str, bytes] = field(default_factory=dict)  # map_Kd file name -> bytes (header checked)
    library_names: tuple[str, ...] = ()

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def scan_obj(text: str) -> ObjScan:
    """Count vertices and triangles, collect mtllib / usemtl names, find the first bad face."""
    scan = ObjScan()
    highest, highest_line = 0, 0
    for number, raw in enumerate(text.splitlines(), 1):
        parts = raw.split(maxsplit=1)
        if not parts:
            continue
        head = parts[0]
        if head == "v":
            scan.vertices += 1
        elif head == "f":
            corners = parts[1].split() if len(parts) > 1 else []
            if len(corners) < 3:
                scan.bad_face_line = scan.bad_face_line or number
                continue
            scan.triangles += len(corners) - 2
            top = _highest_index(corners, scan.vertices)
            if top is None:
                scan.bad_index_line = scan.bad_index_line or number
            elif top > highest:
                highest, highest_line = top, number
        elif head == "mtllib" and len(parts) > 1:
            scan.material_libraries.append(parts[1].strip())
        elif head == "usemtl" and len(parts) > 1 and parts[1].strip() not in scan.material_names:
            scan.material_names.append(parts[1].strip())
    if highest > scan.vertices:  # readers accept vertices listed after the faces using them
        scan.bad_index_line = min(scan.bad_index_line or highest_line, highest_line)
    return scan


def _highest_index(corners: list[str], vertices_so_far: int) -> int | None:
    """The highest 1-based vertex index of a face; None for a zero, a non-number or a negative
    (relative) index reaching before the first vertex."""
    highest = 0
    for corner in corners:
        try:
            index = int(corner.split("/", 1)[0])
        except ValueError:
            return None
        if index == 0 or -index > vertices_so_far:
            return None
        highest = max(highest, index)
    return highest


def preflight_obj(path: Path) -> ObjPreflight:
    """Check an .obj and the files it references; never raises for a bad file."""
    log = ProblemLog(path.name)
    data = read_model_bytes(path, log)
    if data is None:
        return ObjPreflight(tuple(log.problems))
    if b"\0" in data[:4096]:
        log.error("file.not_obj", f"not a Wavefront OBJ text file: {describe_foreign(data)}; {_EXPORT_OBJ}")
        return ObjPreflight(tuple(log.problems))
    text = _decode(data)
    scan = scan_obj(text)
    _check_faces(scan, log)
    files = ReferencedFiles(path.parent, log, spent=len(data))
    materials, libraries = _read_libraries(path.parent, scan, files, log)
    textures = _read_textures(materials, scan, files, log)
    return ObjPreflight(
        tuple(log.problems), text, scan.triangles, tuple(scan.material_names), materials, textures, libraries
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # older exporters write file names in a Windows code page


def _check_faces(scan: ObjScan, log: ProblemLog) -> None:
    if scan.bad_face_line is not None:
        log.error("geometry.bad_face", f"line {scan.bad_face_line}: a face with fewer than 3 corners; {_EXPORT_OBJ}")
    if scan.bad_index_line is not None:
        log.error(
            "geometry.bad_index",
            f"line {scan.bad_index_line}: a face uses a vertex index that does not exist (the file has "
            f"{scan.vertices} vertices); the file is cut short or damaged, {_EXPORT_OBJ}",
        )
    if scan.triangles == 0:
        log.error("geometry.empty", f"has no faces, so there is nothing to draw; {_EXPORT_OBJ}")
    elif scan.triangles > gltf_file.MAX_TRIANGLES:
        log.error(
            "geometry.too_many_triangles",
            f"has {scan.triangles} triangles, over the {gltf_file.MAX_TRIANGLES} limit; simplify it (e.g. "
            "Blender's Decimate modifier) to well under 100k for try-on",
        )


def _read_libraries(
    folder: Path, scan: ObjScan, files: ReferencedFiles, log: ProblemLog
) -> tuple[dict[str, MtlSpec], tuple[str, ...]]:
    materials: dict[str, MtlSpec] = {}
    names: list[str] = []
    unread = 0
    for statement in scan.material_libraries:
        # "mtllib a.mtl b.mtl" lists several; a single name may also contain spaces.
        candidates = [statement] if (folder / statement).is_file() else statement.split()
        for name in candidates:
            data = files.read_path(name, f"material library {name!r}", "material_library")
            if data is None:
                unread += 1
                continue
            names.append(name)
            try:
                materials.update(parse_mtl(_decode(data)))
            except (ValueError, IndexError) as exc:
                log.error(
                    "material_library.malformed", f"material library {name!r} is malformed ({exc}); {_EXPORT_OBJ}"
                )
    undefined = [n for n in scan.material_names if n not in materials]
    if undefined and not scan.material_libraries:
        log.warning("material_library.none", "names materials but no mtllib; the product is drawn plain grey")
    elif undefined and not unread:  # a library that could not be read is reported already
        log.warning(
            "material.undefined",
            f"material(s) {', '.join(map(repr, undefined))} are used but not defined in {', '.join(names)}; "
            "they are drawn plain grey",
        )
    return materials, tuple(names)


def _read_textures(
    materials: dict[str, MtlSpec], scan: ObjScan, files: ReferencedFiles, log: ProblemLog
) -> dict[str, bytes]:
    textures: dict[str, bytes] = {}
    budget = TextureBudget(log)
    used = [materials[n] for n in scan.material_names if n in materials]
    for spec in used:
        if spec.ignored_maps:
            log.warning(
                "material.maps_ignored",
                f"material {spec.name!r} has {', '.join(spec.ignored_maps)}, which tryon does not read from "
                "OBJ (only map_Kd); export as glTF 2.0 (.glb) to keep them",
            )
        name = spec.map_kd
        if name is None or name in textures:
            continue
        data = files.read_path(name, f"material {spec.name!r} map_Kd", "image")
        if data is not None and budget.check(data, repr(name)) is not None:
            textures[name] = data
    return textures
