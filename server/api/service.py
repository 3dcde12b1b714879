"""Service routes: health, client configuration, the sample video."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from server.api.deps import ServicesDep, SettingsDep
from server.sample_video import NoSampleVideo, sample_webm
from server.stream.protocol import PROTOCOL_VERSION, StreamConfig

router = APIRouter(tags=["service"])


@router.get("/health", summary="Liveness and load of this process")
async def health(services: ServicesDep) -> dict[str, Any]:
    return {"status": "ok", "pid": os.getpid(), "sessions": len(services.registry),
            "max_sessions": services.registry.max_sessions, "protocol": PROTOCOL_VERSION}


@router.get("/api/config", summary="What a client needs before it connects")
async def client_config(settings: SettingsDep) -> dict[str, Any]:
    return {
        "ws_path": "/ws/tryon",
        "protocol": PROTOCOL_VERSION,
        "defaults": StreamConfig().to_json(),
        "limits": settings.client_limits(),
        "sample_video": settings.resolved_sample_video is not None,
    }


@router.get("/api/sample-video", summary="A sample clip (WebM) for shoppers without a camera",
            response_class=FileResponse)
async def sample_video(settings: SettingsDep) -> FileResponse:
    try:
        path = await run_in_threadpool(sample_webm, settings.resolved_sample_video, settings.data_dir / "cache")
    except NoSampleVideo as exc:
        raise HTTPException(404, str(exc)) from None
    return FileResponse(path, media_type="video/webm")

