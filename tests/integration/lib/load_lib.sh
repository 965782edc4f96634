# SPDX-License-Identifier: Apache-2.0
# Helpers of the load and time tests (tests/integration/load_*.sh), on top of topo.sh. Source it.
#   pass/fail/checkif/finish   TAP-like lines and the summary; finish cleans up and exits
#   ld_flooder_up              namespace fzi-ID-fl on the "internet" bridge (198.51.100.50): the
#                              flood sources 10.77.0.0/18 are routed there from the gateway and
#                              every reply to them is dropped on arrival (no ARP wait, no ICMP)
#   ld_flood KIND SECS [ARGS]  fzgw_loadgen flood from there (KIND init|badmac|garbage), waits;
#                              its "sent N seconds S rate R" line in $LD_FLOOD_OUT
#   ld_rss_kb PID / ld_cpu_ticks PID   VmRSS in KiB; utime+stime in clock ticks
#   ld_counters ARRAY          the gateway's SIGUSR1 counters into an associative array
#   ld_delta BEFORE AFTER NAME the rise of one counter
#   ld_asan                    true in the sanitizer build (FZGW_ASAN=1, set by ctest)
# Env: LOADGEN (fzgw_loadgen, set by ctest), FZGW_BIN, MOD_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/topo.sh"

LD_FLOOD_NET=10.77.0.0
LD_FLOOD_PFX=10.77.0.0/18
LD_FLOOD_ADDR=198.51.100.50
finish() { fzi_finish 25; }
ld_asan() { [ "${FZGW_ASAN:-0}" = 1 ]; }
ld_need() {
  [ -n "${FZGW_BIN:-}" ] && [ -n "${MOD_DIR:-}" ] && [ -x "${LOADGEN:-}" ] ||
    { echo "usage: FZGW_BIN=.../firezone-gateway MOD_DIR=.../modules LOADGEN=.../fzgw_loadgen $0" >&2; exit 64; }
}
GWNS() { ip netns exec "$(fzi_ns gw)" "$@"; }
CNS() { local n=$1; shift; ip netns exec "$(fzi_ns "c$n")" "$@"; }

ld_flooder_up() {
  fzi_ns_add fl
  fzi_attach_inet fl "$LD_FLOOD_ADDR/24"
  ip -n "$(fzi_ns gw)" route add "$LD_FLOOD_PFX" via "$LD_FLOOD_ADDR"
  ip netns exec "$(fzi_ns fl)" nft -f - <<NFT
table ip ldflood {
  chain ldpre {
    type filter hook prerouting priority -300; policy accept;
    ip daddr $LD_FLOOD_PFX drop
  }
}
NFT
}

ld_flood() { # ld_flood KIND SECONDS [extra loadgen args]
  local kind=$1 secs=$2; shift 2
  LD_FLOOD_OUT=$(ip netns exec "$(fzi_ns fl)" "$LOADGEN" flood --kind "$kind" \
    --target "$FZI_GW_INET:$FZI_WG_PORT" --pub "$(cat "$FZI_STATE/gateway.pub")" \
    --src-net "$LD_FLOOD_NET" --src-count 10000 --seconds "$secs" "$@" 2>&1)
}
ld_flood_rate() { echo "$LD_FLOOD_OUT" | awk '/^sent/ {print $6}'; }
ld_flood_sent() { echo "$LD_FLOOD_OUT" | awk '/^sent/ {print $2}'; }

ld_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
ld_cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
ld_hz() { getconf CLK_TCK; }

ld_counters() {
  local -n arr=$1; local k v
  arr=()
  while read -r k v; do arr[$k]=$v; done < <(fzi_gw_counters)
}
ld_delta() { local -n b=$1 a=$2; echo $(( ${a[$3]:-0} - ${b[$3]:-0} )); }
# ld_counter_name ARRAY SUFFIX: the first counter whose name ends in SUFFIX
ld_counter_name() { local -n arr=$1; local k; for k in "${!arr[@]}"; do [[ "$k" == *"$2" ]] && { echo "$k"; return; }; done; }

# ld_iperf N PORT SECONDS: TCP throughput in Mbit/s (received) from client N to the resource
ld_iperf() {
  CNS "$1" timeout $(($3 + 15)) iperf3 -c "$FZI_RES_LAN" -p "$2" -t "$3" -J 2>/dev/null | "$FZI_PY" -c '
import json, sys
try: print("%.1f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))
except Exception: print("0")'
}
# ld_udp_drops: datagrams the kernel dropped at the gateway's WireGuard socket (full receive queue)
ld_udp_drops() {
  GWNS cat /proc/net/udp | awk -v p="$(printf ':%04X' "$FZI_WG_PORT")" '$2 ~ p"$" {s += $NF} END {print s + 0}'
}
LD_PROBE="$(dirname "${BASH_SOURCE[0]}")/load_probe.py"
