#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# relay_e2e: OUR gateway with the relay module, end to end, against a real ICE agent
# (python3-aioice, controlling) with wireguard-go behind it, coturn, and the portal stand-in.
# Registered in ctest (tests/integration/relay_e2e.cmake), plain and ASan builds.
#
# Cases (each in its own namespaces, a child of this script), as issue 11 lists them:
#   a  flat network: direct path (peer-to-peer); ping; 1 MiB HTTP by sha256; time to the first
#      answered ping; then the relay withdrawn by relays_presence (disconnected_ids): its
#      candidates withdrawn (broadcast_invalidated_ice_candidates) and, the last relay gone,
#      no_relays
#   b  client and gateway behind NATs, the gateway's dropping every unsolicited packet ("no
#      open port"): direct path through the NATs (server-reflexive); same checks
#   c  all UDP between the client's and the gateway's public addresses dropped, and neither
#      reaching coturn's relayed addresses but through its own allocation: relayed on both
#      sides (relay-to-relay); coturn grants 8 s allocations (max-allocate-lifetime), so the
#      gateway's REFRESH (at half the lifetime) must work for a 12 s ping stream to go on
#   d  direct first, then the direct path cut during a slow 1 MiB fetch and a ping stream: the
#      client nominates a relayed pair, the gateway follows (RFC 8445 nomination by the
#      controlling side; ICE_RENOMINATION_WAIT_MS); the gaps are printed
#   r  coturn restarted mid-session, the gateway reaching the client only through its own
#      allocation (relay-to-peer): the allocation is lost (437 on REFRESH, coturn grants 8 s),
#      allocated again, the new relayed candidate signalled, and the pings come back
#   e  init without relays: create_authorization answered with no_relays, no
#      authorization_created, nothing installed (no ping)
# Lines "# FIGURE ..." carry the timings for the closing note of issue 11.
# Env: FZGW_BIN, MOD_DIR (with relay.so and portal.so). Root: otherwise exit 77 (skipped).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

if [ -z "${RT_CASE:-}" ]; then
  source "$HERE/lib.sh"
  pz_require turnserver
  [ -f "$MOD_DIR/relay.so" ] || fzi_skip "no relay.so in $MOD_DIR (modules/relay not built)"
  rt_require
  total_p=0; total_f=0
  for c in ${RT_CASES:-a b c d r e}; do
    echo "# case $c"
    out=$(RT_CASE=$c timeout 300 bash "$0" 2>&1); rc=$?
    echo "$out" | grep -v '^[0-9]* passed, [0-9]* failed$'
    p=$(echo "$out" | grep -c '^ok   - '); f=$(echo "$out" | grep -c '^FAIL - ')
    if [ $rc != 0 ] && [ "$f" = 0 ]; then f=1; echo "FAIL - case $c ended with status $rc"; fi
    total_p=$((total_p + p)); total_f=$((total_f + f))
  done
  echo "$total_p passed, $total_f failed"
  [ "$total_f" = 0 ]
  exit
fi

source "$HERE/lib.sh"
fzi_init
RT_TURN_SECRET=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
finish() {
  if [ "$fails" -gt 0 ]; then
    for f in client.status turn.log turn/turnserver.log; do
      [ -s "$FZI_STATE/$f" ] && { echo "# $f:"; tail -n 15 "$FZI_STATE/$f" | sed 's/^/#   /'; }
    done
  fi
  pz_finish # stops the gateway (sanitizer check), cleans up, prints the totals, exits
}
# seconds between two of the gateway's log timestamps (ISO, UTC) or a unix time
ts_of() { "$PZ_PY" -c "import datetime, sys
t = sys.argv[1]
print(datetime.datetime.strptime(t, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc).timestamp() if 'T' in t else t)" "$1"; }
secs() { "$PZ_PY" -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$(ts_of "$1")" "$(ts_of "$2")"; }

topo=flat; [ "$RT_CASE" = b ] && topo=nat
case "$RT_CASE" in c | r) export RT_TURN_MAX_LIFETIME=8 RT_TURN_VERBOSE=1 ;; esac
export RT_TURN_LOG_FILE="$FZI_STATE/turn/turnserver.log" # line by line (stdout is buffered)
rt_topo_up "$topo" || { fail "topology $topo"; finish; }
case "$RT_CASE" in
  c) { rt_block_udp && rt_block_relay_ports both; } || { fail "UDP cut"; finish; } ;;
  r) { rt_block_udp && rt_block_relay_ports gw; } || { fail "UDP cut"; finish; } ;;
