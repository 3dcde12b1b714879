"""Safe extraction of a retailer's .zip (a model with its .bin / .mtl and textures).

Archives from outside are hostile until shown otherwise: a zip bomb (1 GB of zeros is 1 MB
zipped), entries named "../../x" or "/etc/x" that would land outside the target folder, symlinks
that point anywhere, or a header that lies about sizes. Every entry is checked from the central
directory first (all problems reported together); extraction then streams each entry in chunks,
counting the bytes it really produces, so no header can make it write or hold more than the limits.
"""

from __future__ import annotations

import lzma
import re
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO

from tryon.errors import ModelRejected
from tryon.products import gltf_file
from tryon.products.problems import ProblemLog

MODEL_SUFFIXES = (".glb", ".gltf", ".obj")
MAX_ARCHIVE_ENTRIES = 1000  # a model with its textures is a few dozen files
# Deflate shrinks glTF JSON and OBJ text 5-20x, buffers 2-3x and images not at all; a run of
# zeros shrinks ~1000x. Only entries over RATIO_CHECKED_FROM_BYTES are held to it: a tiny file
# of spaces may compress far better and harms no one.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM_BYTES = 1 << 20
_CHUNK = 1 << 20
_SUPPORTED_COMPRESSION = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_ZIP_HINT = "zip the model file and the files it uses (and nothing else) again"


def extract_archive(zip_path: Path, into: Path) -> Path:
    """Extract a .zip into the folder `into` and return the one .glb/.gltf/.obj inside it.

    Raises ModelRejected listing every problem (unsafe names, symlinks, encryption, a bomb, no or
    several models, a damaged archive); on a failure during extraction `into` may hold part of it.
    """
    log = ProblemLog(Path(zip_path).name)
    if not Path(zip_path).is_file():
        log.error("file.missing", "no such file; check the path of the .zip")
        raise ModelRejected(log.problems)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        log.error("archive.corrupt", f"is not a readable zip archive ({exc}); {_ZIP_HINT}")
        raise ModelRejected(log.problems) from exc
    with archive:
        entries = _checked_entries(archive, log)
        model = _the_model(entries, log)
        if log.has_errors or model is None:
            raise ModelRejected(log.problems)
        _extract(archive, entries, Path(into), log)
    return Path(into).joinpath(*model.parts)


def _safe_name(name: str) -> PurePosixPath | None:
    """The entry's path relative to the target folder, or None if it could leave it."""
    name = name.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    path = PurePosixPath(name)
    if any(part == ".." for part in path.parts) or not path.parts:
        return None
    return path


def _ignored(path: PurePosixPath) -> bool:
    """macOS Finder extras: resource forks and folder settings, never part of a model."""
    return path.parts[0] == "__MACOSX" or path.name == ".DS_Store" or path.name.startswith("._")


def _checked_entries(archive: zipfile.ZipFile, log: ProblemLog) -> dict[PurePosixPath, zipfile.ZipInfo]:
    """Safe file entries by relative path, from the central directory; problems logged."""
    infos = archive.infolist()
    if len(infos) > MAX_ARCHIVE_ENTRIES:
        log.error(
            "archive.too_many_entries", f"holds {len(infos)} entries, over the {MAX_ARCHIVE_ENTRIES} limit; {_ZIP_HINT}"
        )
        return {}
    entries: dict[PurePosixPath, zipfile.ZipInfo] = {}
    declared = 0
    for info in infos:
        path = _safe_name(info.filename)
        if path is None:
            log.error(
                "archive.unsafe_path",
                f"entry {info.filename!r} would be written outside the folder it is unpacked into "
                f"(absolute path or '..'); {_ZIP_HINT}",
            )
            continue
        if info.is_dir() or _ignored(path):
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            log.error("archive.symlink", f"entry {info.filename!r} is a symbolic link; zip the real file instead")
            continue
        if info.flag_bits & 0x1:
            log.error("archive.encrypted", f"entry {info.filename!r} is password-protected; zip it without a password")
            continue
        if info.compress_type not in _SUPPORTED_COMPRESSION:
            log.error(
                "archive.unsupported_compression",
                f"entry {info.filename!r} uses compression method {info.compress_type}; zip it with the "
                "standard Deflate method",
            )
            continue
        if _is_bomb(info.file_size, info.compress_size):
            log.error("archive.bomb", _bomb_message(info.filename, info.file_size, info.compress_size))
            continue
        declared += info.file_size
        entries[path] = info
    if declared > gltf_file.MAX_MODEL_BYTES:
        log.error("archive.too_large", _too_large_message(declared))
    folders = {parent for path in entries for parent in path.parents}
    for path in sorted(set(entries) & folders):
        log.error("archive.path_conflict", f"entry {str(path)!r} is both a file and a folder; {_ZIP_HINT}")
    return entries


