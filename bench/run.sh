#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Side-by-side benchmark, in one call: the same namespace topology (tests/integration/lib/topo.sh)
# with wireguard-go as the gateway, then with ours, each with the same wireguard-go client:
#   tcp1 / tcp4   iperf3 TCP, 1 and 4 streams, DUR s each
#   udp           iperf3 UDP at UDP_RATE with UDP_LEN-byte datagrams
#   ping          PINGS pings at a 20 ms interval (RTT min, median, max of each repetition)
#   ping_load     the same while one iperf3 TCP stream runs: the latency added under load
# plus, for each, the gateway's CPU (utime+stime of its PID from /proc/PID/stat, 100% = one core)
# and the gateway's CPU-seconds per GB of payload delivered. Prints a markdown table with both
# gateways and the ours / wireguard-go ratio; the table and the raw records go to BENCH_OUT.
# Needs root (exits 77 otherwise). See bench/README.md.
# Env: REPS (1), DUR (10), UDP_RATE (2G), UDP_LEN (1350), PINGS (50),
#      GATEWAYS ("wireguard-go ours"), FZGW_BIN + MOD_DIR (default: build/plain, built here),
#      BENCH_OUT (default build/bench), PERF ("ours" and/or "wireguard-go": perf record -g of
#      that gateway during the first repetition's iperf3 tests, BENCH_OUT/perf-GW-TEST.data).
# Then the load generator (bench/fzgw_gen.c; GEN_BENCH=0 skips it) drives each gateway itself:
# the capacity at < 0.1 % loss per direction and packet size, 1 peer vs GEN_PEERS peers, the
# handshakes and memory per peer; its table follows, and a plot (SVG, gnuplot) of both.
# Env: GEN_BENCH (1), GEN_PEERS (10000), GEN_SESSIONS (64), GEN_PEER_RATE (20000), GEN_SECS (2),
#      GEN_SIZES (1420,100), GEN_START_RATE (20000), GEN_MAX_STEPS (8), GEN (with FZGW_BIN),
#      GEN_WORKERS ("1 2": ours' capacity search once per gateway.workers value, a table of
#      them and the largest / 1; the comparison with wireguard-go uses the last value),
#      GEN_HS_THRESHOLD (8192: ours' gateway.handshake_load_threshold, so the handshake phase
#      measures what a core answers, not the cookie policy; empty: the default, 1,024/s).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
case "${1:-}" in -h|--help) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; "") ;; *) echo "usage: $0 (settings through the environment, see --help)" >&2; exit 64 ;; esac
REPS=${REPS:-1}; DUR=${DUR:-10}; UDP_RATE=${UDP_RATE:-2G}; UDP_LEN=${UDP_LEN:-1350}; PINGS=${PINGS:-50}
GATEWAYS=${GATEWAYS:-wireguard-go ours}
GEN_BENCH=${GEN_BENCH:-1}; GEN_PEERS=${GEN_PEERS:-10000}; GEN_SESSIONS=${GEN_SESSIONS:-64}
GEN_PEER_RATE=${GEN_PEER_RATE:-20000}; GEN_SECS=${GEN_SECS:-2}; GEN_SIZES=${GEN_SIZES:-1420,100}
GEN_START_RATE=${GEN_START_RATE:-20000}; GEN_MAX_STEPS=${GEN_MAX_STEPS:-8}; GEN_WORKERS=${GEN_WORKERS:-1 2}
GEN_HS_THRESHOLD=${GEN_HS_THRESHOLD-8192}; export GEN_HS_THRESHOLD
[[ "$REPS" =~ ^[1-9][0-9]*$ && "$DUR" =~ ^[1-9][0-9]*$ && "$PINGS" =~ ^[1-9][0-9]*$ ]] || { echo "REPS, DUR and PINGS are positive integers" >&2; exit 64; }
[ "$(id -u)" = 0 ] || { echo "SKIP: bench/run.sh needs root (network namespaces, TUN devices)"; exit 77; }

source scripts/lib/deps.sh
source tests/integration/lib/topo.sh
source bench/lib/measure.sh

