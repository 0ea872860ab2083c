#!/usr/bin/env bash
# The whole test suite: ruff, mypy, then pytest on a throwaway PostGIS cluster with
# Debian's Chromium for the page tests.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh" --test
cd "$GPMB_ROOT"
say "ruff"
ruff check .
say "mypy"
mypy
say "pytest"
exec python -m pytest "$@"
