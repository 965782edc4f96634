#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Relay benchmark, in one call: our gateway with the relay module (filter + portal + relay,
# managed by the portal stand-in) against the relay harness's client (python3-aioice as the
# controlling ICE agent, wireguard-go behind its forwarder) and coturn (tests/integration/relay/
# lib.sh), on four paths, each in fresh namespaces:
#   direct    flat network, the host candidates: peer-to-peer        (issue 11 topology a)
#   srflx     client and gateway each behind a NAT, the gateway's with no open port:
#             through the NATs' server-reflexive addresses            (topology b)
#   relayed   flat network, all UDP between client and gateway dropped: through coturn (c);
#             the client's allocation relays, the gateway sends raw to it (peer-to-relay)
#   relayed-nat  both behind NATs as srflx, and all UDP between the NATs dropped (the demo's
#             topology): here the gateway usually sends through its own allocation as
#             ChannelData (relay-to-peer or relay-to-relay), which is what its CPU per GB is about
# For each: the time from the stand-in sending create_authorization to authorization_created,
# to the client's gathering done, to its ICE connection, and to the first answered ping
# through the tunnel; then (for IPERF_TOPOS) PINGS pings and iperf3 TCP (1 stream, client to
# resource, DUR s) with the CPU seconds of the gateway, coturn, the client's ICE forwarder and
# its wireguard-go (utime+stime from /proc/PID/stat) and the gateway's CPU-s per GB.
# The client side (aioice and the forwarder are Python, one datagram at a time) is the
# throughput bottleneck: compare the gateway's CPU-s per GB, not Mbit/s. See bench/README.md.
# Needs root (exits 77 otherwise).
# Env: REPS (1: fresh namespaces per repetition and path), DUR (10), PINGS (20),
#      TOPOS ("direct srflx relayed relayed-nat"), IPERF_TOPOS ("direct relayed relayed-nat"),
#      FZGW_BIN + MOD_DIR (default: build/plain, built here), BENCH_OUT (build/bench),
#      BENCH_LOG_LEVEL (info: the gateway's log level).
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 1
REPS=${REPS:-1}; DUR=${DUR:-10}; PINGS=${PINGS:-20}
TOPOS=${TOPOS:-direct srflx relayed relayed-nat}; IPERF_TOPOS=${IPERF_TOPOS:-direct relayed relayed-nat}

