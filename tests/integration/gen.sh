#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The load generator (bench/fzgw_gen.c, issue 14) must see loss when there is some:
#   1. our gateway (static + filter) with GEN_SESSIONS identities; fzgw_gen handshakes them
#      (from as many source addresses), then runs client->site and site->client steps of
#      1,420- and 100-byte packets at GEN_RATE/s: exit 0, every step "pass", received = sent,
#      the sampled site->client packets decrypt and carry the step's payload
#   2. the same run with an nftables rule in the gateway's namespace dropping 5 % of the
#      packets to and from the sink's port (numgen random): fzgw_gen exits 1, every step says
#      "loss" with a loss between 1 and 15 %
#   3. the gateway survived both; under ASan nothing from a sanitizer in its log or the
#      generator's output
# Env: GEN, FZGW_BIN, MOD_DIR (ctest sets them), GEN_RATE (2000; 500 under ASan),
# GEN_SESSIONS (32). Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib/topo.sh"
source "$(dirname "$0")/../../bench/lib/gen_lib.sh"
[ -x "${GEN:-}" ] && [ -n "${FZGW_BIN:-}" ] && [ -n "${MOD_DIR:-}" ] ||
  { echo "usage: GEN=.../fzgw_gen FZGW_BIN=.../firezone-gateway MOD_DIR=.../modules $0" >&2; exit 64; }
fzi_require
if [ "${FZGW_ASAN:-0}" = 1 ]; then RATE=${GEN_RATE:-500}; else RATE=${GEN_RATE:-2000}; fi
NS=${GEN_SESSIONS:-32}
fzi_init
fzi_topo_up || { fail "topology"; fzi_finish 3; }
gen_keys "$NS"
gen_ns_up
gen_gateway_up ours "$NS" || { fail "gateway with $NS peers"; fzi_finish 3; }
GW=$FZI_GW_PID
ARGS=(--rate "$RATE" --secs 2 --size 1420,100 --dir c2s,s2c --src-net "$GEN_SRC_NET" --src-count "$NS")

# steps_ok OUT VERDICT LOW HIGH: four step lines, each with VERDICT and a loss in [LOW, HIGH] %
steps_ok() {
  "$FZI_PY" - "$1" "$2" "$3" "$4" <<'PY'
import sys
out, verdict, lo, hi = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
steps = [dict(kv.split("=", 1) for kv in l.split()[1:]) for l in out.splitlines() if l.startswith("step ")]
seen = sorted((s["dir"], s["size"]) for s in steps)
ok = seen == [("c2s", "100"), ("c2s", "1420"), ("s2c", "100"), ("s2c", "1420")]
for s in steps:
    ok &= s["verdict"] == verdict and lo <= float(s["loss_pct"]) <= hi and int(s["sent"]) > 0
    if s["dir"] == "s2c":  # the decrypted sample: all good, and some of it
        ok &= int(s["auth_ok"]) > 0 and int(s["auth_fail"]) == 0
sys.exit(0 if ok else 1)
PY
}

out=$(gen_run "${ARGS[@]}" 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'; all=$out
hs=$(grep '^handshakes ' <<<"$out")
checkif "$NS sessions handshaken from $NS source addresses: ok=$(gen_field "$hs" ok) failed=$(gen_field "$hs" failed)" \
  '[ "$(gen_field "$hs" ok)" = "$NS" ] && [ "$(gen_field "$hs" failed)" = 0 ]'
checkif "clean run at $RATE/s: exit $rc (want 0), 4 steps pass, received = sent" \
  '[ "$rc" = 0 ] && steps_ok "$out" pass 0 0'

ip netns exec "$(fzi_ns gw)" nft -f - <<NFT
table inet gentest {
  chain gdrop {
    type filter hook forward priority 0; policy accept;
    udp dport $GEN_SINK_PORT numgen random mod 100 < 5 drop
    udp sport $GEN_SINK_PORT numgen random mod 100 < 5 drop
  }
}
NFT
out=$(gen_run "${ARGS[@]}" 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'; all+=$out
checkif "the same run with 5 % dropped at the gateway: exit $rc (want 1), every step reports the loss (1-15 %)" \
  '[ "$rc" = 1 ] && steps_ok "$out" loss 1 15'
ip netns exec "$(fzi_ns gw)" nft delete table inet gentest

checkif "the gateway runs; no sanitizer report from it or the generator" \
  'kill -0 "$GW" && ! grep -qE "Sanitizer|runtime error" "$FZI_STATE/gateway.log" && ! grep -qE "Sanitizer|runtime error" <<<"$all"'
fzi_finish 3