esac
fzi_keys 1
read -r GU GP < <(rt_turn_user "$(cat "$FZI_STATE/gateway.pub")") || { fail "turnadmin"; finish; }
read -r CU CP < <(rt_turn_user "$(cat "$FZI_STATE/client0.pub")")
rt_turn_up || { fail "coturn up"; finish; }
relays="[$(rt_relay_json "$(cat "$FZI_STATE/gateway.pub")")]"
[ "$RT_CASE" = e ] && relays="[]"
rt_standin_up "$relays" || { fail "portal stand-in"; finish; }
FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" ip netns exec "$(fzi_ns gw)" \
  "$FZI_REPO/scripts/gateway-nft.sh" "$(fzi_gw_tun)" >/dev/null || { fail "gateway-nft.sh"; finish; }
rt_gateway_conf
pz_gateway_start
pz_wait_log "interface $(fzi_gw_tun): $FZI_GW_TUN4/32" 10 || { fail "gateway joined, init applied"; finish; }
pass "gateway joined the stand-in (relays in init: $([ "$RT_CASE" = e ] && echo none || echo "coturn, user $GU"))"
if [ "$RT_CASE" != e ]; then
  # docs/modules/relay.md: "relay R: allocated at ..." once the ALLOCATE succeeded
  checkif "the gateway allocated on coturn" 'pz_wait_log "relay .*allocated" 10'
fi

t_auth=$(date +%s.%N)
rt_authorize ref-1
if [ "$RT_CASE" = e ]; then
  checkif "no relay: no_relays sent" 'pz_ctl "{\"cmd\":\"wait\",\"event\":\"no_relays\",\"count\":1,\"timeout\":10}" >/dev/null'
  checkif "no relay: no authorization_created" '[ "$(pz_count recv authorization_created)" = 0 ]'
  checkif "no relay: no candidates broadcast" '[ "$(pz_count recv broadcast_ice_candidates)" = 0 ]'
  checkif "no relay: the gateway logged it" 'pz_wait_log "no usable relay; no_relays" 5'
  rt_client_start "$CU" "$CP" >/dev/null 2>&1
  checkif "no relay: nothing installed, ping fails" '! rt_ping 2'
  finish
fi
checkif "authorization_created once the relay module took the connection" \
  'pz_ctl "{\"cmd\":\"wait\",\"event\":\"authorization_created\",\"count\":1,\"timeout\":20}" >/dev/null'
checkif "broadcast_ice_candidates for the client (host/srflx/relay of the sampled relay)" \
  'pz_ctl "{\"cmd\":\"ice\",\"client_id\":\"$RT_CLIENT_ID\",\"timeout\":10}" | fzi_match "typ relay"'
rt_client_start "$CU" "$CP" || { fail "client up"; finish; }

want=direct; case "$RT_CASE" in c | r) want=relay ;; esac
rt_status_wait "$FZI_STATE/client.status" connected 25
checkif "ICE connected (client: $(rt_status_get "$FZI_STATE/client.status" connected pair))" \
  'grep -q "\"event\": \"connected\"" "$FZI_STATE/client.status"'
path=$(rt_status_get "$FZI_STATE/client.status" connected path)
rt_path_wait "$FZI_STATE/client.status" "$want" 15
now=$(rt_path "$FZI_STATE/client.status")
checkif "client's path is $want (first: $path, now: $now)" '[ "${now%% *}" = "$want" ]'
[ "$RT_CASE" = b ] && checkif "through the NATs: the gateway's candidate is srflx or prflx" \
  'echo "$now" | fzi_match -E -- "-> (srflx|prflx) "'
