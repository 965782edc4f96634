#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Hardening 2 with real peers: a host on the site that routes to the client range (the
# resource host, given a route through the gateway) sends forged ICMP errors to client 0.
#   - an error about client 0's own allowed flow (a real port unreachable from the resource
#     host, and a forged one quoting a granted destination) reaches the client
#   - forged errors quoting a destination client 0 may not reach (8.8.8.8), another client's
#     packet (100.64.0.3 as the quote's source), or a granted destination on a protocol the
#     resource does not allow, do not reach it; the filter counts them
# Env: FZGW_BIN, MOD_DIR (set by ctest). Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib/topo.sh"
[ -n "${FZGW_BIN:-}" ] && [ -n "${MOD_DIR:-}" ] ||
  { echo "usage: FZGW_BIN=.../firezone-gateway MOD_DIR=.../modules $0" >&2; exit 64; }
fzi_require

finish() { fzi_finish 15; }
CNS() { ip netns exec "$(fzi_ns c0)" "$@"; }
RESNS() { ip netns exec "$(fzi_ns res)" "$@"; }
C0=$(fzi_client_tun4 0)

fzi_init
fzi_topo_up || { fail "topology"; finish; }
fzi_gateway_up 1 || { fail "gateway up"; finish; }
fzi_client_up 0 || { fail "client 0"; finish; }
fzi_warmup 0 10 || { fail "client 0: no answer from the resource host within 10 s"; finish; }
pass "gateway, client 0 and its handshake"

# a real error about the client's own flow: UDP to a closed port of the resource host
got=$(CNS timeout 5 "$FZI_PY" -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.connect(('$FZI_RES_LAN', 9)); s.send(b'x')
try:
    s.recv(10); print('answer')
except ConnectionRefusedError:
    print('refused')
except socket.timeout:
    print('timeout')" 2>/dev/null)
checkif "client 0: the resource host's port unreachable reaches it (${got:-nothing})" '[ "$got" = refused ]'

# the resource host becomes a site host that routes to the client range
RESNS ip route add "$FZI_TUN4_PFX" via "$FZI_GW_LAN" || { fail "route on the resource host"; finish; }

# listen on client 0 for ICMP errors whose quoted destination port is 5353 (ours only)
CNS "$FZI_PY" -c "
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); s.settimeout(0.2)
open('$FZI_STATE/icmp.ready', 'w').close()
seen = []
end = time.time() + 6
while time.time() < end:
    try:
        p = s.recv(2048)
    except socket.timeout:
        continue
    ihl = (p[0] & 15) * 4
    if p[ihl] != 3:
        continue
    q = p[ihl + 8:]
    qihl = (q[0] & 15) * 4
    if len(q) < qihl + 4 or struct.unpack('!H', q[qihl + 2:qihl + 4])[0] != 5353:
        continue
    seen.append(socket.inet_ntoa(q[12:16]) + '>' + socket.inet_ntoa(q[16:20]) + '/' + str(q[9]))
open('$FZI_STATE/icmp.seen', 'w').write(' '.join(seen))
" &
lpid=$!
for i in $(seq 1 50); do [ -e "$FZI_STATE/icmp.ready" ] && break; sleep 0.1; done

# forge QSRC QDST PROTO: a destination unreachable to client 0 quoting QSRC:40000 -> QDST:5353
forge() {
  RESNS "$FZI_PY" -c "
import socket, struct, sys
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
qs, qd, proto = socket.inet_aton(sys.argv[1]), socket.inet_aton(sys.argv[2]), int(sys.argv[3])
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 28, 1, 0, 64, proto, 0, qs, qd)
ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
l4 = struct.pack('!HHHH', 40000, 5353, 8, 0)
icmp = struct.pack('!BBHI', 3, 3, 0, 0) + ip + l4
icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
for _ in range(3):
    s.sendto(icmp, ('$C0', 0))
" "$1" "$2" "$3"
}
forge "$C0" "$FZI_RES_LAN" 17          # its own flow to a granted destination: passes
forge "$C0" 8.8.8.8 17                 # a destination it may not reach
forge 100.64.0.3 "$FZI_RES_LAN" 17     # another client's packet
forge "$C0" 10.201.0.1 6               # nothing granted there
wait "$lpid"
seen=$(cat "$FZI_STATE/icmp.seen" 2>/dev/null)
checkif "a forged error about client 0's own granted flow reaches it ($seen)" \
  '[[ " $seen " == *" $C0>$FZI_RES_LAN/17 "* ]]'
checkif "no error quoting 8.8.8.8 reaches client 0" '[[ " $seen " != *">8.8.8.8/"* ]]'
checkif "no error quoting another client's packet reaches client 0" '[[ " $seen " != *" 100.64.0.3>"* ]]'
checkif "no error quoting an ungranted destination reaches client 0" '[[ " $seen " != *">10.201.0.1/"* ]]'
n=$(fzi_gw_counters | awk '$1 ~ /icmp-error-unrelated/ {print $2}' | head -1)
checkif "the filter counted the unrelated errors (${n:-none})" '[ "${n:-0}" -ge 9 ]'
finish
