# shellcheck shell=bash
# Installs the Debian packages btd needs, only those missing, so re-running costs nothing.
# Sourced by run.sh and test.sh.

BUILD_PACKAGES=(meson ninja-build pkg-config g++ libuv1-dev nlohmann-json3-dev
                libcurl4-openssl-dev libssl-dev doctest-dev libsystemd-dev)
# The real programs the integration tests talk to, plus what the tests themselves use.
TEST_PACKAGES=(python3 python3-libtorrent opentracker aria2 transmission-cli
               transmission-daemon mktorrent socat procps
               systemd groff-base man-db)
# scripts/fuzz.sh: clang with libFuzzer and the sanitizer runtimes.
FUZZ_PACKAGES=(clang libclang-rt-14-dev)

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine has empty package lists; a stale one may name versions that are gone.
  if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}