first=$(rt_first_ping "$t_auth" 20)
declare -A kind_of=(["a"]="direct (host)" ["b"]="server-reflexive" ["c"]="relayed" ["d"]="direct (host)" ["r"]="relayed")
checkif "first answered ping ${first}s after create_authorization ($want)" '[ "$first" != FAIL ]'
echo "# FIGURE case $RT_CASE: authorization to first answered ping: ${first}s (${kind_of[$RT_CASE]:-?})"
# the module's log (modules/relay/paths.c): "client X: path nominated|changed KIND: ..." with
# KIND peer-to-peer, peer-to-relay, relay-to-peer or relay-to-relay (our side first: peer = our
# WireGuard socket, relay = our allocation; then the client's candidate)
gw_path() { grep -oE "client $RT_CLIENT_ID: path (nominated|changed) (peer|relay)-to-(peer|relay)" "$FZI_STATE/gateway.log" | tail -n 1 | awk '{print $NF}'; }
gw_path_in() { # KIND...: the gateway's latest path line is one of them
  local k cur; cur=$(gw_path)
  for k in "$@"; do [ "$cur" = "$k" ] && return 0; done
  return 1
}
case "$RT_CASE" in
  a | b | d) gw_want=(peer-to-peer) ;;
  c) gw_want=(relay-to-relay) ;;              # nothing else is left
  r) gw_want=(relay-to-peer relay-to-relay) ;; # only our allocation reaches the client
esac
for i in $(seq 1 25); do gw_path_in "${gw_want[@]}" && break; sleep 0.2; done
checkif "the gateway logs the path as ${gw_want[*]} ($(gw_path))" 'gw_path_in "${gw_want[@]}"'
checkif "ping through the tunnel" 'rt_ping 5'
sha=$(rt_fetch_sha)
checkif "1 MiB over HTTP, sha256 matches" '[ "$sha" = "$FZI_WWW_SHA" ]'
if [ "$RT_CASE" = b ]; then
  n0=$(rt_nat_unsolicited gw)
  ip netns exec "$(fzi_ns c0)" bash -c "echo probe >/dev/udp/$(rt_gw_pub)/$FZI_WG_PORT"
  sleep 0.2
  checkif "no open port: an unsolicited datagram to $(rt_gw_pub):$FZI_WG_PORT is dropped" \
    '[ "$(rt_nat_unsolicited gw)" -gt "$n0" ]'
fi
if [ "$RT_CASE" = c ]; then
  # 8 s allocations: a 12 s ping stream outlives the first one only if REFRESH works (coturn
  # logs each refresh; the gateway's user is GU)
  rt_ping_gap_start 12
  read -r answered sent gap < <(rt_ping_gap_end)
  nref=$(grep -c "refreshed.*username=<$GU>" "$RT_TURN_LOG_FILE")
  checkif "8 s allocations, pings for 12 s: $answered/$sent answered, longest gap ${gap}s" \
    '[ "$answered" -ge $((sent * 9 / 10)) ]'
  checkif "the gateway refreshed its 8 s allocation ($nref REFRESH answered in coturn's log)" '[ "$nref" -ge 1 ]'
