# SPDX-License-Identifier: Apache-2.0
# The relay (TURN/ICE) test harness: namespaces, NATs, coturn, the ICE client. Source it (bash),
# after nothing else: it sources tests/integration/lib/topo.sh (process records, cleanup, keys)
# and tests/portal/lib.sh (the portal stand-in, pass/fail bookkeeping).
#
#                 "internet" 198.51.100.0/24: bridge br0 in fzi-ID-inet (L2 only)
#   fzi-ID-turn   198.51.100.3       coturn (turnserver), realm firezone, UDP 3478, relay ports
#                                    49152-65535, long-term users from an SQLite userdb
#   flat (RT_TOPO=flat):
#   fzi-ID-gw     198.51.100.1       the gateway (inet0)
#   fzi-ID-c0     198.51.100.2       the client (inet0)
#   nat (RT_TOPO=nat): each behind its own NAT namespace (nftables masquerade)
#   fzi-ID-natgw  198.51.100.21 ── 192.168.21.1/24 ── fzi-ID-gw 192.168.21.2 (default via .1)
#   fzi-ID-natc0  198.51.100.20 ── 192.168.20.1/24 ── fzi-ID-c0 192.168.20.2 (default via .1)
#                 natgw forwards inward only what conntrack knows (established/related): every
#                 unsolicited packet is dropped ("no open port"); natc0 is an ordinary home NAT
#                 (masquerade, same rule: the inside host is not reachable unsolicited either)
#   both:
#   fzi-ID-gw     lan0 10.200.0.1/24 ── lan0 10.200.0.10/24  fzi-ID-res: HTTP :8080 (/1M.bin)
#
#   rt_require [cmd...]       skip (77) unless root, namespaces, coturn, aioice, the tools
#   rt_topo_up flat|nat       the namespaces above, the resource host's HTTP server
#   rt_block_udp              drop all UDP between the client's and the gateway's public
#                             addresses on the bridge (the only way left: via coturn); (c), (d)
#   rt_unblock_udp            removes it again
#   rt_block_relay_ports [gw|c0|both]  that side reaches coturn's relayed addresses only
#                             through its own allocation; (c) with both: relay-to-relay
#   rt_turn_up                coturn in fzi-ID-turn with the users of rt_turn_user (call it first)
#   rt_turn_user PUBKEY       adds the portal-shaped user of that WireGuard public key to the
#                             userdb: prints "USERNAME PASSWORD" (username <expires_at>:<salt>)
#   rt_turn_restart           coturn stopped and started again (allocations are lost)
#                             (RT_TURN_LOG_FILE: coturn logs there, line by line, not stdout;
#                             RT_TURN_MAX_LIFETIME: its max-allocate-lifetime, default 3600)
#   rt_turn_down              coturn stopped
#   rt_relay_json PUBKEY      one `relays` entry of init/relays_presence for that gateway key
#   rt_ice_client ARGS...     the aioice client (ice_peer.py client) in fzi-ID-c0, recorded
#   rt_wg_client              wireguard-go in fzi-ID-c0 whose peer (the gateway) is reached
#                             through the ICE forwarder at 127.0.0.1:$RT_FWD_PORT
#   rt_status_wait FILE EVENT [S]   until ice_peer.py's status file has that event
#   rt_status_get FILE EVENT KEY    a field of the last such event
#   rt_path FILE / rt_path_wait FILE direct|relay [S]   the client's current path
#
# Names: everything is fzi-$FZI_ID-*, so it shares the sweeping and cleanup of topo.sh.
RT_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../portal/lib.sh
source "$RT_LIB/../../portal/lib.sh"
RT_PEER="$RT_LIB/ice_peer.py"

RT_TURN_IP=198.51.100.3
RT_TURN_PORT=3478
RT_REALM=firezone
RT_EXPIRES=2145916800           # the portal's fixed expiry (2038-01-01)
RT_RELAY_ID=0a133356-7a9e-4b9a-b413-0d95a5720fd8
RT_CLIENT_WG_PORT=51821         # wireguard-go's listen port in the client namespace
RT_FWD_PORT=51900               # the ICE forwarder's socket for wireguard-go (127.0.0.1)
RT_TOPO=flat
export FZI_PSK_CLIENTS=0        # client 0 has a preshared key (the portal always sends one)

