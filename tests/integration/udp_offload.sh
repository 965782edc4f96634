#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# UDP offloads on the WireGuard sockets (docs/net.md, "UDP offloads") in network namespaces with
# a real wireguard-go client, first with gateway.udp_offload on (the default), then off:
#   - the start-up line says what the kernel granted; GRO on the gateway's uplink veth (ethtool)
#     so the kernel coalesces what the client sends
#   - 3000 numbered datagrams of 1200 bytes through the tunnel to an echo server on the site
#     and back, every byte checked (>= 95% back, none corrupt)
#   - the TUN (offload on, USO granted): the echo's datagrams to the site coalesced into
#     GSO_UDP_L4 writes (rx-tun-coalesced)
#   - iperf3 UDP both ways at UDP_RATE (loss < 5%); HTTP GET of 1 MiB, sha256 checked
#   - on: tx-udp-gso and (with GRO on the veth) rx-udp-gro rose; off: neither moved
# Env: FZGW_BIN, MOD_DIR (set by ctest); UDP_RATE (default 50M, as net_datapath: above it a
# loaded machine starves the iperf3 server, whose socket overflows); FZI_KEEP=1 keeps the state.
# Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib/topo.sh"
UDP_RATE=${UDP_RATE:-50M}
[ -n "${FZGW_BIN:-}" ] && [ -n "${MOD_DIR:-}" ] ||
  { echo "usage: FZGW_BIN=.../firezone-gateway MOD_DIR=.../modules $0" >&2; exit 64; }
fzi_require

ECHO_PORT=9777
ECHO="$(dirname "$0")/lib/udp_echo.py"
finish() { fzi_finish 25; }
GWNS() { ip netns exec "$(fzi_ns gw)" "$@"; }
CNS() { ip netns exec "$(fzi_ns c0)" "$@"; }
declare -A C0=() C1=() CE=()
snap() { local -n arr=$1; local k v; arr=(); while read -r k v; do arr[$k]=$v; done < <(fzi_gw_counters); }
delta() { local -n b=$1 a=$2; echo $(( ${a[core.$3]:-0} - ${b[core.$3]:-0} )); }

iperf_udp() { # iperf_udp [-R]: "Mbit/s loss%"
  CNS timeout 25 iperf3 -c "$FZI_RES_LAN" -p 5201 -u -b "$UDP_RATE" -l 1350 -t 2 "$@" -J 2>/dev/null |
    "$FZI_PY" -c '
import json, sys
try:
    e = json.load(sys.stdin)["end"]
    s = e.get("sum_received") or e["sum"]
    print("%.1f %.2f" % (s["bits_per_second"] / 1e6, e["sum"]["lost_percent"]))
except Exception:
    print("? 100")'
}

