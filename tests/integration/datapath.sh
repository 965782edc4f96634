#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The data path end to end, in network namespaces (tests/integration/lib/topo.sh): our gateway in
# standalone mode (static + filter) with two wireguard-go clients, client 1 with a preshared key.
#   - operator set-up: scripts/gateway-nft.sh in the gateway's namespace, idempotent, --remove
#   - the TUN as the gateway sets it up: addresses, MTU, routes of the tunnel prefixes
#   - from each client: ping (IPv4 and IPv6), 1 MiB over HTTP checked by sha256, iperf3 UDP
#   - a client with a wrong preshared key gets no session
#   - roaming: client 0 changes address and port and keeps working
#   - replay: one captured WireGuard data datagram resent 100 times is not delivered again, and
#     the gateway's replay counter (a SIGUSR1 "stats" line whose name contains "replay") rises by 100
#   - spoofing: client 0 sends with client 1's tunnel address as source; nothing reaches the
#     resource, and a counter whose name says so (spoof/src/source/allowed) rises
#   - SIGTERM: exit 0 within 3 s, the TUN is gone; nothing is left behind
# Env: FZGW_BIN, MOD_DIR (set by ctest); FZGW_GATEWAY=wireguard-go runs wireguard-go as the
# gateway instead (the counter and our-TUN checks are then skipped); UDP_RATE (default 50M),
# UDP_SECS (2); FZI_WORKERS (gateway.workers, and a check of the worker threads); FZI_KEEP=1
# keeps the state dir. Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib/topo.sh"
MODE=${FZGW_GATEWAY:-ours}
UDP_RATE=${UDP_RATE:-50M}
UDP_SECS=${UDP_SECS:-2}

case "$MODE" in
  ours) [ -n "${FZGW_BIN:-}" ] && [ -n "${MOD_DIR:-}" ] ||
          { echo "usage: FZGW_BIN=.../firezone-gateway MOD_DIR=.../modules $0  (or FZGW_GATEWAY=wireguard-go $0)" >&2; exit 64; } ;;
  wireguard-go) ;;
  *) echo "FZGW_GATEWAY must be ours or wireguard-go" >&2; exit 64 ;;
esac
fzi_require


finish() { fzi_finish 25; }
ours() { [ "$MODE" = ours ]; }
GWNS() { ip netns exec "$(fzi_ns gw)" "$@"; }
CNS() { local n=$1; shift; ip netns exec "$(fzi_ns "c$n")" "$@"; }

