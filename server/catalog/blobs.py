"""File bytes kept in the database by their SHA-256 (uploads, prepared models), and a per-process
disk copy of the ones the renderer reads: the database is the one source every process and
machine shares; the disk copy only saves reading it again."""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.commerce.errors import NotFound
from server.db.database import Database
from server.db.tables import BLOBS
from server.db.upsert import insert_ignore


class BlobMissing(NotFound):
    """A model upload's bytes are not in the database (deleted by hand?)."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def put_blob(conn: AsyncConnection, data: bytes, media_type: str, now: datetime) -> str:
    """Store the bytes once (the same file uploaded twice is one row); their SHA-256."""
    digest = sha256_of(data)
    await conn.execute(insert_ignore(conn, BLOBS), {"sha256": digest, "data": data, "size": len(data),
                                                    "media_type": media_type, "created_at": now})
    return digest


async def read_blob(conn: AsyncConnection, digest: str) -> bytes:
    data = (await conn.execute(select(BLOBS.c.data).where(BLOBS.c.sha256 == digest))).scalar_one_or_none()
    if data is None:
        raise BlobMissing(f"file {digest[:12]}... is missing from the database; import the model again")
    return bytes(data)


class BlobFiles:
    """Blobs copied to a local folder as <sha256><suffix>, written atomically (a reader never sees
    half a file, two processes writing the same one both end with the right bytes)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, digest: str, suffix: str) -> Path:
        return self.folder / f"{digest}{suffix}"

    async def materialise(self, db: Database, digest: str, suffix: str) -> Path:
        target = self.path(digest, suffix)
        if target.is_file():
            return target
        async with db.read() as conn:
            data = await read_blob(conn, digest)
        if sha256_of(data) != digest:
            raise BlobMissing(f"file {digest[:12]}... in the database does not match its checksum")
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target
