#!/usr/bin/env bash
# The test command: set up, then run the whole suite (real photos from ../shared/data).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