# The gateway's counters (SIGUSR1 "stats" lines, read by fzi_gw_counters) are compared before and
# after an event by name pattern, so the check does not depend on their exact names.
declare -A C0=()
# delta_report BEFORE AFTER REGEX EXCLUDE: prints "name+delta ..." for matching counters that rose
delta_report() {
  local -n b=$1 a=$2; local k d out=""
  for k in "${!a[@]}"; do
    [[ "$k" =~ $3 ]] || continue
    [ -n "$4" ] && [[ "$k" =~ $4 ]] && continue
    d=$(( ${a[$k]} - ${b[$k]:-0} ))
    [ $d -gt 0 ] && out+="$k+$d "
  done
  echo "${out% }"
}
delta_sum() { local s=0 e; for e in $1; do s=$((s + ${e##*+})); done; echo $s; }
all_deltas() { delta_report "$1" "$2" '.' ''; }

fzi_init
echo "# gateway: $MODE; state: $FZI_STATE; namespaces fzi-$FZI_ID-*"

# ------------------------------------------------------------------ set-up
if ! fzi_topo_up; then fail "topology and resource servers"; finish; fi
pass "topology: namespaces, bridge, LAN, resource servers (HTTP, iperf3, UDP listener)"
if ! fzi_gateway_up 2; then fail "gateway ($MODE) up with TUN $(fzi_gw_tun) and UDP $FZI_WG_PORT"; finish; fi
pass "gateway ($MODE) up, pid $FZI_GW_PID, TUN $(fzi_gw_tun), UDP $FZI_WG_PORT"
if ours && [ -n "${FZI_WORKERS:-}" ]; then # gateway.workers set (net_datapath_w2)
  nout=$(cat /proc/"$FZI_GW_PID"/task/*/comm 2>/dev/null | grep -c '^fzgw-out-')
  check "gateway.workers = $FZI_WORKERS: $nout output worker thread(s) named fzgw-out-N (want $((FZI_WORKERS - 1)))" \
    [ "$nout" = $((FZI_WORKERS - 1)) ]
fi

# the operator's nftables set-up: one table, the same after a second run, sysctls on
tables=$(GWNS nft list tables | grep -c '^table inet firezone-gateway$')
FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" GWNS "$FZI_REPO/scripts/gateway-nft.sh" "$(fzi_gw_tun)" >/dev/null
tables2=$(GWNS nft list tables | grep -c '^table inet firezone-gateway$')
sysv=$(GWNS cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding /proc/sys/net/ipv4/conf/all/src_valid_mark | tr -d '\n')
masq=$(GWNS nft list table inet firezone-gateway | grep -c masquerade)
if [ "$tables" = 1 ] && [ "$tables2" = 1 ] && [ "$sysv" = 111 ] && [ "$masq" = 2 ]; then
  pass "gateway-nft.sh: one table inet firezone-gateway (also after a re-run), 2 masquerade rules, forwarding sysctls on"
else
  fail "gateway-nft.sh: tables $tables then $tables2, sysctls $sysv, masquerade rules $masq"
fi

if ours; then
  tun=$(fzi_gw_tun)
  a4=$(ip -n "$(fzi_ns gw)" -4 addr show dev "$tun" | grep -c "inet $FZI_GW_TUN4/32")
  a6=$(ip -n "$(fzi_ns gw)" -6 addr show dev "$tun" | grep -c "inet6 $FZI_GW_TUN6/128")
  mtu=$(ip -n "$(fzi_ns gw)" -o link show dev "$tun" | sed -nE 's/.* mtu ([0-9]+).*/\1/p')
  # policy routing as the original: in table 0x2021fd00, none in the main table (docs/net.md)
  r4=$(ip -n "$(fzi_ns gw)" route show table 0x2021fd00 "$FZI_TUN4_PFX" dev "$tun" | grep -c .)
  r6=$(ip -n "$(fzi_ns gw)" -6 route show table 0x2021fd00 "$FZI_TUN6_PFX" dev "$tun" | grep -c .)
  ip -n "$(fzi_ns gw)" route show table main "$FZI_TUN4_PFX" | fzi_match . && r4=main
  ip -n "$(fzi_ns gw)" -6 route show table main "$FZI_TUN6_PFX" | fzi_match . && r6=main
  up=$(ip -n "$(fzi_ns gw)" -o link show dev "$tun" | grep -c '[<,]UP[,>]')
  if [ "$a4$a6$r4$r6$up" = 11111 ] && [ "$mtu" = "$FZI_MTU" ]; then
    pass "TUN $tun: up, $FZI_GW_TUN4/32, $FZI_GW_TUN6/128, MTU $mtu, routes $FZI_TUN4_PFX and $FZI_TUN6_PFX in table 0x2021fd00"
  else
    fail "TUN $tun: up=$up v4=$a4 v6=$a6 mtu=$mtu route4=$r4 route6=$r6 (want 1 1 1 $FZI_MTU 1 1)"
  fi
fi

for n in 0 1; do
  if fzi_client_up "$n"; then :; else fail "wireguard-go client $n"; finish; fi
done

# ------------------------------------------------------------------ per client
for n in 0 1; do
  label="client$n$([ -n "$(fzi_client_psk "$n")" ] && echo " (PSK)")"
  if ! fzi_warmup "$n" 10; then
    fail "$label: no answer to ping within 10 s (handshake $(fzi_handshake_age "$n"))"
    continue
  fi
  loss=$(CNS "$n" ping -c 5 -i 0.1 -W 1 -q "$FZI_RES_LAN" | sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p')
  check "$label: ping $FZI_RES_LAN, loss ${loss:-?}%, handshake $(fzi_handshake_age "$n") ago" [ "${loss:-x}" = 0 ]
  loss=$(CNS "$n" ping -6 -c 5 -i 0.1 -W 1 -q "$FZI_RES_LAN6" | sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p')
  check "$label: ping -6 $FZI_RES_LAN6 (IPv6 through the tunnel and the masquerade), loss ${loss:-?}%" [ "${loss:-x}" = 0 ]
  got=$(fzi_fetch_sha "$n" 1M.bin)
  check "$label: HTTP GET of 1 MiB, sha256 $([ "$got" = "$FZI_WWW_SHA" ] && echo matches || echo "MISMATCH ($got)")" [ "$got" = "$FZI_WWW_SHA" ]
  j=$(CNS "$n" timeout $((UDP_SECS + 15)) iperf3 -c "$FZI_RES_LAN" -p $((5201 + n)) -u -b "$UDP_RATE" -l 1350 -t "$UDP_SECS" -J 2>/dev/null)
  res=$(echo "$j" | "$FZI_PY" -c '
import json, sys
try:
    e = json.load(sys.stdin)["end"]
    s = e.get("sum_received") or e["sum"]
    print("%.1f %.2f" % (s["bits_per_second"] / 1e6, e["sum"]["lost_percent"]))
except Exception as x:
    print("? 100")' 2>/dev/null)
  read -r mbps lost <<<"${res:-? 100}"
  check "$label: iperf3 UDP ${UDP_SECS} s at $UDP_RATE: $mbps Mbit/s received, loss $lost% (< 5%)" \
    "$FZI_PY" -c "import sys; sys.exit(0 if float('$lost') < 5 else 1)"
done

# ------------------------------------------------------------------ wrong PSK
psk1=$(fzi_client_psk 1)
if [ -n "$psk1" ]; then
  ours && fzi_counters_snap C0
  cp "$psk1" "$FZI_STATE/psk1.good"
  ( umask 077; wg genpsk >"$psk1" )
  fzi_client_up 1
  ok=1; for i in 1 2 3; do CNS 1 ping -c 1 -W 1 -q "$FZI_RES_LAN" >/dev/null 2>&1 && ok=0; done
  hs=$(fzi_handshake_age 1)
  checkif "client1 with a wrong preshared key: no answer, handshake $hs" '[ $ok = 1 ] && [ "$hs" = never ]'
  if ours; then
    declare -A C1=(); fzi_counters_snap C1
    echo "# counters that rose during the wrong-PSK attempts: $(all_deltas C0 C1)"
  fi
  cp "$FZI_STATE/psk1.good" "$psk1"
  fzi_client_up 1
  check "client1 with its right preshared key again: ping answered" fzi_warmup 1 10
fi

# ------------------------------------------------------------------ roaming
old=$(fzi_client_inet 0); new=$(fzi_client_roam 0)
ip -n "$(fzi_ns c0)" addr del "$old/24" dev inet0
ip -n "$(fzi_ns c0)" addr add "$new/24" dev inet0
CNS 0 wg set "$(fzi_client_if 0)" listen-port 51999
first=lost; CNS 0 ping -c 1 -W 2 -q "$FZI_RES_LAN" >/dev/null 2>&1 && first=answered
loss=$(CNS 0 ping -c 5 -i 0.1 -W 1 -q "$FZI_RES_LAN" | sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p')
idx=$(CNS 0 timeout 10 "$FZI_PY" -c "import urllib.request; print(urllib.request.urlopen('http://$FZI_RES_LAN:$FZI_HTTP_PORT/index.html', timeout=5).read().decode().strip())" 2>/dev/null)
checkif "roaming: client0 moved $old -> $new:51999; first ping $first, then loss ${loss:-?}%, HTTP after the move: ${idx:-FAIL}" \
  '[ "${loss:-x}" = 0 ] && [ -n "$idx" ]'
if ! ours; then
  ep=$(GWNS wg show "$(fzi_gw_tun)" endpoints | grep -c "$new:51999")
  check "roaming: wireguard-go gateway's endpoint for client0 is $new:51999" [ "$ep" = 1 ]
fi

# ------------------------------------------------------------------ replay
# Inner packet: IPv4 20 + UDP 8 + 100 bytes = 128, padded to 128: a 160-byte transport message,
# a size no other packet of this test has (pings: 128, keepalives: 32, handshakes: 148/92).
WGLEN=160; tag=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
ours && fzi_counters_snap C0
rm -f "$FZI_STATE/cap.ready" "$FZI_STATE/cnt.ready"
fzi_start capture "$(fzi_ns c0)" "$FZI_PY" "$FZI_PKT" capture inet0 "$FZI_STATE/frame.hex" "$FZI_STATE/cap.ready" --dport "$FZI_WG_PORT" --wglen $WGLEN --timeout 8
for i in $(seq 1 50); do [ -f "$FZI_STATE/cap.ready" ] && break; sleep 0.1; done
CNS 0 "$FZI_PY" "$FZI_PKT" udp-send "$(fzi_client_tun4 0)" "$FZI_RES_LAN" "$FZI_UDP_PORT" "replay-$tag" --size 100
for i in $(seq 1 50); do [ -s "$FZI_STATE/frame.hex" ] && break; sleep 0.1; done
fzi_stop capture
if [ ! -s "$FZI_STATE/frame.hex" ]; then
  fail "replay: no $WGLEN-byte WireGuard data datagram captured from client0"
else
  fzi_start counter "$(fzi_ns gw)" "$FZI_PY" "$FZI_PKT" count inet0 "$FZI_STATE/cnt.out" "$FZI_STATE/cnt.ready" --dport "$FZI_WG_PORT" --wglen $WGLEN --seconds 4
  for i in $(seq 1 50); do [ -f "$FZI_STATE/cnt.ready" ] && break; sleep 0.1; done
  CNS 0 "$FZI_PY" "$FZI_PKT" replay inet0 "$FZI_STATE/frame.hex" --count 100 --interval 0.002
  for i in $(seq 1 60); do [ -s "$FZI_STATE/cnt.out" ] && break; sleep 0.1; done
  fzi_stop counter
  arrived=$(cat "$FZI_STATE/cnt.out" 2>/dev/null || echo "?")
  seen=$(grep -c "^replay-$tag\$" "$FZI_STATE/udp.log")
  checkif "replay: 100 copies of one captured data datagram reached the gateway ($arrived seen on its link); the resource got the datagram $seen time(s) (want 1)" \
    '[ "$seen" = 1 ] && [ "$arrived" != "?" ] && [ "$arrived" -ge 100 ]'
  if ours; then
    declare -A C2=(); fzi_counters_snap C2
    rep=$(delta_report C0 C2 'replay' 'hs|handshake')
    check "replay: the gateway counted the 100 replays: ${rep:-no counter named *replay* rose (expected e.g. core.rx_replay_dropped+100 or core.drop.replay+100); all that rose: $(all_deltas C0 C2)}" \
      [ "$(delta_sum "$rep")" -ge 100 ]
  fi
fi

# ------------------------------------------------------------------ spoofed inner source
spoof=$(fzi_client_tun4 1)
ours && fzi_counters_snap C0
ip -n "$(fzi_ns c0)" addr add "$spoof/32" dev "$(fzi_client_if 0)"
CNS 0 "$FZI_PY" "$FZI_PKT" udp-send "$spoof" "$FZI_RES_LAN" "$FZI_UDP_PORT" "spoof-$tag" --count 3
CNS 0 "$FZI_PY" "$FZI_PKT" udp-send "$(fzi_client_tun4 0)" "$FZI_RES_LAN" "$FZI_UDP_PORT" "legit-$tag"
for i in $(seq 1 30); do grep -q "^legit-$tag\$" "$FZI_STATE/udp.log" && break; sleep 0.1; done
sleep 0.3
legit=$(grep -c "^legit-$tag\$" "$FZI_STATE/udp.log"); spoofed=$(grep -c "^spoof-$tag\$" "$FZI_STATE/udp.log")
ip -n "$(fzi_ns c0)" addr del "$spoof/32" dev "$(fzi_client_if 0)"
checkif "spoofing: 3 UDP datagrams from client0 with source $spoof reached the resource $spoofed time(s) (want 0; a legitimate one: $legit, want 1)" \
  '[ "$spoofed" = 0 ] && [ "$legit" = 1 ]'
if ours; then
  declare -A C3=(); fzi_counters_snap C3
  sp=$(delta_report C0 C3 'spoof|src|source|allowed|cryptokey' '')
  check "spoofing: the gateway counted them: ${sp:-no counter named *spoof*/*src*/*source*/*allowed* rose (expected e.g. core.drop.src-not-allowed+3); all that rose: $(all_deltas C0 C3)}" \
    [ "$(delta_sum "$sp")" -ge 3 ]
fi

# ------------------------------------------------------------------ stop, undo
if ours; then
  check "gateway still running after all that" kill -0 "$FZI_GW_PID"
  t0=$(date +%s%N); kill -TERM "$FZI_GW_PID"
  rc=timeout; for i in $(seq 1 30); do kill -0 "$FZI_GW_PID" 2>/dev/null || break; sleep 0.1; done
  if ! kill -0 "$FZI_GW_PID" 2>/dev/null; then wait "$FZI_GW_PID"; rc=$?; fi
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  check "SIGTERM: exit status $rc after $ms ms (want 0 within 3 s)" [ "$rc" = 0 ]
  check "TUN $(fzi_gw_tun) gone after exit" bash -c "! ip -n $(fzi_ns gw) link show dev $(fzi_gw_tun) >/dev/null 2>&1"
fi
FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" GWNS "$FZI_REPO/scripts/gateway-nft.sh" --remove >/dev/null
tables=$(GWNS nft list tables | grep -c 'firezone-gateway')
sysv=$(GWNS cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding | tr -d '\n')
checkif "gateway-nft.sh --remove: table gone ($tables left), sysctls back to their earlier values ($sysv, want 00)" \
  '[ "$tables" = 0 ] && [ "$sysv" = 00 ]'
finish