rt_require() {
  local c missing=()
  for c in turnserver turnadmin turnutils_uclient turnutils_stunclient "$@"; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  "$PZ_PY" -c 'import aioice, websockets' 2>/dev/null || missing+=(python3-aioice/python3-websockets)
  [ ${#missing[@]} = 0 ] || fzi_skip "missing ${missing[*]} (scripts/lib/deps.sh NET_PACKAGES: coturn, python3-aioice)"
  fzi_require
}

# the public addresses of the client and the gateway for the topology
rt_client_pub() { [ "$RT_TOPO" = nat ] && echo 198.51.100.20 || echo 198.51.100.2; }
rt_gw_pub() { [ "$RT_TOPO" = nat ] && echo 198.51.100.21 || echo "$FZI_GW_INET"; }
rt_client_ip() { [ "$RT_TOPO" = nat ] && echo 192.168.20.2 || echo 198.51.100.2; } # its own address
rt_gw_ip() { [ "$RT_TOPO" = nat ] && echo 192.168.21.2 || echo "$FZI_GW_INET"; }

# rt_nat SHORT INSIDE PUB NET: NAT namespace fzi-ID-natSHORT between the bridge (PUB) and the
# inside host fzi-ID-SHORT (NET.2, default route via NET.1); masquerade, inbound only established
rt_nat() {
  local s=$1 pub=$2 net=$3 nat ns
  nat=$(fzi_ns "nat$s"); ns=$(fzi_ns "$s")
  fzi_ns_add "nat$s"
  fzi_attach_inet "nat$s" "$pub/24"
  ip link add in0 netns "$nat" type veth peer name inet0 netns "$ns"
  ip -n "$nat" addr add "$net.1/24" dev in0
  ip -n "$nat" link set in0 up
  ip -n "$ns" addr add "$net.2/24" dev inet0
  ip -n "$ns" link set inet0 up
  ip -n "$ns" route add default via "$net.1"
  ip netns exec "$nat" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$nat" nft -f - <<NFT
table ip rtnat {
  chain nat_out { type nat hook postrouting priority srcnat; oifname "inet0" masquerade; }
  chain from_out { type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "in0" oifname "inet0" accept
    counter comment "unsolicited"
  }
  chain to_nat { type filter hook input priority filter; policy drop;
    ct state established,related accept
    iifname "in0" accept
    counter comment "unsolicited"
  }
}
NFT
}

rt_topo_up() {
  RT_TOPO=${1:-flat}
  local s
  case "$RT_TOPO" in flat | nat) ;; *) fzi_log "rt_topo_up: flat or nat, not '$RT_TOPO'"; return 1 ;; esac
  for s in inet gw res c0 turn; do fzi_ns_add $s; done
  ip -n "$(fzi_ns inet)" link add br0 type bridge
  ip -n "$(fzi_ns inet)" link set br0 up
  fzi_attach_inet turn "$RT_TURN_IP/24"
  if [ "$RT_TOPO" = flat ]; then
    fzi_attach_inet gw "$FZI_GW_INET/24"
    fzi_attach_inet c0 "198.51.100.2/24"
  else
    rt_nat gw 198.51.100.21 192.168.21 || return 1
    rt_nat c0 198.51.100.20 192.168.20 || return 1
  fi
  ip link add lan0 netns "$(fzi_ns gw)" type veth peer name lan0r netns "$(fzi_ns res)"
  ip -n "$(fzi_ns res)" link set lan0r name lan0
  ip -n "$(fzi_ns gw)" addr add "$FZI_GW_LAN/24" dev lan0
  ip -n "$(fzi_ns gw)" link set lan0 up
  ip -n "$(fzi_ns res)" addr add "$FZI_RES_LAN/24" dev lan0
  ip -n "$(fzi_ns res)" link set lan0 up
  head -c 1048576 /dev/urandom >"$FZI_STATE/www/1M.bin"
  echo "hello from the resource host $FZI_RES_LAN" >"$FZI_STATE/www/index.html"
  FZI_WWW_SHA=$(sha256sum "$FZI_STATE/www/1M.bin" | cut -d' ' -f1)
  fzi_start http "$(fzi_ns res)" "$FZI_PY" -m http.server "$FZI_HTTP_PORT" --bind "$FZI_RES_LAN" --directory "$FZI_STATE/www"
  fzi_wait_port "$(fzi_ns res)" tcp "$FZI_HTTP_PORT"
}

