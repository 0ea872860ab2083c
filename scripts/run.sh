#!/usr/bin/env bash
# Main job: install what is missing, start the embedded PostGIS, migrate, load the demo
# when the database is empty and serve the app on http://127.0.0.1:8000.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$GPMB_ROOT"
exec gpmb serve "$@"
