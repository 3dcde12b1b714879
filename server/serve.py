"""Run the service with uvicorn (what `tryon serve` and `./run.sh` call)."""

from __future__ import annotations

import os
import socket

import uvicorn
from pydantic import ValidationError

from server.settings import Settings
from tryon.errors import TryonError

WS_OVERHEAD_BYTES = 1024  # slack above the frame limit so our own check, with its clear reason, applies


class InvalidSettings(TryonError):
    """A TRYON_* environment variable has a value the service cannot use."""


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def serve(host: str | None = None, port: int | None = None, workers: int | None = None) -> None:
    """Start uvicorn with `workers` processes; arguments override TRYON_* settings, and are
    passed on through the environment so every worker process reads the same settings."""
    overrides = {"TRYON_HOST": host, "TRYON_PORT": port, "TRYON_WORKERS": workers}
    for key, value in overrides.items():
        if value is not None:
            os.environ[key] = str(value)
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(f"TRYON_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise InvalidSettings(f"invalid setting(s): {problems}") from None
    port_ = settings.port or free_port(settings.host)
    os.environ["TRYON_PORT"] = str(port_)
    if (settings.ssl_certfile is None) != (settings.ssl_keyfile is None):
        raise InvalidSettings("TLS needs both TRYON_SSL_CERTFILE and TRYON_SSL_KEYFILE (or neither)")
    for path in (settings.ssl_certfile, settings.ssl_keyfile):
        if path is not None and not path.is_file():
            raise InvalidSettings(f"TLS file {path} does not exist")
    from server.admin_key import resolve_admin_key

    _, key_file = resolve_admin_key(settings)
    tls = settings.ssl_certfile is not None
    http, ws = ("https", "wss") if tls else ("http", "ws")
    shown = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0", "::") else settings.host
    print(f"tryon is serving the try-on page at {http}://{shown}:{port_}/  "
          f"(WebSocket {ws}://{shown}:{port_}/ws/tryon, API docs {http}://{shown}:{port_}/docs; Ctrl+C stops)", flush=True)
    print(f"products in 3D {http}://{shown}:{port_}/products, store staff page {http}://{shown}:{port_}/staff, analytics {http}://{shown}:{port_}/analytics; "
          f"admin key: {'TRYON_ADMIN_KEY' if key_file is None else key_file}", flush=True)
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=settings.host,
        port=port_,
        workers=settings.workers,
        log_level=settings.log_level,
        ws_max_size=max(settings.max_frame_bytes, settings.max_text_bytes) + WS_OVERHEAD_BYTES,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        timeout_graceful_shutdown=5,
        ssl_certfile=str(settings.ssl_certfile) if tls else None,
        ssl_keyfile=str(settings.ssl_keyfile) if tls else None,
    )
