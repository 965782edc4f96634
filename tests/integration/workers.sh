#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Output workers (gateway.workers, docs/architecture.md "Threads") in network namespaces: our
# gateway with workers = WORKERS (default 3: the loop and 2 output workers) and two wireguard-go
# clients at the same time:
#   - the start-up line says the thread count; the process has WORKERS-1 threads named fzgw-out-N
#   - both clients at once: iperf3 UDP client->site for one and site->client for the other
#     (loss < 5%, no datagram out of order: a session's packets stay on one worker), then the
#     other way round; iperf3 TCP both at once (each > 1 Mbit/s); HTTP GET of 1 MiB each (sha256)
#   - the data went through the workers (the TUN and UDP write counters did not say full) and
#     SIGTERM ends it within 3 s with status 0 (workers drained and joined)
# Env: FZGW_BIN, MOD_DIR (set by ctest); WORKERS (3), UDP_RATE (50M); FZI_KEEP=1 keeps the
# state dir. Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib/topo.sh"
UDP_RATE=${UDP_RATE:-50M}
WORKERS=${WORKERS:-3}
[ -n "${FZGW_BIN:-}" ] && [ -n "${MOD_DIR:-}" ] ||
  { echo "usage: FZGW_BIN=.../firezone-gateway MOD_DIR=.../modules $0" >&2; exit 64; }
fzi_require

finish() { fzi_finish 25; }
CNS() { local n=$1; shift; ip netns exec "$(fzi_ns "c$n")" "$@"; }
declare -A C0=() C1=()

# iperf_json FILE: "Mbit/s loss% out-of-order" of an iperf3 -J result; the receiver's
# out-of-order count is in its streams (the client's with -R, the server's output otherwise)
iperf_json() {
  "$FZI_PY" - "$1" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
    e = j["end"]
    s = e.get("sum_received") or e["sum"]
    if "lost_percent" not in e.get("sum", {}):
        print("%.1f 0 0" % (s["bits_per_second"] / 1e6))
        sys.exit(0)
    srv = j.get("server_output_json", {}).get("end", {}).get("streams", [])
    ooo = sum(st.get("udp", {}).get("out_of_order", 0) for st in e["streams"] + srv)
    if not any("out_of_order" in st.get("udp", {}) for st in e["streams"] + srv):
        ooo = -1  # the receiver's count is missing: the check cannot pass
    print("%.1f %.2f %d" % (s["bits_per_second"] / 1e6, e["sum"]["lost_percent"], ooo))
except Exception:
    print("? 100 -1")
PY
}

# both N ARGS0 ARGS1: iperf3 from client 0 (port 5201) and client 1 (5202) at the same time
both() {
  CNS 0 timeout 30 iperf3 -c "$FZI_RES_LAN" -p 5201 -t 3 $1 -J --get-server-output \
    >"$FZI_STATE/ip0.json" 2>/dev/null &
  local p0=$!
  CNS 1 timeout 30 iperf3 -c "$FZI_RES_LAN" -p 5202 -t 3 $2 -J --get-server-output \
    >"$FZI_STATE/ip1.json" 2>/dev/null &
  local p1=$!
  wait $p0 $p1
}

fzi_init
echo "# state: $FZI_STATE; namespaces fzi-$FZI_ID-*; workers = $WORKERS"
if ! fzi_topo_up; then fail "topology and resource servers"; finish; fi
if ! FZI_WORKERS=$WORKERS fzi_gateway_up 2; then fail "gateway up with workers = $WORKERS"; finish; fi
line=$(grep -m1 -E 'data plane: [0-9]+ thread' "$FZI_STATE/gateway.log")
checkif "start-up line \"${line#*core: }\" (want $WORKERS threads)" \
  "[[ \"\$line\" == *\"data plane: $WORKERS threads (loop + $((WORKERS - 1)) output workers)\"* ]]"