# (c)/(d): no UDP between the client's and the gateway's public addresses, in both directions,
# on the bridge itself (neither end can tell); TURN to coturn is untouched
rt_block_udp() {
  local c g
  c=$(rt_client_pub); g=$(rt_gw_pub)
  ip netns exec "$(fzi_ns inet)" nft -f - <<NFT
table bridge rtcut {
  chain cut { type filter hook forward priority filter;
    ip saddr $c ip daddr $g meta l4proto udp counter drop
    ip saddr $g ip daddr $c meta l4proto udp counter drop
  }
}
NFT
}
rt_unblock_udp() { ip netns exec "$(fzi_ns inet)" nft delete table bridge rtcut 2>/dev/null; return 0; }
# rt_block_relay_ports [gw|c0|both]: no UDP between that side's public address and coturn's
# relay ports (49152-65535), both ways, on the bridge: that side can reach a relayed address
# only through its own allocation (TURN to port 3478 is untouched). With rt_block_udp and
# "both": relayed on both sides (relay-to-relay), the only pair left
rt_block_relay_ports() {
  local who=${1:-both} a
  case "$who" in gw) a=$(rt_gw_pub) ;; c0) a=$(rt_client_pub) ;; *) a="$(rt_client_pub), $(rt_gw_pub)" ;; esac
  ip netns exec "$(fzi_ns inet)" nft -f - <<NFT
table bridge rtrelayports {
  chain cut { type filter hook forward priority filter;
    ip saddr { $a } ip daddr $RT_TURN_IP udp dport 49152-65535 counter drop
    ip saddr $RT_TURN_IP ip daddr { $a } udp sport 49152-65535 counter drop
  }
}
NFT
}
# packets the cut dropped so far
rt_block_count() {
  ip netns exec "$(fzi_ns inet)" nft list table bridge rtcut 2>/dev/null |
    awk '/counter packets/ {for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1)} END {print s + 0}'
}
# packets a NAT namespace dropped as unsolicited (SHORT = gw or c0)
rt_nat_unsolicited() {
  ip netns exec "$(fzi_ns "nat$1")" nft list table ip rtnat 2>/dev/null |
    awk '/unsolicited/ {for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1)} END {print s + 0}'
}

# ------------------------------------------------------------------ coturn
# rt_turn_user PUBKEY [SECRET]: the portal's derivation (FIREZONE.md §2), added to the userdb
rt_turn_user() {
  local u p
  read -r u p < <("$PZ_PY" "$RT_PEER" creds --public-key "$1" --secret "${2:-$RT_TURN_SECRET}" --expires "$RT_EXPIRES")
  mkdir -p "$FZI_STATE/turn"
  turnadmin -a -b "$FZI_STATE/turn/turndb" -u "$u" -r "$RT_REALM" -p "$p" >>"$FZI_STATE/turn/turnadmin.log" 2>&1 ||
    { fzi_log "turnadmin failed: $(tail -n 3 "$FZI_STATE/turn/turnadmin.log")"; return 1; }
  echo "$u $p"
}

