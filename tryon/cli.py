"""`tryon` command line: photo and video try-on, the product catalog."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Optional

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ logging: warnings and up only
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import typer
from rich.console import Console
from rich.table import Table

from tryon.errors import TryonError

app = typer.Typer(
    help="Real-time AR virtual try-on: put glasses, sunglasses, hats and earrings on faces in "
    "photos and videos, at true size, with occlusion and scene lighting.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
# Errors are never hard-wrapped: a path split over two lines cannot be copied back.
err = Console(stderr=True, soft_wrap=True)

ProductOpt = typer.Option(..., "--product", "-p", help="Catalog id (see `tryon products`) or a path to a .glb/.gltf file.")
VariantOpt = typer.Option(None, "--variant", help="Colour/material variant name (KHR_materials_variants).")
CategoryOpt = typer.Option(None, "--category", help="For a model file: glasses, sunglasses, hat or earrings (default: glasses).")
FitOpt = typer.Option(False, "--fit-to-face", help="Scale the product to the wearer's face instead of its true size.")
FovOpt = typer.Option(60.0, "--fov", help="Camera field of view across the longer image side, degrees (when unknown, 60).")
HandsOpt = typer.Option(True, "--hands/--no-hands", help="Draw hands held in front of the face over the product.")


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _product(product: str, category: str | None, fit_to_face: bool):
    """Resolve a catalog id or model path; for a user's file, say how it was normalised."""
    from tryon.products.catalog import load_product_model, resolve_product

    p = resolve_product(product, category)
    if fit_to_face:
        p = dataclasses.replace(p, fit=dataclasses.replace(p.fit, fit_to_face=True))
    if Path(product).suffix.lower() in (".glb", ".gltf"):
        model = load_product_model(p)
        width, height, depth = model.size_mm
        err.print(f"model {product} as {p.fit.category}: {width:.0f} x {height:.0f} x {depth:.0f} mm, "
                  f"{model.triangle_count} triangles")
        for step in model.normalisation:
            err.print(f"  - {step}")
    return p


def _photo_camera(image: Path, frame, fov: float | None):
    """The photo's intrinsics: --fov when given, else its EXIF focal length, else the default."""
    from tryon.geometry.photo_camera import default_camera, photo_camera

    height, width = frame.shape[:2]
    if fov is not None:
        if not 1.0 < fov < 179.0:
            _fail(f"--fov {fov:g}: give the field of view in degrees, between 1 and 179 (a webcam is 55-78)")
        return default_camera(width, height, fov, source=f"--fov {fov:g} deg")
    return photo_camera(image.read_bytes(), width, height)


def _faces_table(faces) -> Table:
    table = Table("face", "yaw°", "pitch°", "roll°", "distance mm", "PD mm", "face width mm", "confidence", "note")
    for f in faces:
        yaw, pitch, roll = f.pose.euler_deg
        m = f.measurements
        table.add_row(str(f.face_id), f"{yaw:.1f}", f"{pitch:.1f}", f"{roll:.1f}", f"{m.distance_mm:.0f}",
                      f"{m.pd_mm:.1f}", f"{m.face_width_mm:.1f}", f"{m.confidence:.2f}", _face_note(f))
    return table


def _face_note(face) -> str:
    """Why a face was not dressed, or why what was drawn is uncertain (face plausibility)."""
    if face.skipped:
        return face.skipped
    if face.notes:
        return f"low confidence ({face.confidence:.2f}): " + "; ".join(face.notes)
    return ""


def _video_faces_table(seen: dict) -> Table:
    """Per face id over a whole video: frames seen (lost but still fading included), drawn,
    waiting to be trusted, fading; the mean confidence while seen; the most frequent note."""
    table = Table("face", "frames seen", "product shown", "acquiring", "fading", "mean confidence", "note")
    for face_id, row in sorted(seen.items()):
        notes = row["notes"]
        common = max(notes, key=notes.get) if notes else ""
        note = f"{common} ({notes[common]} frames)" if common else ""
        table.add_row(str(face_id), str(row["seen"]), str(row["shown"]), str(row["acquiring"]), str(row["fading"]),
                      f"{row['confidence'] / max(row['measured'], 1):.2f}", note)
    return table


