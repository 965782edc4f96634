#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runs every test: installs what is missing, builds the gateway twice (plain, and with
# AddressSanitizer + UndefinedBehaviorSanitizer), and runs the whole ctest suite in each.
# Network-namespace tests need root; without it they report "skipped".
# Env: JOBS (parallel build jobs), FZGW_TEST_FILTER (a ctest -R regex).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh
# the package stage: cpack's dependencies (dpkg-dev, file), lintian, systemd (systemd-analyze,
# sysusers, tmpfiles)
need_packages "${BUILD_PACKAGES[@]}" "${NET_PACKAGES[@]}" dpkg-dev file lintian systemd
JOBS=${JOBS:-$(nproc)}
filter=()
[ -n "${FZGW_TEST_FILTER:-}" ] && filter=(-R "$FZGW_TEST_FILTER")

run_build() {
  local name=$1; shift
  echo "=== build: $name"
  cmake -S . -B "build/$name" -DFZGW_WERROR=ON "$@" >"build/$name.configure.log" 2>&1 ||
    { cat "build/$name.configure.log"; return 1; }
  if ! cmake --build "build/$name" -j"$JOBS" >"build/$name.build.log" 2>&1; then
    grep -E -B2 -A8 "error|Error" "build/$name.build.log" | head -80
    echo "build $name failed (log: build/$name.build.log)"
    return 1
  fi
  if grep -q "warning:" "build/$name.build.log"; then
    grep -A5 "warning:" "build/$name.build.log" | head -40
    echo "build $name has compiler warnings"
    return 1
  fi
  echo "=== tests: $name"
  ctest --test-dir "build/$name" --output-on-failure --timeout 600 "${filter[@]}" | tee "build/$name.ctest.log"
  local rc=${PIPESTATUS[0]} line
  line=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "build/$name.ctest.log" | tail -1)
  total=$((total + $(echo "$line" | sed -E 's/.* out of ([0-9]+).*/\1/')))
  failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) tests failed.*/\1/')))
  if [ "$rc" != 0 ]; then
    # the failed checks again at the end, where a truncated log still shows them
    echo "=== failed checks ($name)"
    awk '/Test +#[0-9]+: .*\*\*\*/ { sub(/^ *[0-9]+\/[0-9]+ /, ""); print; next }
         /^FAIL - |^# case / { print "    " $0 }' "build/$name.ctest.log" | grep -B1 -E "^    FAIL|\*\*\*" |
      grep -v '^--$' || true
  fi
  return "$rc"
}
total=0 failed=0

mkdir -p build
run_build plain -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_build asan -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-g -O1" -DFZGW_SANITIZE=ON -DFZGW_BENCH=OFF
# The Debian package: build, install, remove, purge (tests/package/package_test.sh). It changes
# the machine: it runs as root where no firezone-gateway package is installed, or with
# FZGW_PACKAGE_TEST=1; otherwise it says why it skipped. FZGW_TEST_FILTER skips it too.
echo "=== package"
if [ -n "${FZGW_TEST_FILTER:-}" ] && [ "${FZGW_PACKAGE_TEST:-}" != 1 ]; then
  echo "skipped: FZGW_TEST_FILTER is set (FZGW_PACKAGE_TEST=1 runs the package test too)"
else
  pkg_rc=0
  bash tests/package/package_test.sh || pkg_rc=$?
  [ $pkg_rc = 77 ] || total=$((total + 1))
  [ $pkg_rc = 0 ] || [ $pkg_rc = 77 ] || { echo "package test failed"; exit 1; }
fi
echo "=== all tests passed (plain and ASan+UBSan)"
echo "tests: $((total - failed)) passed, $failed failed"
