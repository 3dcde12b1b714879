"""The admin key: TRYON_ADMIN_KEY, or else one generated once into DATA_DIR/admin.key (mode 0600)
and shared by every worker process, so the zero-set-up demo still has working admin calls."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from server.settings import Settings


def resolve_admin_key(settings: Settings) -> tuple[str, Path | None]:
    """(key, the file it came from or None when it came from the environment)."""
    if settings.admin_key:
        return settings.admin_key, None
    path = settings.admin_key_file
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if len(key) >= 16:
            return key, path
        raise RuntimeError(f"{path} holds no usable admin key; delete it to have a new one made") from None
    with os.fdopen(fd, "w") as f:
        f.write("tak_" + secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip(), path
