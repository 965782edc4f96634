#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# RELIABILITY.md tests 22-24 with our gateway (static + filter) and wireguard-go clients:
#   22. MTU and padding, tunnel MTU 1280 and 1420: client 0 pings the resource host with every
#       IP size 28..MTU (DF). Pass: every size is answered; every WireGuard data datagram the
#       gateway sends is within the path MTU (outer IPv4 length <= MTU + 60, never a fragment)
#       and its plaintext is padded to a multiple of 16 but never beyond the MTU (each length is
#       min(roundup16(n), MTU) of a size sent, or 0 for a keepalive).
#   23. Routing loop: client 0's outer datagrams reach the gateway from 100.64.0.2, its own
#       tunnel address. First with the gateway's policy routing only (its routes in table
#       0x2021fd00 behind "not fwmark 0xfd002021"): its marked datagrams to that endpoint never
#       enter the TUN (tx-routing-loop unchanged; under 70,000 bytes there: the forwarded echo
#       replies only). Then the host also
#       routes 100.64.0.0/11 into the TUN in its main table (as with gateway.routing_table = 0).
#       The gateway learns that endpoint; every datagram it sends there comes back through its TUN. Pass:
#       under 70,000 bytes through the TUN and the link in 1 s of a flood ping, no CPU spin
#       (the gateway under 0.5 core), the gateway counts what it dropped (tx-routing-loop) and
#       it still serves client 1. Failed before the gateway checked what it reads from its TUN:
#       it encrypted its own datagrams again (about 1 MB in that second).
#   24. NAT keepalive: client 2 behind a SNAT namespace whose conntrack UDP timeouts are 2 s.
#       A UDP flow from the client, then 5 s of silence, then the resource answers it through
#       the gateway. Pass: with persistent keepalive 1 s the answer arrives; the control, with
#       keepalive off, loses it (the mapping expired: the check can fail).
# Env: FZGW_BIN, MOD_DIR, LOADGEN (set by ctest). Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib/load_lib.sh"
ld_need
fzi_require
export FZI_PSK_CLIENTS=""
fzi_init
fzi_topo_up || { fail "topology"; finish; }