# ---------------------------------------------------------------- one path, one repetition
# (a child of the main script: BENCH_CHILD=1 BENCH_GW=direct|srflx|relayed BENCH_REP=N BENCH_TSV=...)
bench_relay_child() {
  source tests/integration/relay/lib.sh
  source bench/lib/measure.sh
  fzi_init
  RT_TURN_SECRET=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  PZ_LOG_LEVEL=${BENCH_LOG_LEVEL:-info}
  local topo=flat cu cp t_auth t1 first line
  case "$BENCH_GW" in srflx | relayed-nat) topo=nat ;; esac
  since() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }
  # gw_path WHAT: the kind of the gateway's last "path WHAT" log line; gw_path_is direct|relay
  gw_path() { grep -oE "client $RT_CLIENT_ID: path ($1) [a-z]+-to-[a-z]+" "$FZI_STATE/gateway.log" | tail -n 1 | awk '{print $NF}'; }
  gw_path_is() { case "$(gw_path "nominated|changed")" in peer-to-peer) [ "$1" = direct ] ;; *-to-*) [ "$1" = relay ] ;; *) false ;; esac; }
  err() { record setup error "$1"; echo "# $BENCH_GW: $1"; tail -n 15 "$FZI_STATE/gateway.log" 2>/dev/null | sed 's/^/#   /'; exit 1; }
  rt_topo_up "$topo" || err "topology"
  case "$BENCH_GW" in relayed*) rt_block_udp || err "UDP cut" ;; esac
  fzi_start iperf3 "$(fzi_ns res)" iperf3 -s -B "$FZI_RES_LAN" -p 5201
  fzi_wait_port "$(fzi_ns res)" tcp 5201 || err "iperf3 server"
  fzi_keys 1
  rt_turn_user "$(cat "$FZI_STATE/gateway.pub")" >/dev/null || err "turnadmin"
  read -r cu cp < <(rt_turn_user "$(cat "$FZI_STATE/client0.pub")") || err "turnadmin"
  rt_turn_up || err "coturn"
  rt_standin_up "[$(rt_relay_json "$(cat "$FZI_STATE/gateway.pub")")]" || err "portal stand-in"
  FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" ip netns exec "$(fzi_ns gw)" \
    scripts/gateway-nft.sh "$(fzi_gw_tun)" >/dev/null || err "gateway-nft.sh"
  rt_gateway_conf
  pz_gateway_start
  pz_wait_log "interface $(fzi_gw_tun): $FZI_GW_TUN4/32" 10 || err "the gateway did not join"
  pz_wait_log "relay .*: allocated at" 10 || err "the gateway did not allocate on coturn"

  t_auth=$(now_s)
  rt_authorize bench-1
  pz_ctl '{"cmd":"wait","event":"authorization_created","count":1,"timeout":20}' >/dev/null ||
    err "no authorization_created"
  t1=$(now_s); record auth created_s "$(since "$t_auth" "$t1")"
  rt_client_start "$cu" "$cp" || err "client"
  # the first ping only once the forwarder listens (it binds its socket before gathering): an
  # initiation wireguard-go sends before that is refused by the kernel, and wireguard-go only
  # retries after 5 s; from then on the forwarder keeps datagrams until ICE has a pair
  rt_status_wait "$FZI_STATE/client.status" gathered 20 || err "the client gathered no candidates"
  first=$(rt_first_ping "$t_auth" 30) || err "no answered ping within 30 s"
  record auth first_ping_s "$first"
  for e in gathered connected; do
    t1=$(rt_status_get "$FZI_STATE/client.status" "$e" t)
    [ -n "$t1" ] && record auth "${e}_s" "$(since "$t_auth" "$t1")"
  done
  record auth gw_first_path "$(gw_path nominated)"
  # the client nominates better pairs during its first seconds (ice_peer.py --upgrade-secs), and
  # the gateway follows: wait for the path this topology is about, then 2 s more
  local want=direct i
  case "$BENCH_GW" in relayed*) want=relay ;; esac
  rt_path_wait "$FZI_STATE/client.status" "$want" 15
  for i in $(seq 1 75); do gw_path_is "$want" && break; sleep 0.2; done
  sleep 2
  line=$(gw_path "nominated|changed")
  record auth gw_path "${line:-none}"
  record auth client_pair "$(rt_path "$FZI_STATE/client.status" | sed 's/^[a-z]* | //')"
  echo "# $BENCH_GW rep $BENCH_REP: first answered ping ${first}s after create_authorization; gateway path $(gw_path nominated) first, ${line:-none} now"
  gw_path_is "$want" || err "the gateway's path is ${line:-none}, not $want"

  case " $IPERF_TOPOS " in *" $BENCH_GW "*) ;; *) return 0 ;; esac
  local sha; sha=$(rt_fetch_sha)
  [ "$sha" = "$FZI_WWW_SHA" ] || err "1 MiB HTTP check failed through the tunnel"
  local out
  out=$(ip netns exec "$(fzi_ns c0)" ping -c "$PINGS" -i 0.05 -W 1 -q "$FZI_RES_LAN" 2>&1)
  record ping rtt_avg_ms "$(echo "$out" | sed -nE 's|^rtt [^=]*= [0-9.]+/([0-9.]+)/.*|\1|p')"
  bench_relay_iperf
  local c; c=$(fzi_gw_counters)
  echo "$c" | grep -E 'relayed|paths-' | while read -r k v; do record counters "$k" "$v"; done
  echo "# $BENCH_GW rep $BENCH_REP: iperf3 done"
}

# iperf3 TCP, one stream, client -> resource, with the CPU time of each process on the way
bench_relay_iperf() {
  local pids=("$FZI_GW_PID" "$(fzi_pid turn)" "$(fzi_pid client)" "$(fzi_pid wgc0)") a=() b=() p t0 t1 json
  for p in "${pids[@]}"; do a+=("$(cpu_ticks "$p")"); done
  t0=$(now_s)
  json=$(ip netns exec "$(fzi_ns c0)" timeout $((DUR + 30)) iperf3 -c "$FZI_RES_LAN" -p 5201 -t "$DUR" -J 2>&1)
  t1=$(now_s)
  for p in "${pids[@]}"; do b+=("$(cpu_ticks "$p")"); done
  echo "$json" | "$FZI_PY" -c '
import json, sys
t0, t1, tck = map(float, sys.argv[1:4])
a = [float(x or 0) for x in sys.argv[4:8]]; b = [float(x or 0) for x in sys.argv[8:12]]
try:
    e = json.load(sys.stdin)["end"]
except Exception:
    print("tcp\terror\tiperf3 output unreadable"); sys.exit(0)
r, s, el = e["sum_received"], e["sum_sent"], t1 - t0
out = {"mbps": r["bits_per_second"] / 1e6, "bytes": r["bytes"], "retransmits": s.get("retransmits", 0)}
for name, i in (("gw", 0), ("turn", 1), ("icefwd", 2), ("wgc", 3)):
    cpu = (b[i] - a[i]) / tck
    out[name + "_cpu_s"] = cpu
    out[name + "_cpu_pct"] = cpu / el * 100
    if r["bytes"] > 0:
        out[name + "_cpu_s_per_gb"] = cpu / (r["bytes"] / 1e9)
for k, v in out.items(): print("tcp\t%s\t%.6g" % (k, v))
' "$t0" "$t1" "$CLK_TCK" "${a[@]}" "${b[@]}" | while IFS=$'\t' read -r t k v; do record "$t" "$k" "$v"; done
}

