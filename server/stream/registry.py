"""This process's live sessions, capped at max_sessions (each holds a MediaPipe graph)."""

from __future__ import annotations

from server.stream.session import StreamSession


class ServerFull(Exception):
    """max_sessions sessions are live in this process."""


class SessionRegistry:
    def __init__(self, max_sessions: int) -> None:
        self.max_sessions = max_sessions
        self._live: dict[str, StreamSession] = {}

    def add(self, session: StreamSession) -> None:
        if len(self._live) >= self.max_sessions:
            raise ServerFull(f"this server process already has {self.max_sessions} live try-on sessions; "
                             "try again in a moment")
        self._live[session.session_id] = session

    def remove(self, session: StreamSession) -> None:
        self._live.pop(session.session_id, None)

    def __len__(self) -> int:
        return len(self._live)
