#!/usr/bin/env bash
# Installs what GPMB needs on Debian 12, idempotently: system packages (PostgreSQL +
# PostGIS; with --test also Chromium and poppler), a virtualenv in .venv and the Python
# packages pinned in pyproject.toml. Sourced by scripts/run.sh and scripts/test.sh.
set -euo pipefail

GPMB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1

say() { printf '\033[1;32m==>\033[0m %s\n' "$*" >&2; }

apt_install() {
  # Install Debian packages as root, with sudo, or tell the user the exact command.
  local pkgs=("$@")
  [ ${#pkgs[@]} -eq 0 ] && return 0
  local cmd=(apt-get install -y --no-install-recommends "${pkgs[@]}")
  if [ "$(id -u)" -eq 0 ]; then
    say "Cài gói hệ thống: ${pkgs[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${cmd[@]}" -qq
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    say "Cài gói hệ thống (sudo): ${pkgs[*]}"
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive "${cmd[@]}" -qq
  else
    echo "Thiếu gói hệ thống. Hãy chạy lệnh sau rồi chạy lại:" >&2
    echo "  sudo apt-get update && sudo ${cmd[*]}" >&2
    exit 1
  fi
}

need=()
pg_major=""
if initdb_path=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1) \
   && [ -n "$initdb_path" ]; then
  pg_major=$(basename "$(dirname "$(dirname "$initdb_path")")")
else
  need+=(postgresql postgresql-contrib)
  pg_major=15  # Debian 12's PostgreSQL
fi
[ -f "/usr/share/postgresql/$pg_major/extension/postgis.control" ] \
  || need+=("postgresql-$pg_major-postgis-3")
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then need+=(python3-venv); fi
# PDF reports embed DejaVu (Vietnamese diacritics)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
# Front-end assets (Leaflet, VectorGrid, …) come from npm at setup, never from a CDN.
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ "$WITH_TEST" -eq 1 ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
  command -v ogr2ogr >/dev/null 2>&1 || need+=(gdal-bin)  # DGN-with-text test files
fi
apt_install "${need[@]}"

VENV="$GPMB_ROOT/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  say "Tạo môi trường Python (.venv)"
  python3 -m venv "$VENV"
fi
extras=""
[ "$WITH_TEST" -eq 1 ] && extras="[test]"
stamp="$VENV/.gpmb-installed$extras"
want="$(sha256sum "$GPMB_ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "Cài gói Python (pyproject.toml$extras)"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e "$GPMB_ROOT$extras"
  echo "$want" > "$stamp"
fi

# ogctests (the OGC API – Features conformance suite) pins pytest < 9 and httpx < 0.28, so
# it gets a virtualenv of its own; tests/api/test_ogc_clients.py runs it from there.
OGCTESTS_VERSION="0.1.15"
if [ "$WITH_TEST" -eq 1 ]; then
  OGC_VENV="$GPMB_ROOT/.venv-ogctests"
  if [ "$(cat "$OGC_VENV/.gpmb-installed" 2>/dev/null)" != "$OGCTESTS_VERSION" ]; then
    say "Cài ogctests $OGCTESTS_VERSION (.venv-ogctests)"
    python3 -m venv "$OGC_VENV"
    "$OGC_VENV/bin/python" -m pip install -q "ogctests==$OGCTESTS_VERSION"
    echo "$OGCTESTS_VERSION" > "$OGC_VENV/.gpmb-installed"
  fi
fi

# npm packages pinned by web/package-lock.json; only their dist files are served, copied
# to web/static/vendor (gitignored) by `python -m web.assets`.
web_stamp="$GPMB_ROOT/web/node_modules/.gpmb-installed"
web_want="$(sha256sum "$GPMB_ROOT/web/package-lock.json" | cut -d' ' -f1)"
if [ ! -f "$web_stamp" ] || [ "$(cat "$web_stamp")" != "$web_want" ]; then
  say "Cài thư viện giao diện (npm ci --prefix web)"
  npm ci --prefix "$GPMB_ROOT/web" --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$web_want" > "$web_stamp"
fi
(cd "$GPMB_ROOT" && "$VENV/bin/python" -m web.assets >/dev/null)
export PATH="$VENV/bin:$PATH"
