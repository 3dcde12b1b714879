#!/usr/bin/env bash
# Idempotent set-up shared by ./run.sh and ./test.sh: system libraries, the venv, the package,
# the web client's npm packages. `--browser` also installs what the browser tests drive: Debian's
# Chromium and Firefox ESR, Xvfb, and puppeteer-core.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
ldconfig -p | grep -q 'libEGL_mesa.so' || need_apt+=(libegl1 libegl-mesa0 libgl1-mesa-dri libgles2)
ldconfig -p | grep -q 'libgbm.so' || need_apt+=(libgbm1)
browser=false; [ "${1:-}" = "--browser" ] && browser=true
if $browser; then
  [ -x /usr/bin/chromium ] || need_apt+=(chromium)
  [ -x /usr/bin/firefox-esr ] || need_apt+=(firefox-esr)
  command -v Xvfb >/dev/null || need_apt+=(xvfb)  # headless Firefox draws WebGL only on a display
fi
command -v npm >/dev/null || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing system packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "installing Python packages (first run takes a minute)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  rm -f .venv/.installed-*; touch "$stamp"
fi

# npm packages at the versions in the committed lock files: three.js for the page's pose mode;
# with --browser, puppeteer-core, which drives Firefox in the browser tests.
npm_folders=(web_client)
$browser && npm_folders+=(tests/browser/firefox)
for folder in "${npm_folders[@]}"; do
  npm_stamp=$folder/node_modules/.installed-$(sha256sum "$folder/package-lock.json" | cut -c1-16)
  if [ ! -f "$npm_stamp" ]; then
    echo "installing npm packages in $folder"
    (cd "$folder" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$npm_stamp"
  fi
done
