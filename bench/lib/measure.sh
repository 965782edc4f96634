# SPDX-License-Identifier: Apache-2.0
# Measurements for bench/run.sh, over the topology of tests/integration/lib/topo.sh (sourced
# first). Each function appends records "GATEWAY<TAB>REP<TAB>TEST<TAB>KEY<TAB>VALUE" to $BENCH_TSV.

# cpu_ticks PID: utime + stime of the whole process (all threads), in clock ticks. The command
# name may contain blanks, so fields are counted after its closing parenthesis.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
now_s() { date +%s.%N; }
CLK_TCK=$(getconf CLK_TCK)

record() { printf '%s\t%s\t%s\t%s\t%s\n' "$BENCH_GW" "$BENCH_REP" "$1" "$2" "$3" >>"$BENCH_TSV"; }

# bench_iperf TEST IPERF3-ARGS...: one iperf3 run from client 0 to the resource, with the CPU
# time the gateway (and client 0's wireguard-go) used meanwhile.
bench_iperf() {
  local test=$1 g0 g1 c0 c1 t0 t1 json; shift
  local perf_pid=""
  # PERF="ours wireguard-go": a call-graph profile of that gateway during the first repetition
  if [[ " ${PERF:-} " == *" $BENCH_GW "* ]] && [ "$BENCH_REP" = 1 ] && command -v perf >/dev/null; then
    perf record -q -F 999 -g -p "$FZI_GW_PID" -o "$BENCH_OUT/perf-$BENCH_GW-$test.data" -- sleep "$DUR" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  g0=$(cpu_ticks "$FZI_GW_PID"); c0=$(cpu_ticks "$BENCH_CL_PID"); t0=$(now_s)
  json=$(ip netns exec "$(fzi_ns c0)" timeout $((DUR + 30)) iperf3 -c "$FZI_RES_LAN" -p 5201 -t "$DUR" -J "$@" 2>&1)
  g1=$(cpu_ticks "$FZI_GW_PID"); c1=$(cpu_ticks "$BENCH_CL_PID"); t1=$(now_s)
  [ -z "$perf_pid" ] || wait "$perf_pid" || true
  echo "$json" | "$FZI_PY" -c '
import json, sys
test, g0, g1, c0, c1, t0, t1, tck = sys.argv[1], *map(float, sys.argv[2:9])
try:
    e = json.load(sys.stdin)["end"]
except Exception as x:
    print("%s\terror\tiperf3 output unreadable" % test); sys.exit(0)
r = e.get("sum_received") or e["sum"]
s = e.get("sum_sent") or e["sum"]
el = t1 - t0
cpu_s = (g1 - g0) / tck
got = r["bytes"]
if "lost_percent" in e.get("sum", {}) and "lost_percent" not in r:
    got = s["bytes"] * (1 - e["sum"]["lost_percent"] / 100)
out = {"mbps": r["bits_per_second"] / 1e6, "gw_cpu_pct": cpu_s / el * 100,
       "cl_cpu_pct": (c1 - c0) / tck / el * 100, "gw_cpu_s": cpu_s, "bytes": got}
if "retransmits" in s: out["retransmits"] = s["retransmits"]
if "lost_percent" in e.get("sum", {}):
    out["loss_pct"] = e["sum"]["lost_percent"]; out["sent_mbps"] = s["bits_per_second"] / 1e6
if got > 0: out["cpu_s_per_gb"] = cpu_s / (got / 1e9)
for k, v in out.items(): print("%s\t%s\t%.6g" % (test, k, v))
' "$test" "$g0" "$g1" "${c0:-0}" "${c1:-0}" "$t0" "$t1" "$CLK_TCK" | while IFS=$'\t' read -r t k v; do record "$t" "$k" "$v"; done
}

# bench_ping: PINGS pings at a 20 ms interval from client 0 to the resource
bench_ping() {
  local out avg loss
  out=$(ip netns exec "$(fzi_ns c0)" ping -c "$PINGS" -i 0.02 -W 1 "$FZI_RES_LAN" 2>&1)
  avg=$(echo "$out" | sed -nE 's|^rtt [^=]*= [0-9.]+/([0-9.]+)/.*|\1|p')
  [ -n "$avg" ] && record ping rtt_avg_ms "$avg"
  ping_stats ping "$out"
}

# ping_stats TEST OUTPUT: min, median and max of the RTTs in ping's OUTPUT, and its loss
ping_stats() {
  local loss
  echo "$2" | sed -nE 's/.* time=([0-9.]+) ms.*/\1/p' | sort -g | awk '
    { v[NR] = $1 }
    END { if (NR) printf "%s %s %s\n", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR] }' |
    { read -r lo med hi && record "$1" rtt_min_ms "$lo" && record "$1" rtt_median_ms "$med" && record "$1" rtt_max_ms "$hi"; } || true
  loss=$(echo "$2" | sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p')
  record "$1" loss_pct "${loss:-100}"
}

# bench_ping_load: PINGS pings at a 20 ms interval while one iperf3 TCP stream runs (from the
# same client, started a second before): the latency the gateway adds under load
bench_ping_load() {
  local ip out
  ip netns exec "$(fzi_ns c0)" timeout $((DUR + 30)) iperf3 -c "$FZI_RES_LAN" -p 5202 -t "$DUR" >/dev/null 2>&1 &
  ip=$!
  sleep 1
  out=$(ip netns exec "$(fzi_ns c0)" ping -c "$PINGS" -i 0.02 -W 1 "$FZI_RES_LAN" 2>&1)
  wait "$ip" || true
  ping_stats ping_load "$out"
}

# bench_phase GATEWAY: start GATEWAY (ours | wireguard-go) with one peer, a fresh client 0,
# check the path (1 MiB by HTTP, sha256), then REPS x (tcp1, tcp4, udp, ping, ping under a TCP stream).
bench_phase() {
  BENCH_GW=$1
  fzi_stop gateway
  if ! FZGW_GATEWAY=$1 fzi_gateway_up 1; then
    echo "# $1: the gateway did not come up"; BENCH_REP=0; record setup error "gateway did not start"; return 1
  fi
  fzi_client_up 0 || { BENCH_REP=0; record setup error "client did not start"; return 1; }
  BENCH_CL_PID=$(fzi_pid wgc0)
  local sha=none
  fzi_warmup 0 10 && sha=$(fzi_fetch_sha 0 1M.bin)
  if [ "$sha" != "$FZI_WWW_SHA" ]; then
    echo "# $1: no working path through the tunnel (ping or 1 MiB HTTP check failed)"
    BENCH_REP=0; record setup error "no working path"; return 1
  fi
  echo "# $1: gateway pid $FZI_GW_PID, path checked (ping, 1 MiB by HTTP); $REPS x (tcp1, tcp4, udp, ping), ${DUR} s each"
  for BENCH_REP in $(seq 1 "$REPS"); do
    bench_iperf tcp1;                                        sleep 1
    bench_iperf tcp4 -P 4;                                   sleep 1
    bench_iperf udp -u -b "$UDP_RATE" -l "$UDP_LEN";         sleep 1
    bench_ping;                                              sleep 1
    bench_ping_load;                                         sleep 1
    echo "#   rep $BENCH_REP done"
  done
  fzi_stop gateway
}