rt_turn_conf() {
  cat >"$FZI_STATE/turn/turnserver.conf" <<CONF
# written by tests/integration/relay/lib.sh: nothing from /etc is read
listening-ip=$RT_TURN_IP
relay-ip=$RT_TURN_IP
listening-port=$RT_TURN_PORT
min-port=49152
max-port=65535
realm=$RT_REALM
lt-cred-mech
userdb=$FZI_STATE/turn/turndb
fingerprint
no-tls
no-dtls
no-tcp
no-cli
no-software-attribute
# the test network is made of documentation/private addresses: allow relaying to them
allow-loopback-peers
max-allocate-lifetime=${RT_TURN_MAX_LIFETIME:-3600}
log-file=${RT_TURN_LOG_FILE:-stdout}
simple-log
${RT_TURN_VERBOSE:+verbose}
pidfile=$FZI_STATE/turn/turnserver.pid
CONF
}

rt_turn_up() {
  mkdir -p "$FZI_STATE/turn"
  [ -f "$FZI_STATE/turn/turndb" ] || { fzi_log "rt_turn_up: add users first (rt_turn_user)"; return 1; }
  rt_turn_conf
  fzi_start turn "$(fzi_ns turn)" turnserver -c "$FZI_STATE/turn/turnserver.conf"
  fzi_wait_port "$(fzi_ns turn)" udp "$RT_TURN_PORT" 10
}
rt_turn_down() { fzi_stop turn; }
rt_turn_restart() { fzi_stop turn; rt_turn_up; }

# rt_turn_alloc USER PASS: one allocation and a relayed round trip with coturn's own client,
# from the client namespace (turnutils_uclient -y: two allocations talking to each other)
rt_turn_alloc() {
  ip netns exec "$(fzi_ns c0)" timeout 20 turnutils_uclient -y -u "$1" -w "$2" -r "$RT_REALM" \
    -n 3 -m 1 -l 100 -p "$RT_TURN_PORT" "$RT_TURN_IP" >"$FZI_STATE/turn/uclient.log" 2>&1 || return 1
  # "Total lost packets 0 (0.000000%)" and messages sent and received
  grep -q "Total transmit time" "$FZI_STATE/turn/uclient.log" &&
    grep -qE "Total lost packets 0 \(0\.0+%\)" "$FZI_STATE/turn/uclient.log"
}

# rt_relay_json PUBKEY: the relays entry the portal would send to the owner of PUBKEY
rt_relay_json() {
  local u p
  read -r u p < <("$PZ_PY" "$RT_PEER" creds --public-key "$1" --secret "$RT_TURN_SECRET" --expires "$RT_EXPIRES")
  printf '{"id":"%s","type":"turn","addr":"%s:%s","username":"%s","password":"%s","expires_at":%s}' \
    "$RT_RELAY_ID" "$RT_TURN_IP" "$RT_TURN_PORT" "$u" "$p" "$RT_EXPIRES"
}

# ------------------------------------------------------------------ the client
# rt_wg_client: wireguard-go client 0; the gateway peer's endpoint is the forwarder's socket
rt_wg_client() {
  local ns ifn
  ns=$(fzi_ns c0); ifn=$(fzi_client_if 0)
  fzi_keys 1
  fzi_stop wgc0
  fzi_start wgc0 "$ns" env LOG_LEVEL="${WG_LOG_LEVEL:-error}" WG_PROCESS_FOREGROUND=1 wireguard-go -f "$ifn"
  fzi_wait_sock "$ifn" || return 1
  ip netns exec "$ns" wg set "$ifn" private-key "$FZI_STATE/client0.key" listen-port "$RT_CLIENT_WG_PORT" \
    peer "$(cat "$FZI_STATE/gateway.pub")" preshared-key "$FZI_STATE/client0.psk" \
    endpoint "127.0.0.1:$RT_FWD_PORT" allowed-ips "$FZI_LAN,$FZI_TUN4_PFX"
  ip -n "$ns" addr add "$(fzi_client_tun4 0)/32" dev "$ifn"
  ip -n "$ns" link set "$ifn" mtu 1280 up
  ip -n "$ns" route replace "$FZI_LAN" dev "$ifn"
  ip -n "$ns" route replace "$FZI_TUN4_PFX" dev "$ifn"
}