def _count_video_faces(seen: dict, faces) -> None:
    from tryon.pipeline import FACE_LOST_NOTES

    for f in faces:
        row = seen.setdefault(f.face_id, {"seen": 0, "shown": 0, "acquiring": 0, "fading": 0, "confidence": 0.0,
                                          "measured": 0, "notes": {}})
        row["seen"] += 1
        row["shown"] += bool(f.placements) and f.opacity > 0
        row["acquiring"] += f.tracking == "acquiring"
        row["fading"] += f.tracking == "fading"
        if f.notes != FACE_LOST_NOTES:  # a lost face's confidence is 0 by definition
            row["confidence"] += f.confidence
            row["measured"] += 1
        for note in f.notes:
            row["notes"][note] = row["notes"].get(note, 0) + 1


@app.command()
def photo(
    image: Path = typer.Argument(..., help="Input photo (JPEG, PNG, WebP, BMP, TIFF)."),
    product: str = ProductOpt,
    variant: Optional[str] = VariantOpt,
    out_path: Optional[Path] = typer.Option(None, "--out", "-o", help="Output image (default: out/<name>_tryon.jpg)."),
    category: Optional[str] = CategoryOpt,
    fit_to_face: bool = FitOpt,
    max_faces: int = typer.Option(4, "--max-faces", help="Most faces to dress (1-4)."),
    fov: Optional[float] = typer.Option(None, "--fov", help="Camera field of view across the longer image side, "
                                        "degrees (default: from the photo's EXIF focal length, else 60)."),
    hands: bool = HandsOpt,
) -> None:
    """Try a product on every face in a photo and write the result."""
    from tryon.errors import NoFaceFound
    from tryon.frames import read_image_file, write_image_file
    from tryon.pipeline import TryOnPipeline

    frame = read_image_file(image)
    camera = _photo_camera(image, frame, fov)
    # an assumed camera is the pipeline's to refine (a tightly cropped face: near_face_prior)
    assumed = camera.source.startswith("default")
    target = out_path or Path("out") / f"{image.stem}_tryon.jpg"
    with TryOnPipeline(_product(product, category, fit_to_face), variant, mode="photo", max_faces=max_faces,
                       camera=None if assumed else camera.intrinsics, fov_deg=camera.fov_deg, hands=hands) as pipe:
        result = pipe.process(frame)
    if not result.faces:
        raise NoFaceFound(f"{image}: no face found; use a photo where the face is visible and lit, looking roughly at the camera")
    if result.camera is not None and result.camera_note:
        notes = "; ".join(n for n in (camera.note, result.camera_note) if n)
        camera = dataclasses.replace(camera, intrinsics=result.camera, note=notes)
    out.print(camera.describe())
    out.print(_faces_table(result.faces))
    if all(f.skipped for f in result.faces):
        _fail(result.faces[0].skipped or "no face could be dressed")
    write_image_file(result.image, target)
    out.print(f"wrote {target}")


