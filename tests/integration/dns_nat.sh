#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# DNS resources end to end, in network namespaces (tests/integration/lib/topo.sh): our gateway in
# standalone mode (static: a DNS resource "*.corp.example", plus the LAN for the handshake) with
# the dns and nat modules; dnsmasq on the resource host answers for corp.example; a wireguard-go
# client sends the in-tunnel control messages from a packet socket on its TUN.
#   - AssignedIps for a name with two A records: DomainStatus Active; HTTP through two proxy IPs
#     reaches the two real servers (round robin) and the answers come from the proxy IPs
#   - an IPv6-only name: Active; HTTP through an IPv6 proxy IP; an IPv4 proxy IP of it gets
#     ICMP network unreachable
#   - a name dnsmasq does not know: Active with an empty mapping, as the original (its proxy IPs
#     get ICMP network unreachable); a name outside the pattern: Inactive (no lookup)
#   - UDP through a proxy IP; after nat's udp_timeout (shortened here) the session is gone: the
#     site's late answer is dropped as an expired session, and a new datagram opens a new one
#   - Goodbye from the client: the core removes it with every grant (the CIDR resource too)
#   - SIGTERM: exit 0; nothing is left behind
# Env: FZGW_BIN, MOD_DIR (set by ctest); TM_DIR (the test modules) for FZI_POLICY=accept, which
# loads an accept-all test module instead of the filter (to test dns and nat alone); FZI_KEEP=1
# keeps the state dir. Needs root, dnsmasq and wireguard-go: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib/topo.sh"
POLICY=${FZI_POLICY:-filter}
UDP_TIMEOUT=4

[ -n "${FZGW_BIN:-}" ] && [ -n "${MOD_DIR:-}" ] ||
  { echo "usage: FZGW_BIN=.../firezone-gateway MOD_DIR=.../modules $0" >&2; exit 64; }
case "$POLICY" in
  filter) ;;
  accept) [ -f "${TM_DIR:-}/tm_a.so" ] || { echo "FZI_POLICY=accept needs TM_DIR with tm_a.so" >&2; exit 64; } ;;
  *) echo "FZI_POLICY must be filter or accept" >&2; exit 64 ;;
esac
fzi_require dnsmasq
for m in dns nat static filter; do
  [ -f "$MOD_DIR/$m.so" ] || fzi_skip "module $m.so not built in $MOD_DIR"
done


finish() { fzi_finish 40; }
GWNS() { ip netns exec "$(fzi_ns gw)" "$@"; }
CNS() { ip netns exec "$(fzi_ns c0)" "$@"; }
RNS() { ip netns exec "$(fzi_ns res)" "$@"; }

fzi_init
echo "# policy: $POLICY; state: $FZI_STATE; namespaces fzi-$FZI_ID-*"
CIF=$(fzi_client_if 0)
RES2=10.200.0.11 # a second address on the resource host: the second A record
PROXY_RANGES="100.96.0.0/11,fd00:2021:1111:8000::/107"

# ------------------------------------------------------------------ the client's control tool
# ctl.py runs in the client's namespace: it writes control packets into the TUN with a packet
# socket (wireguard-go sends them to the gateway, "::" being in the peer's allowed IPs) and reads
# the gateway's answers off the same TUN before the kernel drops them (destination "::").
cat >"$FZI_STATE/ctl.py" <<'PY'
import json, socket, struct, sys, time
ETH_P_IPV6, PACKET_OUTGOING = 0x86DD, 4
ASSIGNED_IPS, DOMAIN_STATUS, GOODBYE = 0, 1, 2

def packet(event, payload=b""):
    body = bytes([event]) + bytes(7) + payload
    # IPv6, payload length, next header 0xff, hop limit 0, from :: to ::
    return struct.pack("!IHBB", 6 << 28, len(body), 0xFF, 0) + bytes(32) + body

