"""`tryon client` and `tryon serve` as a user runs them."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request

import cv2
import pytest

from server.serve import free_port
from server.stream.client import stream_video

pytestmark = pytest.mark.timeout(180)


def tryon(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tryon.cli", *args], capture_output=True, text=True, timeout=timeout)


def test_client_streams_a_video_and_writes_every_frame_back(server, shared_data, tmp_path):
    out = tmp_path / "carphone_glasses.mp4"
    video = shared_data / "video" / "carphone_talking_head_qcif.mp4"
    done = tryon("client", str(video), "--url", server.ws, "--product", "round-classic", "--variant", "gold",
                 "--out", str(out), "--width", "352")
    assert done.returncode == 0, done.stderr
    assert "RTT p95" in done.stdout and "session" in done.stdout
    written = cv2.VideoCapture(str(out))
    source = cv2.VideoCapture(str(video))
    assert int(written.get(cv2.CAP_PROP_FRAME_COUNT)) == int(source.get(cv2.CAP_PROP_FRAME_COUNT))
    assert int(written.get(cv2.CAP_PROP_FRAME_WIDTH)) == 352


def test_client_says_clearly_when_the_server_is_not_there(shared_data):
    done = tryon("client", str(shared_data / "video" / "carphone_talking_head_qcif.mp4"),
                 "--url", "ws://127.0.0.1:9/ws/tryon", "--product", "round-classic")
    assert done.returncode == 2 and "cannot reach ws://127.0.0.1:9/ws/tryon" in done.stderr
    assert "Traceback" not in done.stderr


def test_client_reports_an_unknown_product_from_the_server(server, shared_data):
    done = tryon("client", str(shared_data / "video" / "carphone_talking_head_qcif.mp4"),
                 "--url", server.ws, "--product", "no-such-frame")
    assert done.returncode == 2 and "unknown product 'no-such-frame'" in done.stderr


def test_serve_runs_several_worker_processes_that_each_serve_sessions(tmp_path, camera_frames):
    port = free_port("127.0.0.1")
    env = {**os.environ, "TRYON_DATA_DIR": str(tmp_path), "TRYON_LOG_LEVEL": "warning"}
    process = subprocess.Popen([sys.executable, "-m", "tryon.cli", "serve", "--port", str(port), "--workers", "2"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = process.stdout.readline()
        assert f"http://localhost:{port}/" in banner
        pids = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(pids) < 2:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    pids.add(json.loads(r.read())["pid"])
            except OSError:
                time.sleep(0.2)
        assert pids and process.pid not in pids  # answered by worker processes, not the supervisor
        async def two_sessions():
            return await asyncio.gather(*(
                stream_video(f"ws://127.0.0.1:{port}/ws/tryon", camera_frames[:20], 15.0, {"product": "rect-metro"})
                for _ in range(2)))

        reports = asyncio.run(two_sessions())
        # the workers are still warming up (models, GL, the sample clip), so fewer frames come back
        assert all(r.last_frame_id == 19 and not r.errors for r in reports), [(r.results, r.errors[:1]) for r in reports]
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_speaks_https_and_wss_with_a_certificate(tmp_path, camera_frames):
    import ssl

    from server.stream.client import TryOnClient

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    port = free_port("127.0.0.1")
    env = {**os.environ, "TRYON_DATA_DIR": str(tmp_path), "TRYON_LOG_LEVEL": "warning",
           "TRYON_SSL_CERTFILE": str(cert), "TRYON_SSL_KEYFILE": str(key)}
    process = subprocess.Popen([sys.executable, "-m", "tryon.cli", "serve", "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    try:
        assert f"https://localhost:{port}/" in process.stdout.readline()
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"https://127.0.0.1:{port}/health", timeout=2, context=context) as r:
                    assert json.loads(r.read())["status"] == "ok"
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

        async def one_frame():
            async with TryOnClient(f"wss://127.0.0.1:{port}/ws/tryon", ssl_context=context) as client:
                await client.send_frame(1, camera_frames[0])
                return await client.recv()

        assert asyncio.run(one_frame()).meta["frame_id"] == 1
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_refuses_half_a_tls_setting(tmp_path):
    env = {**os.environ, "TRYON_DATA_DIR": str(tmp_path), "TRYON_SSL_CERTFILE": str(tmp_path / "cert.pem")}
    done = subprocess.run([sys.executable, "-m", "tryon.cli", "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "TRYON_SSL_KEYFILE" in done.stderr
