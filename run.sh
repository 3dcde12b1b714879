#!/usr/bin/env bash
# Main job: set up, then start the live try-on service with the demo catalog and print its URL.
# Extra arguments go to `tryon serve` (e.g. --port 8080 --host 0.0.0.0 --workers 2).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/tryon serve "$@"