def open_tun(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IPV6))
    s.bind((ifname, ETH_P_IPV6))
    return s

def status(s, resource, domain, deadline):
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, min(0.5, deadline - time.monotonic())))
        try:
            pkt, addr = s.recvfrom(2048)
        except socket.timeout:
            return None
        if addr[2] == PACKET_OUTGOING or len(pkt) < 48 or pkt[0] >> 4 != 6 or pkt[6] != 0xFF:
            continue
        if pkt[8:40] != bytes(32) or pkt[40] != DOMAIN_STATUS:
            continue
        msg = json.loads(pkt[48:])
        if msg.get("resource") == resource and msg.get("domain") == domain:
            return msg.get("status")
    return None

def main():
    cmd, ifname = sys.argv[1], sys.argv[2]
    s = open_tun(ifname)
    if cmd == "goodbye":
        s.sendto(packet(GOODBYE), (ifname, ETH_P_IPV6))
        return 0
    resource, domain, ips = sys.argv[3], sys.argv[4], sys.argv[5].split(",")
    msg = json.dumps({"resource": resource, "domain": domain, "proxy_ips": ips},
                     separators=(",", ":")).encode()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        # the protocol is unreliable: send again until an answer comes
        s.sendto(packet(ASSIGNED_IPS, msg), (ifname, ETH_P_IPV6))
        st = status(s, resource, domain, min(deadline, time.monotonic() + 2))
        if st:
            print(st)
            return 0
    print("none")
    return 1

sys.exit(main())
PY

# udp.py: "echo HOST PORT" serves on the resource host (answers "late N" after N seconds);
# "ask SRC_PORT DST DST_PORT TEXT WAIT" sends one datagram from a fixed port and prints
# "FROM-ADDRESS TEXT" of the first answer, or "none" after WAIT seconds.
cat >"$FZI_STATE/udp.py" <<'PY'
import socket, sys, threading, time

def echo(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    while True:
        data, peer = s.recvfrom(2048)
        words = data.split()
        if len(words) == 2 and words[0] == b"late":
            threading.Timer(float(words[1]), s.sendto, (data, peer)).start()
        else:
            s.sendto(data, peer)

def ask(sport, dst, dport, text, wait):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sport)))
    s.settimeout(float(wait))
    s.sendto(text.encode(), (dst, int(dport)))
    try:
        data, peer = s.recvfrom(2048)
        print(peer[0], data.decode())
    except socket.timeout:
        print("none")

if sys.argv[1] == "echo":
    echo(sys.argv[2], sys.argv[3])
else:
    ask(*sys.argv[2:7])
PY

# ------------------------------------------------------------------ set-up
if ! fzi_topo_up; then fail "topology and resource servers"; finish; fi
pass "topology: namespaces, bridge, LAN, resource servers"

# the resource host: a second IPv4 server, an IPv6 server, a UDP echo and the DNS server
ip -n "$(fzi_ns res)" addr add "$RES2/24" dev lan0
mkdir -p "$FZI_STATE/www2" "$FZI_STATE/www6"
echo "hello from $RES2" >"$FZI_STATE/www2/index.html"
echo "hello from $FZI_RES_LAN6" >"$FZI_STATE/www6/index.html"
fzi_start http2 "$(fzi_ns res)" "$FZI_PY" -m http.server "$FZI_HTTP_PORT" --bind "$RES2" --directory "$FZI_STATE/www2"
fzi_start http6 "$(fzi_ns res)" "$FZI_PY" -m http.server "$FZI_HTTP_PORT" --bind "$FZI_RES_LAN6" --directory "$FZI_STATE/www6"
fzi_start udpecho "$(fzi_ns res)" "$FZI_PY" "$FZI_STATE/udp.py" echo "$FZI_RES_LAN" 9998
cat >"$FZI_STATE/dns.hosts" <<EOF
$FZI_RES_LAN multi.corp.example
$RES2 multi.corp.example
$FZI_RES_LAN6 v6only.corp.example
$FZI_RES_LAN other.example
EOF
# authoritative for corp.example (unknown names: NXDOMAIN), no upstream, only these names
fzi_start dnsmasq "$(fzi_ns res)" dnsmasq --keep-in-foreground --no-resolv --no-hosts --user=root \
  --pid-file= --bind-interfaces --listen-address="$FZI_RES_LAN" --port=53 --local=/corp.example/ \
  --addn-hosts="$FZI_STATE/dns.hosts" --log-queries --log-facility=-
