#!/usr/bin/env bash
# The benchmark of README "Benchmarks" in one command: installs what is missing (the build
# packages and the peers it compares with), builds a release btd into build-release/, and runs
# bench/run.py with the arguments given (e.g. --size 512M --runs 3, or --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

install_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"

BUILD_DIR=${BUILD_DIR:-build-release}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  meson setup "$BUILD_DIR" --buildtype=release -Dwerror=true
fi
ninja -C "$BUILD_DIR"
exec /usr/bin/python3 bench/run.py --build "$BUILD_DIR" "$@"
