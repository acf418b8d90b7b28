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
# Seconds per stage, for the summary at the end.
stage_times=""
stage_start=$SECONDS
end_stage() { stage_times+="$1 $((SECONDS - stage_start)) s; "; stage_start=$SECONDS; }
end_stage "install"
ninja -C "$BUILD_DIR"
end_stage "build"

status=0
meson test -C "$BUILD_DIR" --print-errorlogs --num-processes 2 || status=$?
end_stage "tests"

# One plain summary line, counted from meson's own log.
scripts/test_summary.py "tests" "$BUILD_DIR/meson-logs/testlog.json" || true

# The same suites again under AddressSanitizer + UndefinedBehaviorSanitizer (the integration
# tests start this build dir's btd and btctl). Reports go to files, so one from a btd that a
# test kills or whose exit status it ignores still fails the run. A 16 MiB quarantine and a
# quick release of freed memory keep the tests that measure btd's RSS meaningful (ASan's
# default 256 MiB quarantine holds every freed buffer).
# -O1: about half the -O2 compile time; -O0 is faster to build but too slow for the tests
# that parse a million-file torrent or time an RPC answer. -g1 (line tables, enough for the
# file:line of every frame in a report) instead of full debug info: 8 min instead of 9.
ASAN_DIR=${ASAN_BUILD_DIR:-build-asan}
asan_options=(-Db_sanitize=address,undefined -Doptimization=1 -Ddebug=false -Dc_args=-g1 -Dcpp_args=-g1
              -Dwerror=true)
if [ ! -f "$ASAN_DIR/build.ninja" ]; then
  meson setup "$ASAN_DIR" "${asan_options[@]}"
else
  meson configure "$ASAN_DIR" "${asan_options[@]}"
fi
ninja -C "$ASAN_DIR"
end_stage "ASan build"
san_logs=$(mktemp -d -t btd-sanitizers.XXXXXX)
# test_disk_faults.py runs one btd as nobody: it must be able to write its report here too.
chmod 1777 "$san_logs"
asan_start=$SECONDS
ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:quarantine_size_mb=16:allocator_release_to_os_interval_ms=100:log_path=$san_logs/asan" \
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$san_logs/ubsan" \
  meson test -C "$ASAN_DIR" --print-errorlogs --num-processes 2 || status=$?
# A file with an error report fails the run; one with only a warning (ASan prints some about
# the environment it runs in) is shown and does not.
san_errors=0
for f in "$san_logs"/*; do
  [ -e "$f" ] || continue
  if grep -qE "ERROR: |SUMMARY: |runtime error" "$f"; then
    echo "sanitizer report ($(basename "$f")):"
    san_errors=$((san_errors + 1))
    status=1
  else
    echo "sanitizer warning, not an error ($(basename "$f")):"
  fi
  cat "$f"
done
# GCC's UBSan ignores log_path next to ASan and writes to stderr; halt_on_error makes the process
# fail, and what reached the test output is caught here.
ubsan_in_log=no
if grep -q "runtime error: " "$ASAN_DIR/meson-logs/testlog.txt"; then
  ubsan_in_log=yes
  echo "UBSan reports in $ASAN_DIR/meson-logs/testlog.txt:"
  grep -A3 "runtime error: " "$ASAN_DIR/meson-logs/testlog.txt"
  status=1
fi
san_report_head=$(cat "$san_logs"/* 2>/dev/null | grep -m3 -E "ERROR: |SUMMARY: |runtime error" || true)
rm -rf "$san_logs"
echo "sanitizer run: $((SECONDS - asan_start))s"
end_stage "ASan tests"

# A short fuzzing run of every target (scripts/fuzz.sh 600 for a longer one).
fuzz_status=0
scripts/fuzz.sh "${FUZZ_SECONDS:-15}" || fuzz_status=$?
[ "$fuzz_status" -eq 0 ] || status=1
end_stage "fuzzing"

# CI shows only the end of this output: say here which stage failed and why.
echo
echo "== summary (total $((SECONDS / 60)) min $((SECONDS % 60)) s) =="
echo "time: $stage_times"
scripts/test_summary.py "normal build" "$BUILD_DIR/meson-logs/testlog.json" --failures 60 || true
scripts/test_summary.py "ASan+UBSan build" "$ASAN_DIR/meson-logs/testlog.json" --failures 60 || true
if [ "$san_errors" -gt 0 ]; then
  echo "sanitizer reports from $san_errors process(es) (printed above); first findings:"
  printf '%s\n' "$san_report_head" | sed 's/^/    /'
fi
[ "$ubsan_in_log" = no ] || echo "UBSan reports in $ASAN_DIR/meson-logs/testlog.txt (printed above)"
if [ "$fuzz_status" -eq 0 ]; then echo "fuzzing: every target ok"; else echo "fuzzing: scripts/fuzz.sh exited $fuzz_status (see above)"; fi
echo "exit status: $status"
exit $status
