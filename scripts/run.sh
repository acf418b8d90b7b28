#!/usr/bin/env bash
# Installs what is missing, builds, and starts btd in the foreground with a state dir and
# RPC socket inside this checkout, so nothing outside it is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

install_packages "${BUILD_PACKAGES[@]}"

BUILD_DIR=${BUILD_DIR:-build}
[ -f "$BUILD_DIR/build.ninja" ] || meson setup "$BUILD_DIR"
ninja -C "$BUILD_DIR"

STATE_DIR=${BTD_STATE_DIR:-$PWD/state}
SOCKET=${BTD_SOCKET:-$STATE_DIR/rpc.sock}
mkdir -p "$STATE_DIR"

if [ ! -x "$BUILD_DIR/daemon/btd" ]; then
  echo "btd is not built yet (the daemon lands with issue 3); btctl is ready:" >&2
  echo "  $BUILD_DIR/cli/btctl info FILE.torrent" >&2
  echo "  $BUILD_DIR/cli/btctl create PATH -o OUT.torrent" >&2
  exit 0
fi

echo "btd: state in $STATE_DIR; talk to it with:"
echo "  $BUILD_DIR/cli/btctl --socket $SOCKET status"
exec "$BUILD_DIR/daemon/btd" --state-dir "$STATE_DIR" --socket "$SOCKET" --foreground "$@"
