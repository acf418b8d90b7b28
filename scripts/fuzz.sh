#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, ASan + UBSan) and runs each one for SECONDS
# (default 30) over a scratch copy of its seed corpus in fuzz/corpus/<target>/; inputs found
# along the way stay in the scratch dir, never in the repository. Exits non-zero if any target
# crashes, hangs, leaks or breaks an invariant, and prints the reproducer's path.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 600, scripts/fuzz.sh 60 wire
#   FUZZ_JOBS=N     targets run side by side (default 2)
#   FUZZ_BUILD_DIR  build dir (default build-fuzz)
# Reproduce a crash:  build-fuzz/fuzz/fuzz_<target> <reproducer file>
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${1:-30}
shift || true
JOBS=${FUZZ_JOBS:-2}
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}

# target, -max_len, dictionary (fuzz/dict/*.dict or "-")
ALL_TARGETS=(
  "bencode 4096 bencode"
  "metainfo 8192 bencode"
  "magnet 2048 magnet"
  "wire 4096 wire"
  "peer_connection 4096 wire"
  "tracker_http 4096 bencode"
  "tracker_udp 1600 -"
  "krpc 4200 bencode"
  "mse 1024 -"
  "rpc 4096 json"
)

selected=()
for spec in "${ALL_TARGETS[@]}"; do
  name=${spec%% *}
  if [ $# -eq 0 ] || [[ " $* " == *" $name "* ]]; then selected+=("$spec"); fi
done
if [ "${#selected[@]}" -eq 0 ]; then
  echo "fuzz.sh: no target named: $*" >&2
  exit 2
fi

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$BUILD_DIR" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
fi
build_targets=()
for spec in "${selected[@]}"; do build_targets+=("fuzz/fuzz_${spec%% *}"); done
# Only the fuzz targets: the rest of this build dir (btd, tests) is not needed here.
ninja -C "$BUILD_DIR" "${build_targets[@]}"

work=$(mktemp -d -t btd-fuzz.XXXXXX)
artifacts="$BUILD_DIR/fuzz-artifacts"
mkdir -p "$artifacts"
# Under set -e a failing command in an EXIT trap becomes the script's exit status: a scratch dir
# that cannot be removed must not turn a clean run red.
trap 'rm -rf "$work" || echo "fuzz.sh: could not remove $work" >&2' EXIT

# Any sanitizer report is fatal; leaks count.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

run_one() {
  local name=$1 max_len=$2 dict=$3
  local corpus="$work/corpus-$name" log="$work/$name.log"
  mkdir -p "$corpus"
  cp fuzz/corpus/"$name"/* "$corpus"/
  local args=(-max_total_time="$SECONDS_PER_TARGET" -max_len="$max_len" -timeout=10
              -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/$name-")
  [ "$dict" != "-" ] && args+=(-dict="fuzz/dict/$dict.dict")
  local status=0
  "$BUILD_DIR/fuzz/fuzz_$name" "${args[@]}" "$corpus" >"$log" 2>&1 || status=$?
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$status" -ne 0 ]; then
    echo "FAIL $name (exit $status)"
    grep -E "invariant failed|ERROR: |SUMMARY: |runtime error" "$log" | head -5 | sed 's/^/  /'
    sed -n 's/^.*Test unit written to /  reproducer: /p' "$log"
    cp "$log" "$artifacts/$name.log"
    echo "  full log: $artifacts/$name.log"
    return 1
  fi
  echo "ok   $name: ${execs:-?} inputs in ${SECONDS_PER_TARGET}s, corpus $(ls "$corpus" | wc -l) files"
}
export -f run_one
export work artifacts BUILD_DIR SECONDS_PER_TARGET

echo "fuzzing ${#selected[@]} target(s) for ${SECONDS_PER_TARGET}s each, $JOBS at a time"
status=0
printf '%s\n' "${selected[@]}" | xargs -P "$JOBS" -L 1 bash -c 'run_one $0 $1 $2' || status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzz.sh: a target failed; reproduce with $BUILD_DIR/fuzz/fuzz_<target> <reproducer>" >&2
  exit 1
fi
