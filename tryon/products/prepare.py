"""A retailer's model file -> the catalog's prepared copy: checked, normalised, within budget.

The steps, each reported: pre-flight (every problem in the file at once, see preflight_gltf.py /
preflight_obj.py; a .zip is unpacked safely first, see archive.py), decode (trimesh, Draco
included), normalise (mm, +Y up, +Z front, origin at the fit anchor: normalise.py), downscale
textures and decimate to the live try-on budget, suggest the fit (fit_suggestion.py), then
write one GLB with every KHR_materials_variants look and read it back, so what is stored is
known to load with the same looks and size. Errors reject the file (ModelRejected, with every
problem); warnings go into the report.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tryon.errors import ModelRejected, UnsupportedModel
from tryon.products.archive import extract_archive
from tryon.products.decimate import decimate_to_budget
from tryon.products.downscale_textures import downscale_textures
from tryon.products.export_glb import product_model_glb_with_variants
from tryon.products.fit_suggestion import FitSuggestion, suggest_fit
from tryon.products.load import read_model
from tryon.products.load_obj import read_obj_model
from tryon.products.model import ProductModel
from tryon.products.normalise import CATEGORIES, UNITS, normalise_model
from tryon.products.preflight_gltf import preflight_gltf
from tryon.products.preflight_obj import preflight_obj
from tryon.products.problems import Problem, ProblemLog

__all__ = ["ImportOptions", "PreparedModel", "Problem", "extract_archive", "prepare_model"]

FORMATS = {".glb": "glb", ".gltf": "gltf", ".obj": "obj", ".zip": "zip"}
ROUND_TRIP_TOLERANCE_MM = 0.05  # float32 metres in the GLB, read back


@dataclass(frozen=True)
class ImportOptions:
    """category picks orientation, size range and anchor; source_unit skips unit detection;
    max_triangles / max_texture_side: the live try-on budget (None: keep as is)."""

    category: str = "other"
    source_unit: str | None = None
    max_triangles: int | None = 60_000
    max_texture_side: int | None = 2048


@dataclass(frozen=True)
class PreparedModel:
    """The prepared copy and what was done. glb: every variant as KHR_materials_variants, in the
    product frame (metres in the file, mm once loaded); problems: the warnings (errors reject)."""

    source_format: str  # glb, gltf or obj (the model inside a zip)
    problems: tuple[Problem, ...]
    steps: tuple[str, ...]
    variants: tuple[str, ...]
    size_mm: tuple[float, float, float]
    original_triangles: int
    prepared_triangles: int
    glb: bytes
    fit: FitSuggestion
    model: ProductModel


def prepare_model(path: str | Path, options: ImportOptions = ImportOptions()) -> PreparedModel:
    """Check and prepare a .glb, .gltf (with its files), .obj (with .mtl and textures) or a .zip
    holding one of them. Raises ModelRejected listing every problem; ValueError for bad options."""
    _check_options(options)
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        log = ProblemLog(path.name)
        log.error("file.unsupported_format", f"{path.suffix or 'a file without a suffix'} is not a model format we "
                  "read; upload a .glb, a .gltf with its files, an .obj with its .mtl and textures, or a .zip of them")
        raise ModelRejected(log.problems)
    if fmt == "zip":
        with tempfile.TemporaryDirectory(prefix="tryon-import-") as folder:
            inner = extract_archive(path, Path(folder))
            return _prepare_file(inner, FORMATS[inner.suffix.lower()], options)
    return _prepare_file(path, fmt, options)


def _check_options(options: ImportOptions) -> None:
    if options.category not in CATEGORIES:
        raise ValueError(f"unknown category {options.category!r}; use one of {', '.join(CATEGORIES)}")
    if options.source_unit is not None and options.source_unit not in UNITS:
        raise ValueError(f"unknown unit {options.source_unit!r}; use one of {', '.join(UNITS)}")
    if options.max_triangles is not None and options.max_triangles < 100:
        raise ValueError("max_triangles must be at least 100 (or None to keep every triangle)")
    if options.max_texture_side is not None and options.max_texture_side < 16:
        raise ValueError("max_texture_side must be at least 16 px (or None to keep textures as they are)")


def _prepare_file(path: Path, fmt: str, options: ImportOptions) -> PreparedModel:
    log = ProblemLog(path.name)
    raw = _decoded(path, fmt, log)
    steps: list[str] = [f"read {fmt}: {raw.triangle_count} triangles, {len(raw.primitives)} primitives"
                        + (f", variants {', '.join(raw.variant_materials)}" if raw.variant_materials else "")]
    try:
        model = normalise_model(raw, options.category, options.source_unit)
    except UnsupportedModel as exc:
        log.error("geometry.unsizable", f"{exc}")
        raise ModelRejected(log.problems) from exc
    steps.extend(model.normalisation)
    _warn_about_normalisation(model, options, log)
    if options.max_texture_side is not None:
        shrunk = downscale_textures(model, options.max_texture_side)
        model = shrunk.model
        for (h, w), (nh, nw) in shrunk.resized:
            steps.append(f"texture {w}x{h} px downscaled to {nw}x{nh} (budget {options.max_texture_side} px)")
    if options.max_triangles is not None and model.triangle_count > options.max_triangles:
        cut = decimate_to_budget(model, options.max_triangles)
        model = cut.model
        steps.append(f"decimated {cut.before} -> {cut.after} triangles for the {options.max_triangles} budget "
                     f"(largest deviation {cut.deviation_mm:.2f} mm)")
        if cut.after > options.max_triangles:
            log.warning("budget.triangles", f"{cut.after} triangles after decimation, over the "
                        f"{options.max_triangles} budget (parts that could not be reduced: "
                        f"{', '.join(cut.failed) or 'borders kept'}); live try-on may be slower on phones")
    fit = suggest_fit(model, options.category)
    glb = product_model_glb_with_variants(model)
    _check_round_trip(glb, model, log)
    size = tuple(round(float(v), 2) for v in model.size_mm)
    return PreparedModel(
        source_format=fmt, problems=tuple(log.problems), steps=tuple(steps), variants=tuple(model.variant_materials),
        size_mm=(size[0], size[1], size[2]), original_triangles=raw.triangle_count,
        prepared_triangles=model.triangle_count, glb=glb, fit=fit, model=model)


def _decoded(path: Path, fmt: str, log: ProblemLog) -> ProductModel:
    """The file's triangles as authored, after a pre-flight that lists every problem."""
    checked = preflight_obj(path) if fmt == "obj" else preflight_gltf(path)
    log.extend(checked.problems)
    if checked.has_errors:
        raise ModelRejected(log.problems)
    try:
        return read_obj_model(path, checked) if fmt == "obj" else read_model(path)  # type: ignore[arg-type]
    except UnsupportedModel as exc:  # what the pre-flight could not see (e.g. a damaged Draco stream)
        log.error("model.undecodable", str(exc))
        raise ModelRejected(log.problems) from exc