# one round: the checks of the data path with udp_offload = $1
round() {
  local on=$1 line res mbps lost got gso gro
  FZI_UDP_OFFLOAD=$on fzi_gateway_up 1 || { fail "gateway up (udp_offload = $on)"; return 1; }
  line=$(grep -m1 -E 'UDP port [0-9]+: offloads' "$FZI_STATE/gateway.log")
  if [ "$on" = true ]; then
    checkif "udp_offload = true: start-up line \"${line#*: }\" (GSO and GRO granted)" \
      '[[ "$line" == *"IPv4 GSO and GRO, IPv6 GSO and GRO"* ]]'
  else
    checkif "udp_offload = false: start-up line \"${line#*: }\"" '[[ "$line" == *"offloads off"* ]]'
  fi
  fzi_client_up 0 || { fail "wireguard-go client"; return 1; }
  fzi_warmup 0 10 || { fail "no answer to ping through the tunnel"; return 1; }
  snap C0
  res=$(CNS timeout 30 "$FZI_PY" "$ECHO" check "$FZI_RES_LAN" "$ECHO_PORT" 3000 1200)
  read -r _ sent _ back _ intact _ corrupt <<<"${res:-sent 0 back 0 intact 0 corrupt 1}"
  checkif "udp_offload = $on: echo of 3000 x 1200 B through the tunnel: $back back, all intact, $corrupt corrupt (>= 2700, 0)" \
    '[ "${back:-0}" -ge 2700 ] && [ "${corrupt:-1}" = 0 ]'
  # the echo's datagrams to the site leave through the TUN: with USO, a batch's datagrams of
  # the flow go as one GSO_UDP_L4 write (gateway.tun.offload, independent of udp_offload)
  snap CE
  if grep -q 'TCP and UDP writes coalesced' "$FZI_STATE/gateway.log"; then
    co=$(delta C0 CE rx-tun-coalesced)
    checkif "TUN with USO: the echo's datagrams coalesced into UDP GSO writes (rx-tun-coalesced +$co > 0), and they arrived intact (above)" \
      '[ "$co" -gt 0 ]'
  fi
  for dir in "" -R; do
    read -r mbps lost <<<"$(iperf_udp $dir)"
    check "udp_offload = $on: iperf3 UDP ${dir:-client->site}${dir:+ (site->client)} at $UDP_RATE: $mbps Mbit/s, loss $lost% (< 5%)" \
      "$FZI_PY" -c "import sys; sys.exit(0 if float('$lost') < 5 else 1)"
  done
  got=$(fzi_fetch_sha 0 1M.bin)
  checkif "udp_offload = $on: HTTP GET of 1 MiB through the tunnel, sha256 $([ "$got" = "$FZI_WWW_SHA" ] && echo matches || echo differs)" \
    '[ "$got" = "$FZI_WWW_SHA" ]'
  snap C1
  gso=$(delta C0 C1 tx-udp-gso); gro=$(delta C0 C1 rx-udp-gro)
  echo "# udp_offload = $on: tx-udp-gso +$gso (sends +$(delta C0 C1 tx-udp-gso-sends)), rx-udp-gro +$gro (datagrams +$(delta C0 C1 rx-udp-gro-datagrams)), gso-off +$(delta C0 C1 tx-udp-gso-off), gro-bad +$(delta C0 C1 rx-udp-gro-bad)"
  if [ "$on" = true ]; then
    checkif "GSO used: tx-udp-gso +$gso datagrams sent inside UDP_SEGMENT sends (> 100), never turned off" \
      '[ "$gso" -gt 100 ] && [ "$(delta C0 C1 tx-udp-gso-off)" = 0 ]'
    if [ "$HAVE_ETHTOOL" = 1 ]; then
      checkif "GRO used: rx-udp-gro +$gro coalesced reads (> 0), none refused" \
        '[ "$gro" -gt 0 ] && [ "$(delta C0 C1 rx-udp-gro-bad)" = 0 ]'
    fi
  else
    checkif "udp_offload = false: no GSO send (+$gso), no coalesced read (+$gro)" '[ "$gso" = 0 ] && [ "$gro" = 0 ]'
  fi
  fzi_stop wgc0
  fzi_stop gateway
  checkif "udp_offload = $on: no sanitizer report in the gateway's log" \
    '! grep -qE "AddressSanitizer|LeakSanitizer|runtime error:" "$FZI_STATE/gateway.log"'
}

fzi_init
echo "# state: $FZI_STATE; namespaces fzi-$FZI_ID-*; kernel $(uname -r)"
if ! fzi_topo_up; then fail "topology and resource servers"; finish; fi
fzi_start echo "$(fzi_ns res)" "$FZI_PY" "$ECHO" serve "$FZI_RES_LAN" "$ECHO_PORT"
fzi_wait_port "$(fzi_ns res)" udp "$ECHO_PORT" || fail "echo server"
# the kernel coalesces only on a device that does GRO: a veth does once it is asked to
HAVE_ETHTOOL=0
if command -v ethtool >/dev/null && GWNS ethtool -K inet0 gro on 2>/dev/null; then
  HAVE_ETHTOOL=1
  # a veth hands forwarded packets to its peer's GRO only when the sending end does no TSO
  # (veth_skb_is_eligible_for_gro); threaded NAPI: the poll runs in a kernel thread, not in
  # the sender's system call, so it finds several of wireguard-go's datagrams at once (as a
  # NIC's interrupt does)
  ip netns exec "$(fzi_ns inet)" ethtool -K p-gw tso off 2>/dev/null || true
  GWNS sh -c 'echo 1 >/sys/class/net/inet0/threaded' 2>/dev/null || true
  pass "GRO on the gateway's uplink veth ($(GWNS ethtool -k inet0 | grep -m1 '^generic-receive-offload'), threaded NAPI $(GWNS cat /sys/class/net/inet0/threaded 2>/dev/null))"
else
  echo "# no ethtool (or the veth refused GRO): coalesced reads are not checked"
fi
round true
round false
finish
