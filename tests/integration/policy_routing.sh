#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Policy routing as the original (docs/net.md, "Policy routing"): our gateway (static + filter)
# with one wireguard-go client, in network namespaces.
#   - the rule "not fwmark 0xfd002021 lookup 0x2021fd00 pref 100" exists once for IPv4 and once
#     for IPv6; table 0x2021fd00 holds 100.64.0.0/11 and fd00:2021:1111::/107 via the TUN; the
#     main table is as before the gateway started (but for the kernel's own routes of the
#     TUN's addresses) and holds neither range
#   - traffic flows: the client pings the resource host (IPv4, IPv6), fetches a page over TCP
#     and pings the gateway's tunnel address
#   - a crash (SIGKILL) leaves the rules behind; the next start keeps one rule per family
#     (not two) and serves the client again
#   - after SIGTERM no rule of ours is left and the table is empty
#   - gateway.routing_table = 0: the routes in the main table as before, no rule, traffic flows
# Env: FZGW_BIN, MOD_DIR (set by ctest). Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib/topo.sh"
[ -n "${FZGW_BIN:-}" ] && [ -n "${MOD_DIR:-}" ] ||
  { echo "usage: FZGW_BIN=.../firezone-gateway MOD_DIR=.../modules $0" >&2; exit 64; }
fzi_require

finish() { fzi_finish 25; }
GWNS() { ip netns exec "$(fzi_ns gw)" "$@"; }
CNS() { ip netns exec "$(fzi_ns c0)" "$@"; }
RULE='"priority":100,"not":null,"src":"all","fwmark":"0xfd002021","table":"539098368"'

# rules FAMILY-FLAG: how many of our rules that family has
rules() { GWNS ip -j $1 rule show | grep -o "$RULE" | wc -l; }
# in_table FAMILY-FLAG TABLE PREFIX: 1 when TABLE routes PREFIX through the gateway's TUN
in_table() {
  GWNS ip -j $1 route show table "$2" | "$FZI_PY" -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r.get("dst") == sys.argv[1] and r.get("dev") == sys.argv[2]))' "$3" "$(fzi_gw_tun)"
}
# main_routes FAMILY-FLAG: the main table, one route a line, without the kernel's own routes of
# the TUN's addresses
main_routes() {
  GWNS ip -j $1 route show table main | "$FZI_PY" -c '
import json, sys
for r in json.load(sys.stdin):
    if r.get("dev") == sys.argv[1] and r.get("protocol") == "kernel":
        continue
    print(json.dumps(r, sort_keys=True))' "$(fzi_gw_tun)" | sort
}
# gw_start: the gateway again with the config as it is, waiting for its TUN (10 s)
gw_start() {
  local i
  fzi_start gateway "$(fzi_ns gw)" "$FZGW_BIN" --config "$FZI_STATE/gateway.conf" --module-path "$MOD_DIR"
  FZI_GW_PID=$(fzi_pid gateway)
  for i in $(seq 1 100); do
    GWNS ip addr show dev "$(fzi_gw_tun)" 2>/dev/null | fzi_match "inet $FZI_GW_TUN4/32" && return 0
    sleep 0.1
  done
  return 1
}
traffic() { # traffic WHAT: the client reaches the resource host and the gateway
  checkif "$1: client 0 pings the resource host (IPv4)" "CNS ping -c 3 -i 0.2 -W 2 -q $FZI_RES_LAN >/dev/null"
  checkif "$1: client 0 pings the resource host (IPv6)" "CNS ping -6 -c 3 -i 0.2 -W 2 -q $FZI_RES_LAN6 >/dev/null"
  checkif "$1: client 0 fetches /index.html over TCP" \
    "CNS curl -fsS -m 5 -o /dev/null http://$FZI_RES_LAN:$FZI_HTTP_PORT/index.html"
  checkif "$1: client 0 pings the gateway's tunnel address" "CNS ping -c 2 -i 0.2 -W 2 -q $FZI_GW_TUN4 >/dev/null"
}

fzi_init
fzi_topo_up || { fail "topology"; finish; }
before4=$(main_routes -4); before6=$(main_routes -6)
fzi_gateway_up 1 || { fail "gateway up"; finish; }
fzi_client_up 0 || { fail "client 0"; finish; }
fzi_warmup 0 10 || { fail "client 0: no answer from the resource host within 10 s"; finish; }
pass "gateway, client 0 and its handshake"