def _is_bomb(size: int, compressed: int) -> bool:
    return size >= RATIO_CHECKED_FROM_BYTES and size > MAX_COMPRESSION_RATIO * max(compressed, 1)


def _bomb_message(name: str, size: int, compressed: int) -> str:
    return (
        f"entry {name!r} unpacks {compressed} bytes into {size} (over {MAX_COMPRESSION_RATIO}:1), which "
        f"no model file does: this looks like a zip bomb; {_ZIP_HINT}"
    )


def _too_large_message(size: int) -> str:
    return (
        f"unpacks to {size / 2**20:.0f} MB or more, over the {gltf_file.MAX_MODEL_BYTES // 2**20} MB limit "
        "for a model and its files; shrink its textures or geometry"
    )


def _the_model(entries: dict[PurePosixPath, zipfile.ZipInfo], log: ProblemLog) -> PurePosixPath | None:
    models = sorted(p for p in entries if p.suffix.lower() in MODEL_SUFFIXES)
    if not models and not log.has_errors:
        log.error("archive.no_model", f"holds no .glb, .gltf or .obj file; {_ZIP_HINT}")
    elif len(models) > 1:
        log.error(
            "archive.several_models",
            f"holds {len(models)} model files ({', '.join(str(m) for m in models)}); upload one product per zip",
        )
    return models[0] if len(models) == 1 else None


def _extract(
    archive: zipfile.ZipFile, entries: dict[PurePosixPath, zipfile.ZipInfo], into: Path, log: ProblemLog
) -> None:
    """Stream each entry to disk, stopping as soon as the bytes really produced break a limit."""
    into.mkdir(parents=True, exist_ok=True)
    root = into.resolve()
    total = 0
    for path, info in entries.items():
        target = into.joinpath(*path.parts)
        if not target.resolve().is_relative_to(root):  # e.g. through a folder that is a symlink
            log.error(
                "archive.unsafe_path", f"entry {info.filename!r} would be written outside the folder; {_ZIP_HINT}"
            )
            raise ModelRejected(log.problems)
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with _opened(archive, info, log) as source, open(target, "wb") as sink:
            while chunk := _read(source, info, log):
                written += len(chunk)
                total += len(chunk)
                if written > info.file_size:
                    log.error(
                        "archive.corrupt", f"entry {info.filename!r} unpacks to more than its header says; {_ZIP_HINT}"
                    )
                elif _is_bomb(written, info.compress_size):
                    log.error("archive.bomb", _bomb_message(info.filename, written, info.compress_size))
                elif total > gltf_file.MAX_MODEL_BYTES:
                    log.error("archive.too_large", _too_large_message(total))
                else:
                    sink.write(chunk)
                    continue
                raise ModelRejected(log.problems)


# What a damaged entry raises while it is read (bz2 reports bad data as OSError). Writing errors
# are not caught: a full disk is the server's problem, not the retailer's.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError, OSError, ValueError)


def _opened(archive: zipfile.ZipFile, info: zipfile.ZipInfo, log: ProblemLog) -> IO[bytes]:
    try:
        return archive.open(info)
    except _READ_ERRORS as exc:
        raise _damaged(info, exc, log) from exc


def _read(source: IO[bytes], info: zipfile.ZipInfo, log: ProblemLog) -> bytes:
    try:
        return source.read(_CHUNK)
    except _READ_ERRORS as exc:
        raise _damaged(info, exc, log) from exc


def _damaged(info: zipfile.ZipInfo, exc: Exception, log: ProblemLog) -> ModelRejected:
    log.error(
        "archive.corrupt", f"entry {info.filename!r} cannot be unpacked ({type(exc).__name__}: {exc}); {_ZIP_HINT}"
    )
    return ModelRejected(log.problems)
