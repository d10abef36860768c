#!/usr/bin/env bash
# Install everything Heng needs into .venv and static files. Safe to run again: each step is
# skipped when its inputs have not changed. Used by `make demo`, `make test` and `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
STAMP=.venv/.heng-installed

if [ ! -x .venv/bin/python ]; then
  echo "==> creating virtual environment (.venv)"
  "$PYTHON" -m venv .venv
fi
if [ ! -f "$STAMP" ] || [ requirements.lock -nt "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  echo "==> installing Python dependencies (requirements.lock)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
  .venv/bin/uv pip install --quiet --python .venv/bin/python -r requirements.lock
  .venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e .
  touch "$STAMP"
fi

VENDOR=src/heng/web/static/vendor/echarts
if [ ! -f "$VENDOR/echarts.min.js" ] || [ package.json -nt "$VENDOR/echarts.min.js" ]; then
  echo "==> installing ECharts from the npm registry"
  npm install --no-audit --no-fund --silent
  mkdir -p "$VENDOR"
  cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE "$VENDOR/"
fi

if ! command -v msgfmt >/dev/null 2>&1; then
  echo "==> installing gettext (msgfmt) for translations"
  apt-get install -y -qq gettext >/dev/null
fi
echo "==> compiling translations"
(cd src/heng && HENG_VAR_DIR="$(pwd)/../../var" ../../.venv/bin/heng compilemessages -v0 --ignore='.venv*')
