#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# relay_e2e: OUR gateway with the relay module, end to end, against a real ICE agent
# (python3-aioice, controlling) with wireguard-go behind it, coturn, and the portal stand-in.
#
# ============================================================================================
# NOT FINISHED, NOT REGISTERED IN CTEST: written before modules/relay existed (issue 11), against
# the interface it is expected to have. What the module-glue helper must do:
#   1. Build relay.so into MOD_DIR; run this script by hand until every case passes:
#        FZGW_BIN=build/plain/core/firezone-gateway MOD_DIR=build/plain/modules \
#          tests/integration/relay/relay_e2e.sh          (RT_CASES="a" for one case)
#   2. Check the assumptions marked ASSUMED below against the module as written (the log
#      lines of docs/modules/relay.md "Paths", the counters paths-direct/paths-relayed, the
#      no_relays behaviour) and adjust the greps, not the module, unless the module is wrong.
#   3. Register it: a fragment tests/integration/relay_e2e.cmake like relay_harness.cmake
#      (RUN_SERIAL, SKIP_RETURN_CODE 77, ENVIRONMENT ${FZGW_NET_ENV}, TIMEOUT 600), so it runs
#      in both builds (plain and ASan; pz_finish checks the gateway's log for sanitizer
#      reports).
#   Status of a first run against an in-progress relay.so (build of another helper): a and e
#   pass; b passes but for the log check's old pattern (fixed since); c: the client's relayed
#   candidate -> our host socket is logged by the module as "peer-to-peer" (this test expects a
#   relay on either side: module or expectation to settle); d: the client fails over at once,
#   the fetch completes, but the gateway kept its direct path ~10 s (longest ping gap 10.8 s,
#   48/150 answered) and never logged a change to a relayed pair.
#   4. The gaps/timings it prints go into the issue's closing note (time from authorization
#      to the first answered ping for direct, server-reflexive and relayed paths; the gap of (d)).
# ============================================================================================
#
# Cases (each in its own namespaces, a child of this script), as issue 11 lists them:
#   a  flat network: direct path (host); ping; 1 MiB HTTP by sha256; time to first ping
#   b  client and gateway behind NATs, the gateway's dropping every unsolicited packet ("no
#      open port"): direct path through the NATs (server-reflexive); same checks
#   c  all UDP between client and gateway dropped: relayed; same checks
#   d  direct first, then the direct path cut during a slow 1 MiB fetch and a ping stream: the
#      fetch completes through the relay; the longest ping gap is printed
#   e  init without relays: create_authorization answered with no_relays, no
#      authorization_created, nothing installed (no ping)
# Env: FZGW_BIN, MOD_DIR (with relay.so and portal.so). Root: otherwise exit 77 (skipped).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

if [ -z "${RT_CASE:-}" ]; then
  source "$HERE/lib.sh"
  pz_require turnserver
  [ -f "$MOD_DIR/relay.so" ] || fzi_skip "no relay.so in $MOD_DIR (modules/relay not built)"
  rt_require
  total_p=0; total_f=0
  for c in ${RT_CASES:-a b c d e}; do
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
    for f in client.status turn.log; do
      [ -s "$FZI_STATE/$f" ] && { echo "# $f:"; tail -n 15 "$FZI_STATE/$f" | sed 's/^/#   /'; }
    done
  fi
  pz_finish # stops the gateway (sanitizer check), cleans up, prints the totals, exits
}
topo=flat; [ "$RT_CASE" = b ] && topo=nat
rt_topo_up "$topo" || { fail "topology $topo"; finish; }
[ "$RT_CASE" = c ] && { rt_block_udp || { fail "UDP cut"; finish; }; }
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
  # ASSUMED (docs/modules/relay.md): "relay R: allocated at ..." once the ALLOCATE succeeded
  checkif "the gateway allocated on coturn" 'pz_wait_log "relay .*allocated" 10'
fi

t_auth=$(date +%s.%N)
rt_authorize ref-1
if [ "$RT_CASE" = e ]; then
  checkif "no relay: no_relays sent" 'pz_ctl "{\"cmd\":\"wait\",\"event\":\"no_relays\",\"count\":1,\"timeout\":10}" >/dev/null'
  checkif "no relay: no authorization_created" '[ "$(pz_count recv authorization_created)" = 0 ]'
  checkif "no relay: no candidates broadcast" '[ "$(pz_count recv broadcast_ice_candidates)" = 0 ]'
  rt_client_start "$CU" "$CP" >/dev/null 2>&1
  checkif "no relay: nothing installed, ping fails" '! rt_ping 2'
  finish
