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

echo "btd: state in $STATE_DIR, downloads in $STATE_DIR/downloads; talk to it with:"
echo "  $BUILD_DIR/cli/btctl --socket $SOCKET add FILE.torrent"
echo "  $BUILD_DIR/cli/btctl --socket $SOCKET status --watch"
exec "$BUILD_DIR/daemon/btd" --state-dir "$STATE_DIR" --socket "$SOCKET" --foreground "$@"
