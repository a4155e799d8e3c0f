# Source this file to use the lcc_plus workspace made by scripts/setup.sh:
#   source scripts/env.sh
# It activates the venv and the colcon install, and selects Fast DDS with the
# repo's shared-memory profile unless the caller already chose otherwise.
_lcc_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_lcc_venv=${LCC_VENV:-$_lcc_repo/.venv}
_lcc_ws=${LCC_WS:-$_lcc_repo/.ws}
if [ ! -f "$_lcc_ws/install/setup.bash" ]; then
  echo "lcc_plus is not built yet: run scripts/setup.sh first" >&2
  return 1 2>/dev/null || exit 1
fi
# shellcheck disable=SC1091
source "$_lcc_venv/bin/activate"
# colcon's setup scripts read unset variables.
set +u
# shellcheck disable=SC1091
source "$_lcc_ws/install/setup.bash"
export RMW_IMPLEMENTATION=${RMW_IMPLEMENTATION:-rmw_fastrtps_cpp}
if [ -z "${FASTDDS_DEFAULT_PROFILES_FILE:-}${FASTRTPS_DEFAULT_PROFILES_FILE:-}" ] && [ -f "$_lcc_repo/config/fastdds_shm.xml" ]; then
  export FASTDDS_DEFAULT_PROFILES_FILE="$_lcc_repo/config/fastdds_shm.xml"
fi
unset _lcc_repo _lcc_venv _lcc_ws