fi
checkif "authorization_created once the relay module took the connection" \
  'pz_ctl "{\"cmd\":\"wait\",\"event\":\"authorization_created\",\"count\":1,\"timeout\":20}" >/dev/null'
checkif "broadcast_ice_candidates for the client (host/srflx/relay of the sampled relay)" \
  'pz_ctl "{\"cmd\":\"ice\",\"client_id\":\"$RT_CLIENT_ID\",\"timeout\":10}" | grep -q "typ relay"'
rt_client_start "$CU" "$CP" || { fail "client up"; finish; }

want=direct; [ "$RT_CASE" = c ] && want=relay
rt_status_wait "$FZI_STATE/client.status" connected 25
checkif "ICE connected (client: $(rt_status_get "$FZI_STATE/client.status" connected pair))" \
  'grep -q "\"event\": \"connected\"" "$FZI_STATE/client.status"'
path=$(rt_status_get "$FZI_STATE/client.status" connected path)
rtype=$(rt_status_get "$FZI_STATE/client.status" connected remote_type)
rt_path_wait "$FZI_STATE/client.status" "$want" 15
now=$(rt_path "$FZI_STATE/client.status")
checkif "client's path is $want (first: $path, now: $now)" '[ "${now%% *}" = "$want" ]'
[ "$RT_CASE" = b ] && checkif "through the NATs: the gateway's candidate is srflx or prflx" \
  'echo "$now" | grep -qE -- "-> (srflx|prflx) "'
first=$(rt_first_ping "$t_auth" 20)
checkif "first answered ping ${first}s after create_authorization ($want)" '[ "$first" != FAIL ]'
# the module's log (modules/relay/paths.c): "client X: path nominated|changed KIND: ..." with
# KIND peer-to-peer, peer-to-relay, relay-to-peer or relay-to-relay (our side first)
gw_path() { grep -oE "client $RT_CLIENT_ID: path (nominated|changed) (peer|relay)-to-(peer|relay)" "$FZI_STATE/gateway.log" | tail -n 1 | awk '{print $NF}'; }
gw_path_is() { # direct|relay: the gateway's latest path line says so
  case "$(gw_path)" in peer-to-peer) [ "$1" = direct ] ;; *-to-*) [ "$1" = relay ] ;; *) false ;; esac
}
for i in $(seq 1 25); do gw_path_is "$want" && break; sleep 0.2; done
checkif "the gateway logs the path as $want ($(gw_path))" 'gw_path_is "$want"'
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
if [ "$RT_CASE" = d ]; then
  rt_ping_gap_start 15
  (sleep 3; rt_block_udp) &
  cutter=$!
  sha=$(rt_fetch_sha 0.4)
  wait $cutter
  read -r answered sent gap < <(rt_ping_gap_end)
  checkif "direct path cut mid-transfer: the client failed over to $(rt_status_get "$FZI_STATE/client.status" failover pair)" \
    '[ "$(rt_status_get "$FZI_STATE/client.status" failover path)" = relay ]'
  for i in $(seq 1 50); do gw_path_is relay && break; sleep 0.2; done
  checkif "the gateway's path changed to the relay ($(gw_path))" 'gw_path_is relay'
  checkif "the slow 1 MiB fetch across the cut completed, sha256 matches" '[ "$sha" = "$FZI_WWW_SHA" ]'
  checkif "pings went on through the relay: $answered/$sent answered, longest gap ${gap}s" \
    '[ "$answered" -gt $((sent / 2)) ]'
fi
# the gauges paths-direct / paths-relayed count by the gateway's own side (its host socket, or
# its allocation): "peer-to-relay" (the client's relay, our host socket) counts as direct
counters=$(fzi_gw_counters)
gwant=direct; case "$(gw_path)" in relay-*) gwant=relayed ;; esac
checkif "counters ($(gw_path): paths-$gwant): $(echo "$counters" | grep -E 'relay\.paths-(direct|relayed)' | tr '\n' ' ')" \
  'echo "$counters" | grep -qE "relay\.paths-$gwant [1-9]"'
finish