def _warn_about_normalisation(model: ProductModel, options: ImportOptions, log: ProblemLog) -> None:
    for step in model.normalisation:
        if step.startswith("unknown units"):
            log.warning("units.guessed", f"{step}; if the size is wrong, import again with the file's unit "
                        f"(--unit, one of {', '.join(UNITS)})")
        elif "inconclusive" in step:
            log.warning("orientation.kept", f"{step}; check the renders and re-export the model +Y up, "
                        "front toward +Z if it looks turned")


def _check_round_trip(glb: bytes, model: ProductModel, log: ProblemLog) -> None:
    """The prepared GLB read back has the same looks, triangles and size (else a bug of ours)."""
    with tempfile.TemporaryDirectory(prefix="tryon-prepared-") as folder:
        file = Path(folder) / "prepared.glb"
        file.write_bytes(glb)
        again = read_model(file)
    size_back = again.size_mm * 1000.0  # the GLB is in metres
    same = (tuple(again.variant_materials) == tuple(model.variant_materials)
            and again.triangle_count == model.triangle_count
            and bool(np.all(np.abs(size_back - model.size_mm) <= ROUND_TRIP_TOLERANCE_MM + 1e-4 * model.size_mm)))
    if not same:
        log.error("prepare.round_trip", "the prepared copy did not read back with the same variants, triangles "
                  "and size; this is a bug in tryon, please report it with the file")
        raise ModelRejected(log.problems)
