"""Build the demo product catalog: one GLB per product plus catalog.json.

    .venv/bin/python assets/build_demo_catalog.py [--out DIR]

Deterministic: the same code writes byte-identical files (values are rounded before the
float32 cast and PNGs are stored, not deflated, so machine-level float and zlib differences do
not show), and tests compare the committed assets/products/ with a fresh build. Geometry and
materials live in assets/demo_catalog/; this script only builds, measures and writes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

# demo_catalog sits beside this script, which is run as a file, not installed as a package.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_catalog.glb import glb_bytes, quantised_positions_m  # noqa: E402
from demo_catalog.products import ProductSpec, demo_products  # noqa: E402
from demo_catalog.surfaces import Part  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "products"


def catalog_entry(product: ProductSpec, parts: list[Part], file_name: str) -> dict:
    """The catalog.json record; the width is measured from the positions as written."""
    points = np.concatenate([quantised_positions_m(p) for p in parts]).astype(np.float64)
    width_mm = float(points[:, 0].max() - points[:, 0].min()) * 1000
    variants = [v.name for v in product.look.variants]
    return {
        "id": product.id,
        "name": product.name,
        "category": product.category,
        "file": file_name,
        "real_width_mm": round(width_mm, 1),
        "variants": variants,
        "default_variant": variants[0],
        "description": product.description,
    }


def build(out_dir: Path, console: Console) -> list[dict]:
    """Write every product's GLB and catalog.json into out_dir; return the catalog."""
    out_dir.mkdir(parents=True, exist_ok=True)
    products = demo_products()
    catalog, rows = [], []
    columns = (TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("building", total=len(products))
        for product in products:
            progress.update(task, description=f"building {product.id}")
            parts = product.build()
            data = glb_bytes(product.id, parts, product.look)
            file_name = f"{product.id}.glb"
            (out_dir / file_name).write_bytes(data)
            entry = catalog_entry(product, parts, file_name)
            catalog.append(entry)
            triangles = sum(len(p.indices) for p in parts)
            rows.append(
                (product.id, f"{entry['real_width_mm']:.1f}", str(triangles), f"{len(data) / 1024:.0f}")
            )
            progress.advance(task)
        progress.update(task, description="done")
    (out_dir / "catalog.json").write_text(json.dumps(catalog, indent=2) + "\n", encoding="utf-8")

    table = Table("product", "width mm", "triangles", "KiB", title=f"demo catalog -> {out_dir}")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    return catalog


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})"
    )
    args = parser.parse_args(argv)
    build(args.out, Console(stderr=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
