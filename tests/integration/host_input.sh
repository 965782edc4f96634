#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Hardening 10: scripts/gateway-nft.sh keeps clients away from the gateway host's own services.
# Our gateway (static + filter) with one wireguard-go client granted the LAN the gateway host
# sits on; a TCP and a UDP service listen on every address of the gateway's namespace.
#   - from the client: ping of the gateway's tunnel addresses (IPv4, IPv6) is answered
#   - from the client: the TCP service is not reachable on the gateway's tunnel addresses nor
#     on its LAN address (inside a granted resource), the UDP service gets nothing
#   - from the LAN the same services answer (they do listen), and the client still reaches the
#     resource host through the gateway (forwarding untouched)
#   - the input chain counted the drops
# Env: FZGW_BIN, MOD_DIR (set by ctest). Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib/topo.sh"
[ -n "${FZGW_BIN:-}" ] && [ -n "${MOD_DIR:-}" ] ||
  { echo "usage: FZGW_BIN=.../firezone-gateway MOD_DIR=.../modules $0" >&2; exit 64; }
fzi_require

finish() { fzi_finish 25; }
GWNS() { ip netns exec "$(fzi_ns gw)" "$@"; }
CNS() { ip netns exec "$(fzi_ns c0)" "$@"; }
RESNS() { ip netns exec "$(fzi_ns res)" "$@"; }
PORT=2222

fzi_init
fzi_topo_up || { fail "topology"; finish; }
fzi_gateway_up 1 || { fail "gateway up"; finish; }
fzi_client_up 0 || { fail "client 0"; finish; }
fzi_warmup 0 10 || { fail "client 0: no answer from the resource host within 10 s"; finish; }
pass "gateway, client 0 and its handshake"

# a TCP service that says hello and a UDP service that echoes, on every address of the host
fzi_start hostsvc "$(fzi_ns gw)" "$FZI_PY" -c "
import socket, threading
def tcp(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, $PORT)); s.listen(8)
    while True:
        c, _ = s.accept(); c.sendall(b'hello from the gateway host\n'); c.close()
def udp(fam, addr):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, $PORT))
    while True:
        d, a = s.recvfrom(2048); s.sendto(d, a)
for f in (tcp, udp):
    for fam, addr in ((socket.AF_INET, '0.0.0.0'), (socket.AF_INET6, '::')):
        threading.Thread(target=f, args=(fam, addr), daemon=True).start()
threading.Event().wait()"
sleep 0.5

# tcp_hello NS-RUNNER HOST: what the TCP service says (empty when unreachable within 3 s)
tcp_hello() {
  "$1" timeout 5 "$FZI_PY" -c "
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], $PORT), timeout=3); print(s.recv(100).decode().strip())
except Exception:
    pass" "$2" 2>/dev/null
}
udp_echo() {
  "$1" timeout 5 "$FZI_PY" -c "
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(2)
try:
    s.sendto(b'ping', (sys.argv[1], $PORT)); print(s.recv(100).decode())
except Exception:
    pass" "$2" 2>/dev/null
}

checkif "the services answer from the LAN ($FZI_GW_LAN: \"$(tcp_hello RESNS "$FZI_GW_LAN")\")" \
  '[ "$(tcp_hello RESNS "$FZI_GW_LAN")" = "hello from the gateway host" ] && [ "$(udp_echo RESNS "$FZI_GW_LAN")" = ping ]'
for a in "$FZI_GW_TUN4" "$FZI_GW_TUN6"; do
  loss=$(CNS ping -c 3 -i 0.2 -W 1 -q "$a" | sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p')
  checkif "client 0: ping $a answered (loss ${loss:-?}%)" '[ "${loss:-x}" = 0 ]'
done
for a in "$FZI_GW_TUN4" "$FZI_GW_TUN6" "$FZI_GW_LAN" "$FZI_GW_LAN6"; do
  got=$(tcp_hello CNS "$a")
  checkif "client 0: TCP $a port $PORT not reachable${got:+ (got \"$got\")}" '[ -z "$got" ]'
  got=$(udp_echo CNS "$a")
  checkif "client 0: UDP $a port $PORT gets no answer${got:+ (got \"$got\")}" '[ -z "$got" ]'
done
got=$(fzi_fetch_sha 0 1M.bin)
checkif "client 0: the resource host still answers through the gateway (1 MiB over HTTP)" \
  '[ "$got" = "$FZI_WWW_SHA" ]'
drops=$(GWNS nft list chain inet firezone-gateway input 2>/dev/null | sed -nE 's/.*counter packets ([0-9]+) .* drop.*/\1/p' | head -1)
checkif "the input chain counted the drops (${drops:-no chain})" '[ "${drops:-0}" -gt 0 ]'
finish