if [[ " $GATEWAYS " == *" ours "* ]] && [ -z "${FZGW_BIN:-}" ]; then
  need_packages "${BUILD_PACKAGES[@]}" "${NET_PACKAGES[@]}" gnuplot-nox
  echo "# building build/plain (RelWithDebInfo)"
  mkdir -p build
  cmake -S . -B build/plain -DCMAKE_BUILD_TYPE=RelWithDebInfo >build/plain.configure.log 2>&1 ||
    { cat build/plain.configure.log; exit 1; }
  cmake --build build/plain -j"$(nproc)" --target firezone-gateway filter static fzgw_gen >build/plain.bench-build.log 2>&1 ||
    { tail -30 build/plain.bench-build.log; echo "build failed (build/plain.bench-build.log)"; exit 1; }
  FZGW_BIN=$REPO/build/plain/core/firezone-gateway
  MOD_DIR=$REPO/build/plain/modules
else
  need_packages "${NET_PACKAGES[@]}" gnuplot-nox
fi
GEN=${GEN:-$(dirname "${FZGW_BIN:-.}")/../bench/fzgw_gen}
[ "$GEN_BENCH" = 0 ] || [ -x "$GEN" ] || { echo "no load generator at $GEN (set GEN, or GEN_BENCH=0)" >&2; exit 1; }
export FZGW_BIN MOD_DIR GEN
fzi_require

BENCH_OUT=${BENCH_OUT:-$REPO/build/bench}
mkdir -p "$BENCH_OUT"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
BENCH_TSV="$BENCH_OUT/bench-$stamp.tsv"
BENCH_MD="$BENCH_OUT/bench-$stamp.md"
: >"$BENCH_TSV"

fzi_init
fzi_topo_up || { echo "topology set-up failed"; exit 1; }
echo "# topology fzi-$FZI_ID-*: REPS=$REPS DUR=${DUR}s UDP_RATE=$UDP_RATE UDP_LEN=$UDP_LEN PINGS=$PINGS"
for gw in $GATEWAYS; do
  bench_phase "$gw" || true
done
GEN_TSV="$BENCH_OUT/gen-$stamp.tsv"
if [ "$GEN_BENCH" != 0 ]; then
  source bench/lib/gen_lib.sh
  source bench/lib/gen_measure.sh
  : >"$GEN_TSV"
  gen_bench_setup
  for gw in $GATEWAYS; do
    gen_phase "$gw" || true
  done
  gen_bench_restore
fi
fzi_cleanup

(
  echo "$(date -u +%FT%TZ) on $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), kernel $(uname -r)"
  echo "wireguard-go $(dpkg-query -W -f='${Version}' wireguard-go 2>/dev/null || echo '?'), ours: $("$FZGW_BIN" --version 2>/dev/null | head -1 || echo '?')"
  echo "REPS=$REPS DUR=${DUR}s UDP_RATE=$UDP_RATE UDP_LEN=$UDP_LEN PINGS=$PINGS; cells: mean (min–max)"
  echo
  trc=0
  "$FZI_PY" bench/lib/report.py "$BENCH_TSV" "gateway: wireguard-go vs ours" || trc=1
  if [ "$GEN_BENCH" != 0 ]; then
    echo
    echo "GEN_PEERS=$GEN_PEERS GEN_SESSIONS=$GEN_SESSIONS GEN_PEER_RATE=$GEN_PEER_RATE GEN_SECS=$GEN_SECS GEN_SIZES=$GEN_SIZES GEN_WORKERS=\"$GEN_WORKERS\""
    echo
    "$FZI_PY" bench/lib/gen_report.py table "$GEN_TSV" "load generator: wireguard-go vs ours" || trc=1
  fi
  exit $trc
) >"$BENCH_MD" && rc=0 || rc=$?
"$FZI_PY" bench/lib/gen_report.py plot "$BENCH_TSV" "$GEN_TSV" "$BENCH_OUT/bench-$stamp.svg" &&
  [ -s "$BENCH_OUT/bench-$stamp.svg" ] && echo "# plot: $BENCH_OUT/bench-$stamp.svg"
cat "$BENCH_MD"
echo
echo "# table: $BENCH_MD"
echo "# raw records: $BENCH_TSV"
exit $rc
