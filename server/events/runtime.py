"""One process's event machinery (placeholder until the dispatcher lands)."""

from __future__ import annotations

from server.db.database import Database
from server.settings import Settings


class EventRuntime:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def notify(self) -> None:
        """A transaction that wrote outbox events committed: dispatch soon."""