if fzi_wait_port "$(fzi_ns res)" udp 53 && fzi_wait_port "$(fzi_ns res)" tcp "$FZI_HTTP_PORT" &&
   fzi_wait_port "$(fzi_ns res)" udp 9998; then
  pass "resource host: dnsmasq for corp.example, HTTP on $FZI_RES_LAN, $RES2, [$FZI_RES_LAN6], UDP echo"
else
  fail "resource host servers"; finish
fi

# the gateway: static (DNS resource + LAN), dns with dnsmasq as upstream, nat with short timeouts
fzi_keys 1
if [ "$POLICY" = accept ]; then
  policy_entry="{ name = \"tm_a\"; path = \"$TM_DIR/tm_a.so\"; settings = { verdict = \"accept\"; out_verdict = \"accept\"; }; }"
else
  policy_entry='{ name = "filter"; }'
fi
( umask 077
  cat >"$FZI_STATE/gateway.conf" <<CONF
# written by tests/integration/dns_nat.sh
gateway = {
  tun = { name = "$(fzi_gw_tun)"; mtu = $FZI_MTU; };
  listen_port = $FZI_WG_PORT;
  private_key_file = "$FZI_STATE/gateway.key";
  log = { level = "info"; format = "human"; filter = "nat=debug,dns=debug"; };
};
modules = (
  $policy_entry,
  { name = "dns"; settings = { upstreams = ["$FZI_RES_LAN"]; hosts_file = ""; timeout = 5; }; },
  { name = "nat"; settings = { udp_timeout = $UDP_TIMEOUT; unconfirmed_timeout = $UDP_TIMEOUT; }; },
  { name = "static";
    settings = {
      ipv4 = "$FZI_GW_TUN4"; ipv6 = "$FZI_GW_TUN6";
      resources = (
        { id = "web"; type = "dns"; address = "*.corp.example"; },
        { id = "lan"; type = "cidr"; address = "$FZI_LAN"; filters = ( { protocol = "icmp"; } ); }
      );
      peers = (
        { id = "client0"; public_key = "$(cat "$FZI_STATE/client0.pub")";
          ipv4 = "$(fzi_client_tun4 0)"; ipv6 = "$(fzi_client_tun6 0)"; resources = ["web", "lan"]; }
      );
    };
  }
);
CONF
)
FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" GWNS "$FZI_REPO/scripts/gateway-nft.sh" "$(fzi_gw_tun)" >/dev/null ||
  { fail "gateway-nft.sh"; finish; }
fzi_start gateway "$(fzi_ns gw)" "$FZGW_BIN" --config "$FZI_STATE/gateway.conf" --module-path "$MOD_DIR"
FZI_GW_PID=$(fzi_pid gateway)
up=0
for i in $(seq 1 100); do
  fzi_gw_ready "$(fzi_ns gw)" "$(fzi_gw_tun)" && { up=1; break; }
  kill -0 "$FZI_GW_PID" 2>/dev/null || break
  sleep 0.1
done
checkif "gateway up with filter/$POLICY, dns, nat, static" '[ $up = 1 ]'
[ $up = 1 ] || finish

# the client: wireguard-go, plus the proxy ranges and "::" (the control packets) on the peer
fzi_client_up 0 || { fail "client up"; finish; }
CNS wg set "$CIF" peer "$(cat "$FZI_STATE/gateway.pub")" \
  allowed-ips "$FZI_LAN,$FZI_LAN6,$FZI_TUN4_PFX,$FZI_TUN6_PFX,$PROXY_RANGES,::/128"