fi
if [ "$RT_CASE" = d ]; then
  rt_ping_gap_start 15
  (sleep 3; rt_block_udp; date +%s.%N >"$FZI_STATE/cut.at") &
  cutter=$!
  sha=$(rt_fetch_sha 0.4)
  wait $cutter
  read -r answered sent gap < <(rt_ping_gap_end)
  checkif "direct path cut mid-transfer: the client failed over to $(rt_status_get "$FZI_STATE/client.status" failover pair)" \
    '[ "$(rt_status_get "$FZI_STATE/client.status" failover path)" = relay ]'
  for i in $(seq 1 50); do gw_path_in relay-to-relay relay-to-peer peer-to-relay && break; sleep 0.2; done
  checkif "the gateway's path changed to a relayed pair ($(gw_path))" 'gw_path_in relay-to-relay relay-to-peer peer-to-relay'
  checkif "the slow 1 MiB fetch across the cut completed, sha256 matches" '[ "$sha" = "$FZI_WWW_SHA" ]'
  checkif "pings went on through the relay: $answered/$sent answered, longest gap ${gap}s" \
    '[ "$answered" -gt $((sent / 2)) ]'
  # the gap's parts: the client noticing (its probes), then the gateway following its nomination
  t_fo=$(rt_status_get "$FZI_STATE/client.status" failover t)
  t_gw=$(grep "client $RT_CLIENT_ID: path changed" "$FZI_STATE/gateway.log" | tail -n 1 | cut -d' ' -f1)
  follow=$( [ -n "$t_fo" ] && [ -n "$t_gw" ] && secs "$t_fo" "$t_gw" || echo "?")
  t_cut=$(cat "$FZI_STATE/cut.at")
  echo "# FIGURE case d: longest ping gap ${gap}s ($answered/$sent answered); after the cut: client's failover $(secs "$t_cut" "$t_fo")s, gateway's path change $(secs "$t_cut" "$t_gw")s"
  # the gateway may move first: any pair the client nominated after the one in use takes over
  # once that one leaves a check unanswered for 500 ms (ICE_RENOMINATION_WAIT_MS)
  checkif "the gateway followed the client's nomination within 2 s (${follow}s)" \
    '[ "$follow" != "?" ] && "$PZ_PY" -c "import sys; sys.exit(0 if float(sys.argv[1]) < 2 else 1)" "$follow"'
fi
if [ "$RT_CASE" = r ]; then
  nalloc=$(grep -c "relay .*: allocated at" "$FZI_STATE/gateway.log")
  rt_ping_gap_start 25
  sleep 1
  rt_turn_restart || fail "coturn restarted"
  read -r answered sent gap < <(rt_ping_gap_end)
  checkif "the allocation was lost and made again ($(grep -c "relay .*: allocated at" "$FZI_STATE/gateway.log") allocations logged)" \
    '[ "$(grep -c "relay .*: allocated at" "$FZI_STATE/gateway.log")" -gt "$nalloc" ]'
  checkif "pings came back after the restart: $answered/$sent answered, longest gap ${gap}s" \
    'rt_ping 3'
  echo "# FIGURE case r: coturn restarted: longest ping gap ${gap}s ($answered/$sent answered)"
fi
# the counters: paths-direct / paths-relayed by the gateway's own side (its WireGuard socket or
# its allocation), and one gauge for each of the four kinds
counters=$(fzi_gw_counters)
kind=$(gw_path)
gwant=direct; case "$kind" in relay-*) gwant=relayed ;; esac
paths=$(grep -E 'relay\.paths-' <<<"$counters")
msg="counters ($kind): ${paths//$'\n'/ }"
if fzi_has_line "$counters" "relay.paths-$gwant 1" && fzi_has_line "$counters" "relay.paths-$kind 1"; then
  pass "$msg"
else
  fail "$msg"; printf '#   %q\n' "want $gwant and $kind" "$paths"
fi
if [ "$RT_CASE" = a ]; then
  # the relay withdrawn by relays_presence: the last one, so its candidates are withdrawn from
  # the client and the gateway asks for relays (no_relays)
  pz_ctl "{\"cmd\":\"send\",\"event\":\"relays_presence\",\"payload\":{\"disconnected_ids\":[\"$RT_RELAY_ID\"],\"connected\":[]}}" >/dev/null
  checkif "relay withdrawn: no_relays sent" \
    'pz_ctl "{\"cmd\":\"wait\",\"event\":\"no_relays\",\"count\":1,\"timeout\":10}" >/dev/null'
  checkif "relay withdrawn: broadcast_invalidated_ice_candidates with the relayed candidate" \
    'grep "broadcast_invalidated_ice_candidates" "$FZI_STATE/standin.jsonl" | fzi_match "typ relay"'
  checkif "relay withdrawn: the client saw its candidates withdrawn" \
    'rt_status_wait "$FZI_STATE/client.status" invalidated 10'
fi
finish
