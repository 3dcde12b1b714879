"""What a bulk import covers: every model file of a folder, or the rows of a CSV/JSON manifest
(path relative to the manifest, plus id, name, category, description per product). Pure parsing."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from pathlib import Path

from server.catalog.importer import ImportRequest, slug
from server.commerce.errors import InvalidRequest

MODEL_SUFFIXES = (".glb", ".gltf", ".obj", ".zip")
MANIFEST_SUFFIXES = (".csv", ".json")
MANIFEST_FIELDS = ("path", "id", "name", "category", "description", "unit")


@dataclass(frozen=True)
class ImportItem:
    path: Path
    request: ImportRequest
    line: int | None = None  # manifest line or index, for the report


def folder_items(folder: Path, defaults: ImportRequest) -> list[ImportItem]:
    """Model files in the folder and one level below (a .gltf with its .bin in a subfolder)."""
    items = [ImportItem(p, replace(defaults, product_id=None, name=None)) for p in sorted(folder.iterdir())
             if p.is_file() and p.suffix.lower() in MODEL_SUFFIXES]
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        inner = sorted(p for p in sub.iterdir() if p.is_file() and p.suffix.lower() in MODEL_SUFFIXES)
        if len(inner) == 1:  # named after its folder: exporters call every file scene.gltf
            items.append(ImportItem(inner[0], replace(defaults, product_id=slug(sub.name), name=sub.name)))
    return items


def manifest_items(manifest: Path, defaults: ImportRequest) -> list[ImportItem]:
    text = manifest.read_text(encoding="utf-8-sig")
    if manifest.suffix.lower() == ".json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidRequest(f"{manifest}: not valid JSON ({exc})") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InvalidRequest(f"{manifest}: must be a JSON list of objects with {', '.join(MANIFEST_FIELDS)}")
        numbered = [(i + 1, r) for i, r in enumerate(rows)]
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "path" not in reader.fieldnames:
            raise InvalidRequest(f"{manifest}: the CSV needs a header with a path column "
                                 f"(and any of {', '.join(MANIFEST_FIELDS[1:])})")
        numbered = [(i + 2, r) for i, r in enumerate(reader)]
    items = []
    for line, row in numbered:
        path = str(row.get("path") or "").strip()
        request = ImportRequest(
            product_id=(row.get("id") or None) or None, name=(row.get("name") or None),
            category=str(row.get("category") or defaults.category), description=str(row.get("description") or ""),
            source_unit=(row.get("unit") or defaults.source_unit) or None, max_triangles=defaults.max_triangles,
            max_texture_side=defaults.max_texture_side, replace=defaults.replace)
        items.append(ImportItem(manifest.parent / path if path else manifest.parent / f"<line {line}: no path>",
                                request, line))
    return items