# rt_ice_client NAME ARGS...: ice_peer.py client in the client namespace (its status file is
# $FZI_STATE/NAME.status); the host candidate is the client's own address only
rt_ice_client() {
  local name=$1; shift
  : >"$FZI_STATE/$name.status"
  fzi_start "$name" "$(fzi_ns c0)" "$PZ_PY" "$RT_PEER" client --host-ip "$(rt_client_ip)" \
    --listen "127.0.0.1:$RT_FWD_PORT" --wg "127.0.0.1:$RT_CLIENT_WG_PORT" \
    --status "$FZI_STATE/$name.status" "$@"
}

# rt_status_wait FILE EVENT [SECONDS]: until the status file has a line with that event
rt_status_wait() {
  local i
  for i in $(seq 1 $(( ${3:-20} * 10 ))); do
    grep -q "\"event\": \"$2\"" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
rt_status_get() { # FILE EVENT KEY: the field of the last such line
  grep "\"event\": \"$2\"" "$1" 2>/dev/null | tail -n 1 |
    "$PZ_PY" -c "import json, sys
for l in sys.stdin: print(json.loads(l).get('$3', ''))"
}

# rt_path FILE: the client's path now ("direct" or "relay"): the last connected, upgrade or
# failover event; rt_path_wait FILE WANT [SECONDS]: until it is WANT
rt_path() {
  grep -E '"event": "(connected|upgrade|failover)"' "$1" 2>/dev/null | tail -n 1 |
    "$PZ_PY" -c "import json, sys
for l in sys.stdin: print(json.loads(l)['path'], '|', json.loads(l)['pair'])"
}
rt_path_wait() {
  local i
  for i in $(seq 1 $(( ${3:-15} * 5 ))); do
    [ "$(rt_path "$1" | cut -d' ' -f1)" = "$2" ] && return 0
    sleep 0.2
  done
  return 1
}

# rt_ping [COUNT]: pings from the client through its tunnel to the resource host
rt_ping() { ip netns exec "$(fzi_ns c0)" ping -c "${1:-3}" -i 0.2 -W 2 -q "$FZI_RES_LAN" >/dev/null 2>&1; }
# rt_first_ping [T0] [SECONDS]: seconds (3 decimals) from T0 (a unix time; default now) until
# the first answered ping, or FAIL
rt_first_ping() {
  local t0=${1:-$(date +%s.%N)} i
  for i in $(seq 1 $(( ${2:-20} * 4 ))); do
    if ip netns exec "$(fzi_ns c0)" ping -c 1 -W 0.25 -q "$FZI_RES_LAN" >/dev/null 2>&1; then
      "$PZ_PY" -c "import time; print('%.3f' % (time.time() - $t0))"; return 0
    fi
  done
  echo FAIL; return 1
}

# rt_fetch_sha [PAUSE]: /1M.bin through the tunnel, read 64 KiB at a time with PAUSE seconds
# between reads (a transfer that lasts: 16 reads); prints its sha256 or FAIL
rt_fetch_sha() {
  ip netns exec "$(fzi_ns c0)" timeout 60 "$FZI_PY" -c "
import hashlib, time, urllib.request
h = hashlib.sha256()
r = urllib.request.urlopen('http://$FZI_RES_LAN:$FZI_HTTP_PORT/1M.bin', timeout=30)
while True:
    b = r.read(65536)
    if not b:
        break
    h.update(b)
    time.sleep(${1:-0})
print(h.hexdigest())" 2>/dev/null || echo FAIL
}

# rt_ping_gap_start SECONDS / rt_ping_gap_end: a ping every 0.1 s from the client in the
# background; then "ANSWERED SENT MAXGAP" (MAXGAP: the longest time in seconds between two
# answers, the start and the end of the run counted as answers)
rt_ping_gap_start() {
  RT_GAP_N=$(( $1 * 10 ))
  RT_GAP_T0=$(date +%s.%N)
  fzi_start pinggap "$(fzi_ns c0)" ping -D -i 0.1 -W 1 -c "$RT_GAP_N" "$FZI_RES_LAN"
}
rt_ping_gap_end() {
  local i pid; pid=$(fzi_pid pinggap)
  for i in $(seq 1 $(( RT_GAP_N / 10 + 20 ))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fzi_stop pinggap
  "$FZI_PY" - "$FZI_STATE/pinggap.log" "$RT_GAP_T0" "$(date +%s.%N)" "$RT_GAP_N" <<'PY'
import re, sys
ts = [float(m.group(1)) for m in map(re.compile(r"^\[(\d+\.\d+)\] \d+ bytes from").match, open(sys.argv[1])) if m]
marks = [float(sys.argv[2])] + ts + [float(sys.argv[3])]
print(len(ts), sys.argv[4], "%.3f" % max(b - a for a, b in zip(marks, marks[1:])))
PY
}

# ------------------------------------------------------------------ the portal's side
RT_CLIENT_ID=c0c0c0c0-0000-4000-8000-0000000000c0
RT_RESOURCE_ID=a0a0a0a0-0000-4000-8000-0000000000a0
RT_GW_UFRAG=gwuf RT_GW_PWD=gateway-password-123456
RT_CL_UFRAG=clUF RT_CL_PWD=client-password-1234567

# rt_standin_up [RELAYS-JSON]: the stand-in (TLS, tests/portal/lib.sh) in the gateway's
# namespace; its init lists RELAYS (default: none)
rt_standin_up() {
  pz_ca || { fzi_log "throw-away CA failed"; return 1; }
  pz_init_json "$FZI_GW_TUN4" "$FZI_GW_TUN6" "[]" "${1:-[]}" >"$FZI_STATE/init.json"
  pz_standin_up --init "$FZI_STATE/init.json"
}

# rt_authorize REF: create_authorization for client 0 (its key and preshared key) on the LAN
# resource, with both ICE credentials
rt_authorize() {
  local psk
  fzi_keys 1; psk=$(cat "$FZI_STATE/client0.psk")
  pz_ctl "{\"cmd\":\"send\",\"event\":\"create_authorization\",\"payload\":{\"ref\":\"$1\",
    \"client\":{\"id\":\"$RT_CLIENT_ID\",\"public_key\":\"$(cat "$FZI_STATE/client0.pub")\",
      \"preshared_key\":\"$psk\",\"ipv4\":\"$(fzi_client_tun4 0)\",
      \"ipv6\":\"$(fzi_client_tun6 0)\",\"version\":\"1.5.0\"},
    \"resource\":{\"id\":\"$RT_RESOURCE_ID\",\"type\":\"cidr\",\"name\":\"lan\",\"address\":\"$FZI_LAN\",\"filters\":[]},
    \"gateway_ice_credentials\":{\"username\":\"$RT_GW_UFRAG\",\"password\":\"$RT_GW_PWD\"},
    \"client_ice_credentials\":{\"username\":\"$RT_CL_UFRAG\",\"password\":\"$RT_CL_PWD\"},
    \"expires_at\":null,\"use_iceless\":false,\"flow_logs_ingest_token\":\"ingest-token\"}}" >/dev/null
}

# rt_client_start USER PASS: wireguard-go and the ICE client (status $FZI_STATE/client.status)
# with the given TURN credentials
rt_client_start() {
  rt_wg_client || return 1
  rt_ice_client client --ctl "$FZI_STATE/ctl.sock" --client-id "$RT_CLIENT_ID" \
    --ufrag "$RT_CL_UFRAG" --pwd "$RT_CL_PWD" --remote-ufrag "$RT_GW_UFRAG" --remote-pwd "$RT_GW_PWD" \
    --turn "$RT_TURN_IP:$RT_TURN_PORT" --turn-user "$1" --turn-pass "$2"
}

# rt_gateway_conf: our gateway with filter + portal (towards the stand-in) + relay
rt_gateway_conf() { pz_gateway_conf "" '{ name = "relay"; }'; }