# ------------------------------------------------------------------ 22. MTU and padding
for mtu in 1280 1420; do
  FZI_MTU=$mtu
  fzi_stop gateway
  fzi_gateway_up 3 || { fail "gateway up with MTU $mtu"; finish; }
  fzi_client_up 0 || { fail "client 0 with MTU $mtu"; finish; }
  fzi_warmup 0 10 || { fail "MTU $mtu: client 0 gets no answer"; continue; }
  rm -f "$FZI_STATE/outer.ready"
  GWNS "$FZI_PY" "$LD_PROBE" outer inet0 "$FZI_WG_PORT" 30 "$FZI_STATE/outer.ready" >"$FZI_STATE/outer.$mtu" &
  opid=$!
  for i in $(seq 1 50); do [ -f "$FZI_STATE/outer.ready" ] && break; sleep 0.1; done
  res=$(CNS 0 timeout 25 "$FZI_PY" "$LD_PROBE" ping-sizes "$FZI_RES_LAN" "$mtu")
  kill "$opid" 2>/dev/null; wait "$opid" 2>/dev/null
  checkif "MTU $mtu: echo of every IP size 28..$mtu through the tunnel: ${res:0:300}" '[[ "$res" == *"missing -" ]]'
  bad=$(awk -v mtu="$mtu" '
    NF == 3 {
      n++; p = $2 - 32
      if ($3 == 1) { print "fragment " $0; next }
      if ($1 > mtu + 60) { print "outer " $1 " > " mtu + 60; next }
      if (p == 0) next
      want = (p % 16 == 0 || p == mtu) && p <= mtu && p >= 16 * int((28 + 15) / 16)
      if (!want) print "plaintext " p
      if (p > max) max = p
    }
    END { print "# datagrams " n " largest plaintext " max > "/dev/stderr" }' "$FZI_STATE/outer.$mtu" 2>"$FZI_STATE/outer.sum" | head -5)
  n=$(grep -c '^[0-9]' "$FZI_STATE/outer.$mtu")
  checkif "MTU $mtu: $n data datagrams from the gateway, each within the path MTU ($((mtu + 60)) bytes of IPv4), unfragmented, padded to 16 or to the MTU $(cat "$FZI_STATE/outer.sum")${bad:+; bad: $(echo $bad)}" \
    '[ -z "$bad" ] && [ "$n" -ge $((mtu - 28)) ]'
done

# ------------------------------------------------------------------ 23. routing loop
declare -A LA=() LB=()
FZI_MTU=1420
fzi_client_up 1 || fail "client 1"
fzi_warmup 1 10 || fail "client 1: no answer before the loop"
tun=$(fzi_gw_tun)
# client 0's outer datagrams leave with its tunnel address as source; the gateway's host routes
# 100.64.0.0/11 into the TUN, so whatever the gateway sends to that endpoint loops back to it
ip netns exec "$(fzi_ns c0)" nft -f - <<NFT
table ip ldloop {
  chain ldpost {
    type nat hook postrouting priority 100; policy accept;
    ip daddr $FZI_GW_INET udp dport $FZI_WG_PORT snat to $(fzi_client_tun4 0)
  }
}
NFT
[ $? = 0 ] || fail "routing loop: nft rule in client 0's namespace"
GWNS sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.inet0.rp_filter=0
CNS 0 wg set "$(fzi_client_if 0)" listen-port 51998 # a new flow: the SNAT applies
CNS 0 ping -c 2 -W 1 -q "$FZI_RES_LAN" >/dev/null 2>&1 # the gateway learns the looping endpoint
txb() { GWNS cat "/sys/class/net/$1/statistics/tx_bytes"; }
# the original's policy routing alone: the mark keeps the gateway's datagrams out of the TUN
declare -A LP=() LQ=()
ld_counters LP
t0=$(txb "$tun")
CNS 0 timeout 1 ping -f -W 1 -q "$FZI_RES_LAN" >/dev/null 2>&1
t1=$(txb "$tun")
ld_counters LQ
LC=$(ld_counter_name LQ tx-routing-loop); dl=$(ld_delta LP LQ "${LC:-none}")
checkif "routing loop, policy routing only: $((t1 - t0)) bytes through the TUN in 1 s of flood ping (the forwarded replies; want < 70000), ${LC:-tx-routing-loop}+${dl:-0} (want 0): the marked datagrams skip table 0x2021fd00" \
  '[ $((t1 - t0)) -lt 70000 ] && [ "${dl:-0}" -eq 0 ]'
# the host's main table routes the tunnel range into the TUN too: marked or not, it loops
GWNS ip route replace "$FZI_TUN4_PFX" dev "$tun" || fail "routing loop: main-table route"
ld_counters LA
t0=$(txb "$tun"); i0=$(txb inet0); c0=$(ld_cpu_ticks "$FZI_GW_PID")
CNS 0 timeout 1 ping -f -W 1 -q "$FZI_RES_LAN" >/dev/null 2>&1
t1=$(txb "$tun"); i1=$(txb inet0); c1=$(ld_cpu_ticks "$FZI_GW_PID")
sleep 1
t2=$(txb "$tun"); c2=$(ld_cpu_ticks "$FZI_GW_PID")
bytes=$(( (t1 - t0) + (i1 - i0) ))
cpu=$(awk -v c=$((c2 - c0)) -v hz="$(ld_hz)" 'BEGIN {printf "%.2f", c / hz / 2}')
ld_counters LB
LC=$(ld_counter_name LB tx-routing-loop); dl=$(ld_delta LA LB "${LC:-none}")
checkif "routing loop: $bytes bytes through the TUN ($((t1 - t0))) and the link ($((i1 - i0))) in 1 s of flood ping (want < 70000); TUN $((t2 - t1)) bytes in the next second; gateway CPU $cpu cores over 2 s (want < 0.5)" \
  '[ "$bytes" -lt 70000 ] && [ $((t2 - t1)) -lt 70000 ] && awk -v c="$cpu" "BEGIN {exit !(c < 0.5)}"'
checkif "routing loop: the gateway dropped its own datagrams read back from the TUN (${LC:-tx-routing-loop}+$dl)" '[ "$dl" -gt 0 ]'
checkif "routing loop: the gateway still serves client 1" 'fzi_warmup 1 5'

# ------------------------------------------------------------------ 24. NAT keepalive
# client 2 in fzi-ID-c2 (192.168.77.2) behind fzi-ID-nat (192.168.77.1, 198.51.100.60 on the link)
fzi_ns_add nat; fzi_ns_add c2
fzi_attach_inet nat 198.51.100.60/24
ip link add lan0 netns "$(fzi_ns nat)" type veth peer name inet0 netns "$(fzi_ns c2)"
ip -n "$(fzi_ns nat)" addr add 192.168.77.1/24 dev lan0; ip -n "$(fzi_ns nat)" link set lan0 up
ip -n "$(fzi_ns c2)" addr add 192.168.77.2/24 dev inet0; ip -n "$(fzi_ns c2)" link set inet0 up
ip -n "$(fzi_ns c2)" route add default via 192.168.77.1
ip netns exec "$(fzi_ns nat)" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$(fzi_ns nat)" nft -f - <<NFT
table ip ldnat {
  chain ldpost {
    type nat hook postrouting priority 100; policy accept;
    oifname "inet0" masquerade
  }
}
NFT
[ $? = 0 ] || fail "NAT keepalive: nft masquerade in the NAT namespace"
ip netns exec "$(fzi_ns nat)" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=2 net.netfilter.nf_conntrack_udp_timeout_stream=2
ct=$(ip netns exec "$(fzi_ns nat)" cat /proc/sys/net/netfilter/nf_conntrack_udp_timeout /proc/sys/net/netfilter/nf_conntrack_udp_timeout_stream | tr '\n' ' ')
ifc=$(fzi_client_if 2)
fzi_start wgc2 "$(fzi_ns c2)" env LOG_LEVEL=error WG_PROCESS_FOREGROUND=1 wireguard-go -f "$ifc"
fzi_wait_sock "$ifc" || fail "client 2 wireguard-go"
CNS 2 wg set "$ifc" private-key "$FZI_STATE/client2.key" peer "$(cat "$FZI_STATE/gateway.pub")" \
  endpoint "$FZI_GW_INET:$FZI_WG_PORT" allowed-ips "$FZI_LAN,$FZI_TUN4_PFX"
ip -n "$(fzi_ns c2)" addr add "$(fzi_client_tun4 2)/32" dev "$ifc"
ip -n "$(fzi_ns c2)" link set "$ifc" mtu 1420 up
ip -n "$(fzi_ns c2)" route add "$FZI_LAN" dev "$ifc"
fzi_warmup 2 10 || fail "client 2 behind SNAT: no answer"
# the resource answers each datagram once, 5 s later, to whatever address and port it came from
fzi_start lateecho "$(fzi_ns res)" "$FZI_PY" -c "
import socket, threading, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('$FZI_RES_LAN', 9998))
def later(d, a): time.sleep(5); s.sendto(d, a)
while True:
    d, a = s.recvfrom(2048); threading.Thread(target=later, args=(d, a), daemon=True).start()"
fzi_wait_port "$(fzi_ns res)" udp 9998
late() { # late TAG: a datagram to the late echo, then wait up to 9 s for it to come back
  CNS 2 timeout 12 "$FZI_PY" -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('$(fzi_client_tun4 2)', 0))
s.settimeout(9); s.sendto(b'$1', ('$FZI_RES_LAN', 9998))
try: print('answered' if s.recv(2048) == b'$1' else 'wrong')
except socket.timeout: print('lost')" 2>/dev/null || echo error
}
CNS 2 wg set "$ifc" peer "$(cat "$FZI_STATE/gateway.pub")" persistent-keepalive 0
sleep 3 # mappings of the warm-up expire
ctl=$(late nokeepalive)
CNS 2 wg set "$ifc" peer "$(cat "$FZI_STATE/gateway.pub")" persistent-keepalive 1
sleep 1
got=$(late keepalive)
checkif "NAT keepalive: behind SNAT with conntrack UDP timeouts $ct s, an answer 5 s after the client's datagram: $got with keepalive 1 s (want answered), $ctl without (want lost: the mapping expired)" \
  '[ "$got" = answered ] && [ "$ctl" = lost ]'
checkif "gateway still running" 'kill -0 "$FZI_GW_PID"'
finish
