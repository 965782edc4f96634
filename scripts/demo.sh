#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The demo: installs what is missing, builds the gateway and shows it working.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh
need_packages "${BUILD_PACKAGES[@]}"
mkdir -p build
cmake -S . -B build/plain -DFZGW_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >build/plain.configure.log 2>&1 ||
  { cat build/plain.configure.log; exit 1; }
cmake --build build/plain -j"$(nproc)" --target firezone-gateway filter static >/dev/null
echo "=== firezone-gateway --check-config on the shipped conf/gateway.conf"
build/plain/core/firezone-gateway --config conf/gateway.conf --module-path build/plain/modules --check-config
