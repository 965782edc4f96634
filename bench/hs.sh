#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The handshake phase of the many-peers step alone (bench/README.md, "Handshakes"): our gateway
# with N peers, fzgw_gen handshakes N sessions from N source addresses, REPS times (a fresh
# gateway each time); prints fzgw_gen's "handshakes" line (per_gw_cpu_s, cookies).
# Env: B (build dir with core/firezone-gateway, modules/, bench/fzgw_gen; default build/plain),
#      N (10000), REPS (3), GEN (B/bench/fzgw_gen), PERF=FILE (perf record -g of the gateway
#      during the first repetition), PERF_G (perf's call-graph option, default -g),
#      GEN_HS_THRESHOLD (8192: gateway.handshake_load_threshold, above what a core answers, so
#      the figure is the engine's; empty: the gateway's default, 1,024/s, and cookie replies).
# Needs root (exit 77 otherwise).
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
B=${B:-$REPO/build/plain}; N=${N:-10000}; REPS=${REPS:-3}
GEN_HS_THRESHOLD=${GEN_HS_THRESHOLD-8192}; export GEN_HS_THRESHOLD
[ "$(id -u)" = 0 ] || { echo "SKIP: bench/hs.sh needs root"; exit 77; }
export FZGW_BIN=$B/core/firezone-gateway MOD_DIR=$B/modules GEN=${GEN:-$B/bench/fzgw_gen}
source tests/integration/lib/topo.sh
source bench/lib/gen_lib.sh
source bench/lib/gen_measure.sh
fzi_require
fzi_init
fzi_topo_up >/dev/null || exit 1
GEN_PEERS=$N
gen_bench_setup
pp=""
for r in $(seq 1 "$REPS"); do
  gen_gateway_up ours "$N" || exit 1
  sleep 2
  if [ -n "${PERF:-}" ] && [ "$r" = 1 ]; then
    perf record -F 999 ${PERF_G:--g} -e cpu-clock -p "$FZI_GW_PID" -o "$PERF" >/dev/null 2>&1 &
    pp=$!
    sleep 0.5
  fi
  # the shortest step after the handshakes (fzgw_gen wants one)
  out=$(gen_run --sessions "$N" --src-net "$GEN_SRC_NET" --src-count "$N" \
    --rate 1000 --secs 0.2 --dir c2s --size 100 --label ours 2>&1)
  if [ -n "$pp" ]; then kill -INT "$pp"; wait "$pp"; pp=""; fi
  grep '^handshakes' <<<"$out" || echo "$out" | tail -5
  fzi_stop gateway
done
gen_bench_restore
