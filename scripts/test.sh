#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, and runs every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

install_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"

BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  meson setup "$BUILD_DIR" -Dwerror=true
else
  meson configure "$BUILD_DIR" -Dwerror=true
fi
ninja -C "$BUILD_DIR"

status=0
meson test -C "$BUILD_DIR" --print-errorlogs --num-processes 2 || status=$?

# One plain summary line, counted from meson's own log.
/usr/bin/python3 - "$BUILD_DIR/meson-logs/testlog.json" <<'PY' || true
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"): passed += 1
    elif r == "SKIP": skipped += 1
    else: failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY

# The same suites again under AddressSanitizer + UndefinedBehaviorSanitizer (the integration
# tests start this build dir's btd and btctl). Reports go to files, so one from a btd that a
# test kills or whose exit status it ignores still fails the run. A 16 MiB quarantine and a
# quick release of freed memory keep the tests that measure btd's RSS meaningful (ASan's
# default 256 MiB quarantine holds every freed buffer).
# -O1: about half the -O2 compile time; -O0 is faster to build but too slow for the tests
# that parse a million-file torrent or time an RPC answer.
ASAN_DIR=${ASAN_BUILD_DIR:-build-asan}
asan_options=(-Db_sanitize=address,undefined -Doptimization=1 -Ddebug=true -Dwerror=true)
if [ ! -f "$ASAN_DIR/build.ninja" ]; then
  meson setup "$ASAN_DIR" "${asan_options[@]}"
else
  meson configure "$ASAN_DIR" "${asan_options[@]}"
fi
ninja -C "$ASAN_DIR"
san_logs=$(mktemp -d -t btd-sanitizers.XXXXXX)
asan_start=$SECONDS
ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:quarantine_size_mb=16:allocator_release_to_os_interval_ms=100:log_path=$san_logs/asan" \
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$san_logs/ubsan" \
  meson test -C "$ASAN_DIR" --print-errorlogs --num-processes 2 || status=$?
if compgen -G "$san_logs/*" >/dev/null; then
  echo "sanitizer reports:" >&2
  cat "$san_logs"/* >&2
  status=1
fi
# GCC's UBSan ignores log_path next to ASan and writes to stderr; halt_on_error makes the process
# fail, and what reached the test output is caught here.
if grep -q "runtime error: " "$ASAN_DIR/meson-logs/testlog.txt"; then
  echo "UBSan reports in $ASAN_DIR/meson-logs/testlog.txt:" >&2
  grep -A3 "runtime error: " "$ASAN_DIR/meson-logs/testlog.txt" >&2
  status=1
fi
rm -rf "$san_logs"
echo "sanitizer run: $((SECONDS - asan_start))s"

# A short fuzzing run of every target (scripts/fuzz.sh 600 for a longer one).
scripts/fuzz.sh "${FUZZ_SECONDS:-15}" || status=$?
exit $status
