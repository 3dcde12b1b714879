#!/usr/bin/env bash
# The test command: set up (with Chromium for the browser tests), then run the whole suite
# (real photos and videos from ../shared/data). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh --browser
exec .venv/bin/python -m pytest "$@"