@app.command()
def video(
    source: Path = typer.Argument(..., help="Input video (any format FFmpeg reads)."),
    product: str = ProductOpt,
    variant: Optional[str] = VariantOpt,
    out_path: Path = typer.Option(..., "--out", "-o", help="Output .mp4 file."),
    category: Optional[str] = CategoryOpt,
    fit_to_face: bool = FitOpt,
    max_faces: int = typer.Option(1, "--max-faces", help="Most faces to track (1-4)."),
    fov: float = FovOpt,
    hands: bool = HandsOpt,
) -> None:
    """Try a product on through a whole video (tracking and smoothing across frames)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from tryon.pipeline import TryOnPipeline
    from tryon.video import VideoReader, VideoWriter

    frames = dressed = 0
    seen: dict = {}
    with VideoReader(source) as reader, VideoWriter(out_path, reader.info.width, reader.info.height, reader.info.fps) as writer, \
            TryOnPipeline(_product(product, category, fit_to_face), variant, mode="video", max_faces=max_faces, fov_deg=fov,
                         hands=hands) as pipe, \
            Progress(TextColumn("try-on"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err) as progress:
        task = progress.add_task("frames", total=reader.info.frame_count or None)
        for t, frame in reader:
            result = pipe.process(frame, t)
            writer.write(result.image)
            frames += 1
            dressed += any(f.anchors_px and f.opacity > 0 for f in result.faces)
            _count_video_faces(seen, result.faces)
            progress.advance(task)
    out.print(f"camera: {fov:g} deg across the longer side (--fov; video files carry no focal length we read)")
    if seen:
        out.print(_video_faces_table(seen))
    out.print(f"wrote {out_path}: {frames} frames, product shown on {dressed}")


catalog_app = typer.Typer(help="The product catalog in the service's database: import retailers' 3D models, "
                          "list, show, update, retire.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
DatabaseOpt = typer.Option(None, "--database-url", help="Default: TRYON_DATABASE_URL, else the service's SQLite file.")


@catalog_app.command("import")
def catalog_import(
    path: Path = typer.Argument(..., exists=True, help="A .glb, .gltf (with its .bin and textures beside it), .obj "
                                "or .zip; a folder of them; or a CSV/JSON manifest (path,id,name,category,...)."),
    product_id: Optional[str] = typer.Option(None, "--id", help="Product id (default: from the name or file name)."),
    name: Optional[str] = typer.Option(None, "--name", help="Display name (default: from the file name)."),
    category: str = typer.Option("other", "--category", help="glasses, sunglasses, hat, earrings or other."),
    description: str = typer.Option("", "--description"),
    unit: Optional[str] = typer.Option(None, "--unit", help="The file's unit (m, cm, mm, inch) when detection "
                                       "guesses wrong."),
    max_triangles: int = typer.Option(60_000, "--max-triangles", help="Decimate the live try-on copy to this."),
    max_texture: int = typer.Option(2048, "--max-texture", help="Downscale textures larger than this (px)."),
    replace_model: bool = typer.Option(False, "--replace", help="Give the existing product --id this new model."),
    database_url: Optional[str] = DatabaseOpt,
) -> None:
    """Import 3D models as catalog products; every problem of a rejected file is listed, and a
    rejected file writes nothing."""
    from server.catalog.cli import run_import
    from server.catalog.importer import ImportRequest

    defaults = ImportRequest(product_id, name, category, description, unit, max_triangles, max_texture,
                             replace=replace_model)
    outcomes = run_import(path, defaults, database_url, out)
    for outcome in outcomes:
        for problem in outcome.problems:
            err.print(f"  {outcome.source}: [{problem.get('severity')}] {problem.get('code')}: {problem.get('message')}")
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)


@catalog_app.command("list")
def catalog_list(all_products: bool = typer.Option(False, "--all", help="Retired products too."),
                 database_url: Optional[str] = DatabaseOpt) -> None:
    """The products with their SKUs, prices, sizes and triangle counts."""
    from server.catalog.cli import run_list

    run_list(database_url, out, all_products)


@catalog_app.command("show")
def catalog_show(product_id: str = typer.Argument(...), database_url: Optional[str] = DatabaseOpt) -> None:
    """One product as JSON, with its import report and suggested fit."""
    from server.catalog.cli import run_show

    run_show(product_id, database_url, out)


@catalog_app.command("update")
def catalog_update(
    product_id: str = typer.Argument(...),
    name: Optional[str] = typer.Option(None, "--name"),
    description: Optional[str] = typer.Option(None, "--description"),
    category: Optional[str] = typer.Option(None, "--category"),
    active: Optional[bool] = typer.Option(None, "--active/--retired"),
    width_mm: Optional[float] = typer.Option(None, "--width-mm", help="The product's true width (glasses: frame front)."),
    confirm_fit: bool = typer.Option(False, "--confirm-fit", help="Mark the suggested fit as checked."),
    price: list[str] = typer.Option([], "--price", help="VARIANT=AMOUNT, e.g. black=129.90 (repeatable)."),
    database_url: Optional[str] = DatabaseOpt,
) -> None:
    """Change a product's names, category, fit or prices."""
    from server.catalog.cli import run_update

    values = {k: v for k, v in {"name": name, "description": description, "category": category,
                                "active": active}.items() if v is not None}
    fit: dict = {}
    if width_mm is not None:
        fit["real_width_mm"] = width_mm
    if confirm_fit:
        fit["confirmed"] = True
    prices = {}
    for item in price:
        variant, sep, amount = item.partition("=")
        if not sep:
            _fail(f"--price {item!r}: write VARIANT=AMOUNT, e.g. black=129.90")
        prices[variant] = amount
    run_update(product_id, values, fit, prices, database_url, out)


