"""A key sent as ?key= (the live events stream, from a browser's EventSource) never reaches the
access log: a request line logged as uvicorn logs it, through uvicorn's own formatter, and one
logged by a real uvicorn server show *** in place of the key, every other parameter untouched."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import time
import urllib.request

import pytest
from uvicorn.logging import AccessFormatter
from uvicorn.protocols.utils import get_path_with_query_string

from server.log_redaction import QuerySecretRedaction, redact_keys_in_logs, redact_query_secrets
from server.serve import free_port
from tests.server.live_server import REPO_ROOT

KEY = "tsk_0123456789abcdef-secret"


@pytest.fixture
def access_log():
    """uvicorn.access with the redaction installed, writing through uvicorn's AccessFormatter."""
    redact_keys_in_logs()
    logger = logging.getLogger("uvicorn.access")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, out
    logger.removeHandler(handler)
    logger.setLevel(level)


def log_request(logger: logging.Logger, path: str, query: bytes) -> None:
    scope = {"path": path, "query_string": query}  # what uvicorn's h11 and httptools protocols log, as they log it
    logger.info('%s - "%s %s HTTP/%s" %d', "203.0.113.7:51234", "GET", get_path_with_query_string(scope), "1.1", 200)


def test_the_access_log_line_of_a_live_stream_shows_no_key(access_log):
    logger, out = access_log
    log_request(logger, "/api/events", f"topic=reservation.*&key={KEY}&store_id=2".encode())
    line = out.getvalue()
    assert KEY not in line
    assert line.strip() == '203.0.113.7:51234 - "GET /api/events?topic=reservation.*&key=***&store_id=2 HTTP/1.1" 200 OK'


def test_an_encoded_or_first_key_parameter_is_masked_and_lookalikes_are_not(access_log):
    logger, out = access_log
    for query in (f"key={KEY}", f"%6Bey={KEY}&sku=x", f"store_id=1&KEY={KEY}", f"k%65y={KEY}"):
        log_request(logger, "/api/events", query.encode())
    log_request(logger, "/api/events", b"monkey=banana&keys=1&key_hint=2")
    lines = out.getvalue().splitlines()
    assert all(KEY not in line for line in lines), lines
    assert "monkey=banana&keys=1&key_hint=2" in lines[-1]


def test_installing_twice_adds_one_filter_and_other_records_pass_unchanged():
    redact_keys_in_logs()
    redact_keys_in_logs()
    filters = [f for f in logging.getLogger("uvicorn.access").filters if isinstance(f, QuerySecretRedaction)]
    assert len(filters) == 1
    assert redact_query_secrets("Started server process [42]") == "Started server process [42]"
    assert redact_query_secrets('"WebSocket /ws/tryon?key=abc" [accepted]') == '"WebSocket /ws/tryon?key=***" [accepted]'


SERVER = """
import sys
import uvicorn
from fastapi import FastAPI
from server.log_redaction import redact_keys_in_logs

def create_app():
    redact_keys_in_logs()  # as server/app.py's create_app does, after uvicorn configured its logging
    app = FastAPI()

    @app.get("/api/events")
    def events(key: str = "") -> dict:
        return {"had_key": bool(key)}
    return app

uvicorn.run(create_app, factory=True, host="127.0.0.1", port=int(sys.argv[1]), log_level="info")
"""


def test_a_real_uvicorn_server_logs_the_request_line_without_the_key(tmp_path):
    port = free_port("127.0.0.1")
    log_path = tmp_path / "uvicorn.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], cwd=REPO_ROOT, stdout=log_file,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/events?store_id=1&key={KEY}", timeout=2) as r:
                    answer = r.read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError(f"the server did not answer:\n{log_path.read_text()}") from None
                time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=15)
    log = log_path.read_text()
    assert answer == b'{"had_key":true}'  # the application still got the key
    assert "GET /api/events?store_id=1&key=*** HTTP/1.1" in log and KEY not in log, log