names=$(cat /proc/"$FZI_GW_PID"/task/*/comm 2>/dev/null | grep '^fzgw-out-' | sort | tr '\n' ' ')
want=$(for i in $(seq 0 $((WORKERS - 2))); do echo "fzgw-out-$i"; done | sort | tr '\n' ' ')
checkif "threads of pid $FZI_GW_PID named fzgw-out-N: ${names:-none} (want $want)" '[ "$names" = "$want" ]'

for n in 0 1; do
  fzi_client_up "$n" || { fail "wireguard-go client $n"; finish; }
  fzi_warmup "$n" 10 || { fail "client$n: no answer to ping within 10 s"; finish; }
done
pass "two clients up, both answered through the tunnel"
fzi_counters_snap C0

# UDP: one client each way, then swapped: both directions of both sessions, at the same time
for round in "|-R" "-R|"; do
  both "-u -b $UDP_RATE -l 1350 ${round%|*}" "-u -b $UDP_RATE -l 1350 ${round#*|}"
  for n in 0 1; do
    read -r mbps lost ooo <<<"$(iperf_json "$FZI_STATE/ip$n.json")"
    dir=$([ "$n" = 0 ] && echo "${round%|*}" || echo "${round#*|}")
    checkif "client$n iperf3 UDP $([ -n "$dir" ] && echo 'site->client' || echo 'client->site') at $UDP_RATE, beside the other client: $mbps Mbit/s, loss $lost% (< 5%), $ooo out of order (want 0)" \
      "\"$FZI_PY\" -c \"import sys; sys.exit(0 if float('$lost') < 5 else 1)\" && [ \"$ooo\" = 0 ]"
  done
done

# TCP: both at once, one each way
both "" "-R"
for n in 0 1; do
  read -r mbps _ _ <<<"$(iperf_json "$FZI_STATE/ip$n.json")"
  checkif "client$n iperf3 TCP $([ "$n" = 0 ] && echo 'client->site' || echo 'site->client'), beside the other client: $mbps Mbit/s (> 1)" \
    "\"$FZI_PY\" -c \"import sys; sys.exit(0 if float('$mbps') > 1 else 1)\""
done

# HTTP: both at once
fzi_fetch_sha 0 1M.bin >"$FZI_STATE/sha0" & p0=$!
fzi_fetch_sha 1 1M.bin >"$FZI_STATE/sha1" & p1=$!
wait $p0 $p1
for n in 0 1; do
  got=$(cat "$FZI_STATE/sha$n")
  checkif "client$n HTTP GET of 1 MiB beside the other, sha256 $([ "$got" = "$FZI_WWW_SHA" ] && echo matches || echo differs)" \
    '[ "$got" = "$FZI_WWW_SHA" ]'
done

fzi_counters_snap C1
echo "# counters: rx-tun-full +$(fzi_counters_delta C0 C1 core.rx-tun-full), tx-udp-full +$(fzi_counters_delta C0 C1 core.tx-udp-full), tx-worker-wait +$(fzi_counters_delta C0 C1 core.tx-worker-wait), rx-tun-coalesced +$(fzi_counters_delta C0 C1 core.rx-tun-coalesced), tx-udp-gso +$(fzi_counters_delta C0 C1 core.tx-udp-gso)"
rx=$(awk '/stats wg:/ { for (i = 1; i <= NF; i++) if ($i ~ /^rx_data=/) { sub(/rx_data=/, "", $i); v = $i } } END { print v + 0 }' "$FZI_STATE/gateway.log")
tx=$(awk '/stats wg:/ { for (i = 1; i <= NF; i++) if ($i ~ /^tx_data=/) { sub(/tx_data=/, "", $i); v = $i } } END { print v + 0 }' "$FZI_STATE/gateway.log")
checkif "the engine's data counters: rx_data $rx, tx_data $tx (each > 10000)" '[ "$rx" -gt 10000 ] && [ "$tx" -gt 10000 ]'

t0=$(date +%s%N); kill -TERM "$FZI_GW_PID"
rc=timeout; for i in $(seq 1 30); do kill -0 "$FZI_GW_PID" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$FZI_GW_PID" 2>/dev/null; then wait "$FZI_GW_PID"; rc=$?; fi
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "SIGTERM: exit status $rc after $ms ms (want 0 within 3 s)" [ "$rc" = 0 ]
checkif "no sanitizer report in the gateway's log" \
  '! grep -qE "AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:" "$FZI_STATE/gateway.log"'
finish