@catalog_app.command("delete")
def catalog_delete(product_id: str = typer.Argument(...), database_url: Optional[str] = DatabaseOpt) -> None:
    """Retire a product: off the catalog, its SKUs kept for old reservations and the ledger."""
    from server.catalog.cli import run_retire

    run_retire(product_id, database_url, out)


@app.command()
def products() -> None:
    """List the bundled product catalog."""
    from tryon.products.catalog import list_products

    table = Table("id", "name", "category", "width mm", "variants")
    for p in list_products():
        width = f"{p.fit.real_width_mm:.0f}" if p.fit.real_width_mm else ""
        table.add_row(p.id, p.name, p.fit.category, width, ", ".join(p.variants))
    out.print(table)


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, "--host", help="Interface to listen on (default 127.0.0.1; TRYON_HOST)."),
    port: Optional[int] = typer.Option(None, "--port", help="TCP port (default 8000, 0 = any free port; TRYON_PORT)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Server processes, e.g. one per 2 cores (TRYON_WORKERS)."),
) -> None:
    """Run the live try-on service: the shopper page, the catalog API and the WebSocket stream."""
    from server.serve import serve as run_server

    run_server(host, port, workers)


@app.command("stock-import")
def stock_import(
    csv_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV with store_id,sku,on_hand "
                                    "[,expected_version][,reference]."),
    database_url: Optional[str] = typer.Option(None, "--database-url", help="Default: TRYON_DATABASE_URL, else the "
                                               "service's SQLite file."),
    actor: str = typer.Option("stock-import", "--actor", help="Who the ledger says made the changes."),
    strict: bool = typer.Option(False, "--strict", help="Exit with status 1 if any row was rejected."),
) -> None:
    """Set many stores' stock from a CSV file: every change goes through the ledger; bad rows are
    listed and skipped, never stopping the good ones."""
    from server.stock_import_cli import run_stock_import

    try:
        report = run_stock_import(csv_path, database_url, actor, out)
    except TryonError as exc:
        _fail(str(exc))
        return
    if strict and report.rejected_count:
        raise typer.Exit(1)


@app.command()
def client(
    source: Path = typer.Argument(..., help="Video file to stream (any format FFmpeg reads)."),
    url: str = typer.Option("ws://127.0.0.1:8000/ws/tryon", "--url", help="The service's WebSocket address."),
    product: Optional[str] = typer.Option(None, "--product", "-p", help="Catalog id on the server (see /api/products)."),
    variant: Optional[str] = VariantOpt,
    out_path: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the returned frames to this .mp4."),
    mode: str = typer.Option("composite", "--mode", help="composite (frames come back drawn) or pose (data only)."),
    width: int = typer.Option(640, "--width", help="Frames are scaled to this width before sending."),
    quality: int = typer.Option(85, "--quality", help="JPEG quality of the frames sent."),
    fov: float = FovOpt,
) -> None:
    """Stream a video to a running service at its frame rate; write what comes back and print latency."""
    from server.stream.video_client import run_video_client

    report = run_video_client(source, url, product, variant, out_path, mode, width, quality, fov, console=err)
    rtt = report.rtt_percentiles()
    table = Table("frames sent", "results", "fps", "RTT p50 ms", "RTT p95 ms", "RTT p99 ms", "dropped by server", "errors")
    table.add_row(str(report.sent), str(report.results), f"{report.fps:.1f}", f"{rtt['p50']:.1f}", f"{rtt['p95']:.1f}",
                  f"{rtt['p99']:.1f}", str(report.superseded + report.rate_limited), str(len(report.errors)))
    out.print(table)
    out.print(f"session {report.session_id}" + (f"; wrote {out_path}" if out_path else ""))
    if report.errors:
        first = report.errors[0]
        err.print(f"first error from the server: {first.get('code')}: {first.get('message')}")


def main() -> None:
    try:
        app()
    except TryonError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug, not bad input: still one clear line, and a way to report it
        err.print(f"[bold red]unexpected error[/] ({type(exc).__name__}): {exc}. Please report it with the input that caused it.")
        sys.exit(1)


if __name__ == "__main__":
    main()
