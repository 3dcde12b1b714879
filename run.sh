#!/usr/bin/env bash
# Main job: set up, then run the photo try-on on an example photo and print where the result is.
# (The live service arrives with the streaming issue; this command will then start it.)
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
photo=${1:-../shared/data/faces/obama_official_portrait_frontal.jpg}
if [ ! -f "$photo" ]; then
  echo "example photo $photo not found: pass a photo of a face, e.g. ./run.sh me.jpg" >&2
  exit 2
fi
.venv/bin/tryon products
.venv/bin/tryon photo "$photo" --product sunglasses-shade --variant green --out out/demo_sunglasses.jpg
.venv/bin/tryon photo "$photo" --product round-classic --variant tortoise --out out/demo_glasses.jpg
echo "try-on results: $(pwd)/out/demo_sunglasses.jpg and $(pwd)/out/demo_glasses.jpg"
