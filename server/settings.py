"""Every knob of the service, read once from the environment (prefix TRYON_) or a .env file.

The README's "Settings" table lists them; `Settings()` with no environment gives the defaults
used by `./run.sh`. Relative paths are relative to the working directory.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_threads() -> int:
    # MediaPipe releases the GIL while its graph runs, so one frame thread per core overlaps
    # tracking of different sessions; rendering is serialised by the process's GL lock.
    return max(1, min(os.cpu_count() or 1, 8))


class Settings(BaseSettings):
    """Service settings. Environment variable = TRYON_ + the field name in capitals."""

    model_config = SettingsConfigDict(env_prefix="TRYON_", env_file=".env", extra="ignore")

    host: str = Field("127.0.0.1", description="Interface to listen on (0.0.0.0 for every interface).")
    port: int = Field(8000, ge=0, le=65535, description="TCP port (0: any free port, printed at start).")
    workers: int = Field(1, ge=1, le=64, description="Server processes; each owns the sessions it accepted.")
    frame_threads: int = Field(default_factory=_default_threads, ge=1, le=64,
                               description="Threads per process that decode, track, render and encode frames.")
    max_sessions: int = Field(8, ge=1, description="Live try-on sessions per process; more are refused (close 1013).")
    max_frame_bytes: int = Field(2_000_000, ge=1024, description="Largest binary frame message, header included (close 1009).")
    max_frame_width: int = Field(1920, ge=16, description="Widest frame accepted, pixels (error frame_too_large).")
    max_frame_height: int = Field(1920, ge=16, description="Tallest frame accepted, pixels (error frame_too_large).")
    max_fps: float = Field(60.0, gt=0, description="Frames per second a session may send; more are dropped and counted.")
    idle_timeout_s: float = Field(30.0, gt=0, description="A session that sends nothing for this long is closed (4408).")
    max_text_bytes: int = Field(16_384, ge=256, description="Largest JSON control message (close 1009).")
    data_dir: Path = Field(Path("data"), description="Where the default SQLite database (tryon.db), the generated "
                          "admin key and caches are kept.")
    assets_dir: Path | None = Field(None, description="Product catalog folder (default: the bundled demo catalog).")
    web_dir: Path = Field(Path(__file__).resolve().parent.parent / "web_client",
                          description="The shopper web page's folder (index.html, src/, node_modules/).")
    sample_video: Path | None = Field(None, description="Video the page offers when there is no camera "
                                      "(default: the first .mp4 in ../shared/data/video, else none).")
    log_level: str = Field("info", description="uvicorn log level.")
    ssl_certfile: Path | None = Field(None, description="TLS certificate (PEM): serve https/wss, which browsers "
                                      "require for the camera on any host but localhost (e.g. a smart mirror on the LAN).")
    ssl_keyfile: Path | None = Field(None, description="The certificate's private key (PEM).")
    public_url: str | None = Field(None, description="The address shoppers reach this service at, e.g. "
                                   "https://tryon.example.com (QR codes link there; default: the request's own).")
    database_url: str | None = Field(None, description="Commerce database: postgresql://USER@HOST:PORT/DB, or "
                                     "sqlite:///PATH (default: a SQLite file, DATA_DIR/tryon.db, migrated at start).")
    db_pool_size: int = Field(10, ge=1, le=200, description="Database connections per process.")
    admin_key: str | None = Field(None, min_length=16, description="Bearer key for admin calls (stores, stock, staff "
                                  "keys, analytics). Unset: one is generated into DATA_DIR/admin.key and printed at start.")
    redis_url: str | None = Field(None, description="redis://HOST:PORT/DB: stock and reservation events reach the "
                                  "live pages of every server process and machine (unset: this process only).")
    demo_stores: bool = Field(True, description="Create demo stores with stock when the database has no store yet.")
    sweep_interval_s: float = Field(30.0, gt=0, description="How often lapsed holds and no-shows are released "
                                    "(availability ignores them at once; this frees their counters).")
    webhook_timeout_s: float = Field(5.0, gt=0, description="Per-delivery timeout for the retailer's webhooks.")
    webhook_max_attempts: int = Field(8, ge=1, le=50, description="Deliveries tried before an event is marked failed.")
    webhook_retry_base_s: float = Field(2.0, gt=0, le=600, description="Wait before a failed webhook delivery is "
                                        "tried again; doubles with each attempt, up to 10 minutes, plus up to 20 % jitter.")
    webhook_allow_private: bool = Field(False, description="Let webhooks go to loopback, private, link-local "
                                        "(cloud metadata), multicast, reserved and unspecified addresses: for "
                                        "development and tests only; otherwise such URLs are refused.")
    event_retention_days: int = Field(7, ge=1, le=3650, description="Dispatched events and finished (delivered or "
                                      "failed) webhook deliveries are deleted after this many days; live pages "
                                      "cannot replay further back.")
    redis_channel: str = Field("tryon:events", min_length=1, description="Redis pub/sub channel of the live events: "
                               "the same for every server on one database, another one for each deployment "
                               "sharing a Redis.")

    def client_limits(self) -> dict[str, float | int]:
        """The limits a client is told about (the ready message and /api/config)."""
        return {"max_frame_bytes": self.max_frame_bytes, "max_frame_width": self.max_frame_width,
                "max_frame_height": self.max_frame_height, "max_fps": self.max_fps,
                "idle_timeout_s": self.idle_timeout_s, "max_text_bytes": self.max_text_bytes}

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tryon.db').resolve()}"

    @property
    def admin_key_file(self) -> Path:
        return self.data_dir / "admin.key"

    @property
    def resolved_sample_video(self) -> Path | None:
        if self.sample_video is not None:
            return self.sample_video
        from server.sample_video import default_source

        return default_source(Path(__file__).resolve().parent.parent)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings (read once; tests build their own Settings and pass them in)."""
    return Settings()
