"""Where ended sessions' summaries are kept: one JSON line each in a file shared by every worker
process (appends are serialised with an advisory lock). The commerce database replaces this
store when sessions are linked to stock and reservations."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any


class SessionSummaryStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, summary: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(summary, separators=(",", ":")) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
        finally:
            os.close(fd)  # closing releases the lock

    def get(self, session_id: str) -> dict[str, Any] | None:
        """The newest summary with this id, or None."""
        if not self.path.is_file():
            return None
        found = None
        needle = f'"session_id":"{session_id}"'
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                if needle in line:
                    try:
                        found = json.loads(line)
                    except ValueError:
                        continue  # a line cut by a crash mid-write: skip it
        return found