ip -n "$(fzi_ns c0)" route replace 100.96.0.0/11 dev "$CIF"
ip -n "$(fzi_ns c0)" -6 route replace fd00:2021:1111:8000::/107 dev "$CIF"
checkif "handshake (ping to the LAN)" 'fzi_warmup 0'

assign() { CNS timeout 30 "$FZI_PY" "$FZI_STATE/ctl.py" assign "$CIF" "$@" 2>&1; }
http() { # http URL: the body, or FAIL
  CNS timeout 20 "$FZI_PY" -c "
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=8).read().decode().strip())" "$1" 2>/dev/null || echo FAIL
}
stats() { # stats: SIGUSR1, then the gateway log lines written since
  local off; off=$(stat -c %s "$FZI_STATE/gateway.log")
  kill -USR1 "$FZI_GW_PID"; sleep 0.5
  tail -c +$((off + 1)) "$FZI_STATE/gateway.log"
}
stat_value() { # stat_value REGEX: the sum of the "NAME=N" values matching REGEX in a stats dump
  stats | grep -oE "$1=[0-9]+" | awk -F= '{s += $2} END {print s + 0}'
}

# ------------------------------------------------------------------ two A records
V4="100.96.0.1,100.96.0.2,100.96.0.3,100.96.0.4"
V6="fd00:2021:1111:8000::1,fd00:2021:1111:8000::2,fd00:2021:1111:8000::3,fd00:2021:1111:8000::4"
st=$(assign web multi.corp.example "$V4,$V6")
checkif "AssignedIps multi.corp.example: DomainStatus Active (got $st)" '[ "$st" = Active ]'

# proxy IPs in sorted order onto the sorted answers: .1 -> .10, .2 -> .11
body1=$(http "http://100.96.0.1:$FZI_HTTP_PORT/index.html")
checkif "HTTP through 100.96.0.1 reaches $FZI_RES_LAN (got \"$body1\")" \
  '[ "$body1" = "hello from the resource host $FZI_RES_LAN" ]'