if [ -n "${BENCH_CHILD:-}" ]; then
  bench_relay_child
  exit $?
fi

# ---------------------------------------------------------------- the main script
case "${1:-}" in -h|--help) awk 'NR >= 3 && /^#/ {sub(/^# ?/, ""); print; next} NR >= 3 {exit}' "$0"; exit 0 ;; "") ;; *) echo "usage: $0 (settings through the environment, see --help)" >&2; exit 64 ;; esac
[[ "$REPS" =~ ^[1-9][0-9]*$ && "$DUR" =~ ^[1-9][0-9]*$ && "$PINGS" =~ ^[1-9][0-9]*$ ]] || { echo "REPS, DUR and PINGS are positive integers" >&2; exit 64; }
for t in $TOPOS $IPERF_TOPOS; do
  case "$t" in direct | srflx | relayed | relayed-nat) ;; *) echo "TOPOS/IPERF_TOPOS: direct, srflx, relayed, relayed-nat (not '$t')" >&2; exit 64 ;; esac
done
[ "$(id -u)" = 0 ] || { echo "SKIP: bench/relay.sh needs root (network namespaces, TUN devices)"; exit 77; }
source scripts/lib/deps.sh
if [ -z "${FZGW_BIN:-}" ]; then
  need_packages "${BUILD_PACKAGES[@]}" "${NET_PACKAGES[@]}"
  echo "# building build/plain (RelWithDebInfo)"
  mkdir -p build
  cmake -S . -B build/plain -DCMAKE_BUILD_TYPE=RelWithDebInfo >build/plain.configure.log 2>&1 ||
    { cat build/plain.configure.log; exit 1; }
  cmake --build build/plain -j"$(nproc)" --target firezone-gateway filter portal relay >build/plain.bench-build.log 2>&1 ||
    { tail -30 build/plain.bench-build.log; echo "build failed (build/plain.bench-build.log)"; exit 1; }
  FZGW_BIN=$REPO/build/plain/core/firezone-gateway
  MOD_DIR=$REPO/build/plain/modules
else
  need_packages "${NET_PACKAGES[@]}"
fi
export FZGW_BIN MOD_DIR REPS DUR PINGS IPERF_TOPOS
source tests/integration/relay/lib.sh
pz_require
rt_require iperf3

BENCH_OUT=${BENCH_OUT:-$REPO/build/bench}
mkdir -p "$BENCH_OUT"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
BENCH_TSV="$BENCH_OUT/relay-$stamp.tsv"
BENCH_MD="$BENCH_OUT/relay-$stamp.md"
: >"$BENCH_TSV"
echo "# REPS=$REPS DUR=${DUR}s PINGS=$PINGS; paths: $TOPOS; iperf3 on: $IPERF_TOPOS"
rc=0
for rep in $(seq 1 "$REPS"); do
  for t in $TOPOS; do
    BENCH_CHILD=1 BENCH_GW=$t BENCH_REP=$rep BENCH_TSV=$BENCH_TSV timeout $((DUR + 150)) bash "$0" || rc=1
  done
done
(
  echo "$(date -u +%FT%TZ) on $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), kernel $(uname -r)"
  echo "ours: $("$FZGW_BIN" --version 2>/dev/null | head -1 || echo '?'), coturn $(dpkg-query -W -f='${Version}' coturn 2>/dev/null || echo '?'), python3-aioice $(dpkg-query -W -f='${Version}' python3-aioice 2>/dev/null || echo '?'), wireguard-go $(dpkg-query -W -f='${Version}' wireguard-go 2>/dev/null || echo '?')"
  echo "REPS=$REPS DUR=${DUR}s PINGS=$PINGS; cells: mean (min–max)"
  echo
  /usr/bin/python3 bench/lib/relay_report.py "$BENCH_TSV"
) >"$BENCH_MD" || rc=1
cat "$BENCH_MD"
echo
echo "# table: $BENCH_MD"
echo "# raw records: $BENCH_TSV"
exit $rc
