"""Files a model refers to (a glTF's .bin and textures, an OBJ's .mtl and images), read for checking.

Only files inside the model's own folder are read: a reference like "../../etc/passwd" in an
uploaded file would otherwise copy server files into the prepared model. Every byte read counts
against MAX_MODEL_BYTES, checked from the file size before the file is opened.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from tryon.products import gltf_file
from tryon.products.problems import ProblemLog

_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


@dataclass
class ReferencedFiles:
    """Reads references relative to `folder` for one model, logging what cannot be read.

    spent: bytes counted so far (start it at the model file's own size).
    """

    folder: Path
    log: ProblemLog
    spent: int = 0
    over_budget: bool = False

    def read_uri(self, uri: str, what: str, kind: str) -> bytes | None:
        """Bytes of a glTF uri (data: URI or percent-encoded relative path); None if unreadable.

        kind ("buffer", "image") prefixes the problem code for a missing file, e.g. "buffer.missing".
        """
        if uri.startswith("data:"):
            head, _, payload = uri.partition(",")
            if not head.endswith(";base64"):
                self.log.error("uri.bad_data", f"{what} is a data: URI that is not base64; embed it as base64")
                return None
            try:
                data = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError) as exc:
                self.log.error("uri.bad_data", f"{what} has corrupt base64 data ({exc}); export the model again")
                return None
            return data if self._spend(len(data)) else None
        if _URI_SCHEME.match(uri):
            self.log.error(
                "uri.remote",
                f"{what} points to {uri!r}; only files beside the model are read: put the file next to the "
                "model (or upload a .zip with it) or export a self-contained .glb",
            )
            return None
        return self.read_path(unquote(uri), what, kind)

    def read_path(self, relative: str, what: str, kind: str) -> bytes | None:
        """Bytes of a file named relative to the model's folder; None (problem logged) if unreadable."""
        path = Path(relative.replace("\\", "/"))
        if path.is_absolute() or re.match(r"^[A-Za-z]:", relative):
            self.log.error(
                "uri.absolute", f"{what} uses the absolute path {relative!r}; use a path relative to the model"
            )
            return None
        target = self.folder / path
        try:
            inside = target.resolve().is_relative_to(self.folder.resolve())
        except (OSError, RuntimeError):  # a symlink loop
            inside = False
        if not inside:
            self.log.error(
                "uri.outside_folder",
                f"{what} refers to {relative!r}, outside the model's folder; keep every file the model "
                "uses in its folder (or in the .zip) and refer to it by a relative path",
            )
            return None
        if not target.is_file():
            self.log.error(
                f"{kind}.missing",
                f"{what} refers to missing file {relative!r}; add it next to the model (upload a .zip "
                "holding the model and all its files) or export a self-contained .glb",
            )
            return None
        if not self._spend(target.stat().st_size):
            return None
        return target.read_bytes()

    def _spend(self, n: int) -> bool:
        self.spent += n
        if self.spent <= gltf_file.MAX_MODEL_BYTES:
            return True
        if not self.over_budget:
            self.over_budget = True
            self.log.error(
                "model.too_large",
                f"the model and the files it references exceed {gltf_file.MAX_MODEL_BYTES // 2**20} MB; "
                "shrink its textures or geometry (e.g. gltf-transform resize / simplify)",
            )
        return False
