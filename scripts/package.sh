#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian packages: a Release build for /usr with Debian's hardening flags
# (dpkg-buildflags), then cpack -G DEB (cmake/Packaging.cmake). Prints the path of each .deb,
# the gateway's first:
#   build/package/firezone-gateway_<version>-<revision>_<arch>.deb
#   build/package/firezone-gateway-dev_<version>-<revision>_<arch>.deb
# and copies them to the repository root, so that `sudo apt-get install ./firezone-gateway_*.deb`
# works from there.
# Env: JOBS (parallel build jobs), FZGW_PKG_BUILD (build dir, default build/package).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh
need_packages "${BUILD_PACKAGES[@]}" dpkg-dev file
JOBS=${JOBS:-$(nproc)}
dir=${FZGW_PKG_BUILD:-build/package}

# Debian's flags: -O2, -fstack-protector-strong, _FORTIFY_SOURCE, relro, now, PIE.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
# the changelog's date, reproducible: the last commit's
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export CFLAGS LDFLAGS SOURCE_DATE_EPOCH

mkdir -p "$dir"
rm -f "$dir"/*.deb
echo "=== configure $dir (Release, prefix /usr)" >&2
# Release, with Debian's -O2 instead of CMake's -O3 (as Debian's own CMake builds)
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE=-DNDEBUG -DCMAKE_INSTALL_PREFIX=/usr \
  -DFZGW_TESTS=OFF -DFZGW_BENCH=OFF -DFZGW_WERROR=ON >"$dir.configure.log" 2>&1 ||
  { cat "$dir.configure.log" >&2; exit 1; }
echo "=== build" >&2
cmake --build "$dir" -j"$JOBS" >"$dir.build.log" 2>&1 ||
  { grep -E -B2 -A8 "error|Error" "$dir.build.log" | head -60 >&2; echo "build failed (log: $dir.build.log)" >&2; exit 1; }
echo "=== cpack -G DEB" >&2
(cd "$dir" && cpack -G DEB) >"$dir.cpack.log" 2>&1 ||
  { cat "$dir.cpack.log" >&2; exit 1; }
grep -i "warning" "$dir.cpack.log" >&2 || true
shopt -s nullglob
debs=("$dir"/firezone-gateway_*.deb "$dir"/firezone-gateway-dev_*.deb)
[ ${#debs[@]} = 2 ] || { echo "package.sh: expected 2 packages in $dir, got: ${debs[*]:-none}" >&2; exit 1; }
for d in "${debs[@]}"; do
  cp -f "$d" .
  echo "$(pwd)/$(basename "$d")"
done