# ------------------------------------------------------------ the rules and the tables
checkif "one IPv4 rule 'not fwmark 0xfd002021 lookup 0x2021fd00 pref 100' ($(rules -4))" '[ "$(rules -4)" = 1 ]'
checkif "one IPv6 rule 'not fwmark 0xfd002021 lookup 0x2021fd00 pref 100' ($(rules -6))" '[ "$(rules -6)" = 1 ]'
checkif "table 0x2021fd00 routes 100.64.0.0/11 through the TUN" '[ "$(in_table -4 0x2021fd00 100.64.0.0/11)" = 1 ]'
checkif "table 0x2021fd00 routes fd00:2021:1111::/107 through the TUN" '[ "$(in_table -6 0x2021fd00 fd00:2021:1111::/107)" = 1 ]'
checkif "the main table has no 100.64.0.0/11 nor fd00:2021:1111::/107" \
  '! GWNS ip route show table main | fzi_match 100.64.0.0/11 && ! GWNS ip -6 route show table main | fzi_match fd00:2021:1111::/107'
checkif "the main table is as before the gateway (IPv4 and IPv6)" \
  '[ "$(main_routes -4)" = "$before4" ] && [ "$(main_routes -6)" = "$before6" ]'
checkif "the log says what was set up" \
  'grep -q "policy routing: IPv4 100.64.0.0/11 via $(fzi_gw_tun) in table 0x2021fd00, rule \"not fwmark 0xfd002021 lookup 0x2021fd00 pref 100\" added" "$FZI_STATE/gateway.log" &&
   grep -q "policy routing: IPv6 fd00:2021:1111::/107 via $(fzi_gw_tun) in table 0x2021fd00" "$FZI_STATE/gateway.log"'
traffic "policy routing"

# ------------------------------------------------------------ a crash, then a new start
kill -9 "$FZI_GW_PID"; wait "$FZI_GW_PID" 2>/dev/null
cp "$FZI_STATE/gateway.log" "$FZI_STATE/gateway.1.log"
checkif "after SIGKILL the rules stay behind (IPv4 $(rules -4), IPv6 $(rules -6))" '[ "$(rules -4)" = 1 ] && [ "$(rules -6)" = 1 ]'
gw_start || fail "gateway restart"
checkif "restarted over the stale rules: still one per family (IPv4 $(rules -4), IPv6 $(rules -6))" \
  '[ "$(rules -4)" = 1 ] && [ "$(rules -6)" = 1 ]'
checkif "the log says the rule was already there" 'grep -q "pref 100\" already there" "$FZI_STATE/gateway.log"'
fzi_warmup 0 20 || fail "client 0: no answer after the restart"
traffic "after a restart"

# ------------------------------------------------------------ SIGTERM cleans up
fzi_stop gateway
cp "$FZI_STATE/gateway.log" "$FZI_STATE/gateway.2.log"
checkif "after SIGTERM no rule of ours is left (IPv4 $(rules -4), IPv6 $(rules -6))" \
  '[ "$(rules -4)" = 0 ] && [ "$(rules -6)" = 0 ] && ! GWNS ip rule show | fzi_match 0xfd002021 && ! GWNS ip -6 rule show | fzi_match 0xfd002021'
checkif "after SIGTERM table 0x2021fd00 is empty" \
  '[ -z "$(GWNS ip route show table 0x2021fd00)" ] && [ -z "$(GWNS ip -6 route show table 0x2021fd00)" ]'
checkif "the log says the rules were deleted" 'grep -q "policy routing: 2 rule(s) \"not fwmark 0xfd002021 pref 100\" deleted" "$FZI_STATE/gateway.log"'
checkif "the main table is as before the gateway" '[ "$(main_routes -4)" = "$before4" ] && [ "$(main_routes -6)" = "$before6" ]'

# ------------------------------------------------------------ routing_table = 0: the main table
sed -i 's/^  listen_port = /  routing_table = 0;\n  listen_port = /' "$FZI_STATE/gateway.conf"
gw_start || fail "gateway with routing_table = 0"
checkif "routing_table = 0: no rule" '[ "$(rules -4)" = 0 ] && [ "$(rules -6)" = 0 ]'
checkif "routing_table = 0: the main table routes both ranges through the TUN" \
  '[ "$(in_table -4 main 100.64.0.0/11)" = 1 ] && [ "$(in_table -6 main fd00:2021:1111::/107)" = 1 ]'
fzi_warmup 0 20 || fail "client 0: no answer with routing_table = 0"
traffic "routing_table = 0"
finish
