#!/usr/bin/env bash
# Run one command inside the lcc_plus environment (venv + colcon install).
set -e
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
exec "$@"