body2=$(http "http://100.96.0.2:$FZI_HTTP_PORT/index.html")
checkif "HTTP through 100.96.0.2 reaches $RES2 (got \"$body2\")" '[ "$body2" = "hello from $RES2" ]'
sha=$(CNS timeout 30 "$FZI_PY" -c "
import hashlib, urllib.request
print(hashlib.sha256(urllib.request.urlopen('http://100.96.0.3:$FZI_HTTP_PORT/1M.bin', timeout=20).read()).hexdigest())" 2>/dev/null || echo FAIL)
checkif "1 MiB through 100.96.0.3 intact" '[ "$sha" = "$FZI_WWW_SHA" ]'

# ------------------------------------------------------------------ an IPv6-only name
V4B="100.96.0.5,100.96.0.6,100.96.0.7,100.96.0.8"
V6B="fd00:2021:1111:8000::5,fd00:2021:1111:8000::6,fd00:2021:1111:8000::7,fd00:2021:1111:8000::8"
st=$(assign web v6only.corp.example "$V4B,$V6B")
checkif "AssignedIps v6only.corp.example: Active (got $st)" '[ "$st" = Active ]'
body6=$(http "http://[fd00:2021:1111:8000::5]:$FZI_HTTP_PORT/index.html")
checkif "HTTP through fd00:2021:1111:8000::5 reaches $FZI_RES_LAN6 (got \"$body6\")" \
  '[ "$body6" = "hello from $FZI_RES_LAN6" ]'
unreach=$(CNS ping -c 1 -W 3 100.96.0.5 2>&1 || true)
checkif "an IPv4 proxy IP of an IPv6-only name: network unreachable" \
  'echo "$unreach" | fzi_match -i "net unreachable"'

# ------------------------------------------------------------------ no address, Inactive
st=$(assign web missing.corp.example "100.96.1.1,100.96.1.2,100.96.1.3,100.96.1.4")
checkif "a name dnsmasq does not know: Active, mapped onto nothing (got $st)" '[ "$st" = Active ]'
unreach=$(CNS ping -c 1 -W 3 100.96.1.1 2>&1 || true)
checkif "a proxy IP of a name without address: network unreachable" \
  'echo "$unreach" | fzi_match -i "net unreachable"'
st=$(assign web other.example "100.96.2.1,100.96.2.2,100.96.2.3,100.96.2.4")
checkif "a name outside *.corp.example: Inactive (got $st)" '[ "$st" = Inactive ]'
st=$(assign nosuchresource multi.corp.example "$V4,$V6")
checkif "a resource not granted: Inactive (got $st)" '[ "$st" = Inactive ]'
checkif "dnsmasq was never asked about other.example" '! grep -q "other.example" "$FZI_STATE/dnsmasq.log"'

# ------------------------------------------------------------------ UDP and its timeout
ask() { CNS timeout 20 "$FZI_PY" "$FZI_STATE/udp.py" ask "$@" 2>&1; }
r=$(ask 40000 100.96.0.1 9998 hello 3)
checkif "UDP through 100.96.0.1: the answer comes from the proxy IP (got \"$r\")" '[ "$r" = "100.96.0.1 hello" ]'
expired0=$(stat_value 'drop.expired-nat-session')
created0=$(stat_value 'nat: stats sessions-created')
# the echo answers 2 s after the session's timeout: the gateway must not pass it on
r=$(ask 40000 100.96.0.1 9998 "late $((UDP_TIMEOUT + 2))" $((UDP_TIMEOUT + 4)))
checkif "a late answer after udp_timeout is dropped (got \"$r\")" '[ "$r" = none ]'
expired1=$(stat_value 'drop.expired-nat-session')
checkif "counted as an expired NAT session ($expired0 -> $expired1)" '[ "$expired1" -gt "$expired0" ]'
checkif "the session expired (nat sessions-expired > 0)" '[ "$(stat_value "nat: stats sessions-expired")" -gt 0 ]'
r=$(ask 40000 100.96.0.1 9998 again 3)
created1=$(stat_value 'nat: stats sessions-created')
checkif "a new datagram opens a new session (got \"$r\", created $created0 -> $created1)" \
  '[ "$r" = "100.96.0.1 again" ] && [ "$created1" -gt "$created0" ]'

# ------------------------------------------------------------------ Goodbye
CNS "$FZI_PY" "$FZI_STATE/ctl.py" goodbye "$CIF"
sleep 0.5
checkif "Goodbye from the client received" '[ "$(stat_value "nat: stats goodbye-received")" = 1 ]'
gone=$(http "http://100.96.0.1:$FZI_HTTP_PORT/index.html")
checkif "after Goodbye the proxy IPs lead nowhere" '[ "$gone" = FAIL ]'
checkif "after Goodbye the core removed the client" \
  'grep -q "client0: removing (goodbye)" "$FZI_STATE/gateway.log"'
lan=$(CNS ping -c 1 -W 2 "$FZI_RES_LAN" >/dev/null 2>&1 && echo reached || echo FAIL)
checkif "after Goodbye its CIDR grant is gone too (got $lan)" '[ "$lan" = FAIL ]'

# ------------------------------------------------------------------ the end
kill -TERM "$FZI_GW_PID"
rc=
for i in $(seq 1 30); do kill -0 "$FZI_GW_PID" 2>/dev/null || break; sleep 0.1; done
wait "$FZI_GW_PID" 2>/dev/null; rc=$?
checkif "SIGTERM: the gateway exits 0 (rc $rc)" '[ "$rc" = 0 ]'
finish
