#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# relay_harness_selftest: checks the relay test HARNESS itself, without our gateway (no relay
# module needed): coturn with portal-shaped credentials, the namespaces and NATs, the portal
# stand-in's ICE plumbing, and the aioice client with its wireguard-go forwarder. The gateway's
# side here is a STAND-IN (ice_peer.py gateway: a controlled aioice agent in front of a
# wireguard-go "gateway"), connected to the portal stand-in over its WebSocket like a gateway:
# candidates really travel as ice_candidates / broadcast_ice_candidates.
#   coturn   (once): an allocation with the gateway's derived credentials (username
#            "<expires_at>:<salt>", realm firezone) relays; a wrong password is refused; coturn
#            restarted: the client's credentials allocate
#   a  flat: ICE connects on a direct path; ping; 1 MiB HTTP checked by sha256
#   b  nat : both behind NATs, the gateway's dropping unsolicited packets: direct (srflx) path
#   c  flat, all UDP between client and gateway dropped on the bridge: relayed path
#   d  flat, direct first, then the direct path cut during a ping stream and a slow 1 MiB
#            fetch: the client fails over to a relayed pair; the gap is printed
#   x  as c, with a wrong TURN password on the client: no path, ping fails (the harness can fail)
# RT_SELFTEST_BREAK=turn gives coturn users derived from another secret: the self-test must fail.
# Each case runs in its own namespaces (a child of this script). RT_CASES picks cases (default
# "a b c d x"). Needs root, coturn, python3-aioice: otherwise exit 77 (skipped).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

if [ -z "${RT_CASE:-}" ]; then # the parent: one child per case, one summary
  source "$HERE/lib.sh"
  rt_require
  total_p=0; total_f=0
  for c in ${RT_CASES:-coturn a b c d x}; do
    echo "# case $c"
    out=$(RT_CASE=$c timeout 240 bash "$0" 2>&1); rc=$?
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
fzi_on_failure() {
  for f in client.status gw-ice.status turn.log gw-ice.log client.log; do
    [ -s "$FZI_STATE/$f" ] && { echo "# $f:"; tail -n 15 "$FZI_STATE/$f" | sed 's/^/#   /'; }
  done
}
finish() { fzi_finish; }
topo=flat; [ "$RT_CASE" = b ] && topo=nat
rt_topo_up "$topo" || { fail "topology $topo"; finish; }
case "$RT_CASE" in c | x) rt_block_udp || { fail "UDP cut on the bridge"; finish; } ;; esac
fzi_keys 1
# RT_SELFTEST_BREAK=turn: coturn's users get another secret than the one the credentials
# (relays in init, the client's) come from: every case that needs a relay must then fail
db_secret=$RT_TURN_SECRET; [ "${RT_SELFTEST_BREAK:-}" = turn ] && db_secret="other-$RT_TURN_SECRET"
read -r _ _ < <(rt_turn_user "$(cat "$FZI_STATE/gateway.pub")" "$db_secret") || { fail "turnadmin"; finish; }
read -r _ _ < <(rt_turn_user "$(cat "$FZI_STATE/client0.pub")" "$db_secret")
read -r GU GP < <("$PZ_PY" "$RT_PEER" creds --public-key "$(cat "$FZI_STATE/gateway.pub")" --secret "$RT_TURN_SECRET" --expires "$RT_EXPIRES")
read -r CU CP < <("$PZ_PY" "$RT_PEER" creds --public-key "$(cat "$FZI_STATE/client0.pub")" --secret "$RT_TURN_SECRET" --expires "$RT_EXPIRES")
rt_turn_up || { fail "coturn up"; finish; }

if [ "$RT_CASE" = coturn ]; then
  checkif "coturn answers a STUN binding from the client (reflexive address $(rt_client_pub))" \
    'ip netns exec "$(fzi_ns c0)" timeout 5 turnutils_stunclient -p $RT_TURN_PORT $RT_TURN_IP 2>&1 | fzi_match "reflexive addr: $(rt_client_pub):"'
  checkif "allocation with the gateway's portal-shaped credentials ($GU) relays" 'rt_turn_alloc "$GU" "$GP"'
  checkif "a wrong password is refused (no allocation)" '! rt_turn_alloc "$GU" "not-$GP"'
  checkif "a user coturn does not know is refused" '! rt_turn_alloc "$RT_EXPIRES:unknownsalt" "$GP"'
  checkif "coturn names the whole user (colon included) when refusing the wrong password" \
    'grep -qF "user $GU credentials are incorrect" "$FZI_STATE/turn.log"'
  rt_turn_restart
  checkif "coturn restarted: the client's credentials allocate" 'rt_turn_alloc "$CU" "$CP"'
  finish
fi

# the stand-in gateway: wireguard-go (TUN, masquerade as topo.sh does) behind the controlled agent
rt_standin_up "[$(rt_relay_json "$(cat "$FZI_STATE/gateway.pub")")]" || { fail "portal stand-in"; finish; }
FZGW_GATEWAY=wireguard-go fzi_gateway_up 1 || { fail "wireguard-go gateway"; finish; }
ip netns exec "$(fzi_ns gw)" wg set "$(fzi_gw_tun)" peer "$(cat "$FZI_STATE/client0.pub")" endpoint "127.0.0.1:$RT_FWD_PORT"
: >"$FZI_STATE/gw-ice.status"
fzi_start gw-ice "$(fzi_ns gw)" "$PZ_PY" "$RT_PEER" gateway --url "wss://localhost:$PZ_PORT" \
  --ca "$FZI_STATE/ca.pem" --token "$PZ_TOKEN" --public-key "$(cat "$FZI_STATE/gateway.pub")" \
  --host-ip "$(rt_gw_ip)" --listen "127.0.0.1:$RT_FWD_PORT" --wg "127.0.0.1:$FZI_WG_PORT" \
  --status "$FZI_STATE/gw-ice.status"
pz_ctl '{"cmd":"wait","event":"phx_join","count":1,"timeout":10}' >/dev/null || { fail "stand-in gateway joined"; finish; }
rt_status_wait "$FZI_STATE/gw-ice.status" init 5
t_auth=$(date +%s.%N)
rt_authorize ref-1
checkif "authorization_created from the stand-in gateway" \
  'pz_ctl "{\"cmd\":\"wait\",\"event\":\"authorization_created\",\"count\":1,\"timeout\":20}" >/dev/null'
checkif "the stand-in recorded broadcast_ice_candidates for the client" \
  'pz_ctl "{\"cmd\":\"ice\",\"client_id\":\"$RT_CLIENT_ID\",\"timeout\":5}" | fzi_match "candidate:"'

upass=$CP; [ "$RT_CASE" = x ] && upass="wrong-$CP"
rt_client_start "$CU" "$upass" || { fail "client up"; finish; }

if [ "$RT_CASE" = x ]; then
  checkif "wrong TURN password: the client reports an error" 'rt_status_wait "$FZI_STATE/client.status" error 25'
  checkif "wrong TURN password: no connection" '! grep -q "\"event\": \"connected\"" "$FZI_STATE/client.status"'
  checkif "wrong TURN password: ping fails" '! rt_ping 2'
  finish
fi

want=direct; [ "$RT_CASE" = c ] && want=relay
checkif "ICE connected (client: $(rt_status_wait "$FZI_STATE/client.status" connected 25 && rt_status_get "$FZI_STATE/client.status" connected pair))" \
  'grep -q "\"event\": \"connected\"" "$FZI_STATE/client.status"'
path=$(rt_status_get "$FZI_STATE/client.status" connected path)
rt_path_wait "$FZI_STATE/client.status" "$want" 15
now=$(rt_path "$FZI_STATE/client.status")
checkif "path is $want (first: $path, now: $now)" '[ "${now%% *}" = "$want" ]'
checkif "the gateway's agent got the client's ice_candidates through the stand-in" \
  'grep -q "\"event\": \"remote\"" "$FZI_STATE/gw-ice.status"'
first=$(rt_first_ping "$t_auth" 20)
checkif "first answered ping ${first}s after create_authorization" '[ "$first" != FAIL ]'
checkif "ping through the tunnel" 'rt_ping 5'
sha=$(rt_fetch_sha)
checkif "1 MiB over HTTP, sha256 matches" '[ "$sha" = "$FZI_WWW_SHA" ]'
if [ "$RT_CASE" = b ]; then
  n0=$(rt_nat_unsolicited gw)
  ip netns exec "$(fzi_ns c0)" bash -c "echo probe >/dev/udp/$(rt_gw_pub)/$FZI_WG_PORT"
  sleep 0.2
  checkif "no open port: an unsolicited datagram to $(rt_gw_pub):$FZI_WG_PORT is dropped by the gateway's NAT ($n0 -> $(rt_nat_unsolicited gw))" \
    '[ "$(rt_nat_unsolicited gw)" -gt "$n0" ]'
fi
if [ "$RT_CASE" = c ]; then
  checkif "the bridge dropped direct UDP ($(rt_block_count) packets)" '[ "$(rt_block_count)" -gt 0 ]'
fi
if [ "$RT_CASE" = d ]; then
  rt_ping_gap_start 12
  (sleep 3; rt_block_udp) &
  cutter=$!
  sha=$(rt_fetch_sha 0.4)
  wait $cutter
  read -r answered sent gap < <(rt_ping_gap_end)
  checkif "direct path cut mid-transfer: the client failed over to $(rt_status_get "$FZI_STATE/client.status" failover path) ($(rt_status_get "$FZI_STATE/client.status" failover pair))" \
    '[ "$(rt_status_get "$FZI_STATE/client.status" failover path)" = relay ]'
  checkif "the slow 1 MiB fetch across the cut completed, sha256 matches" '[ "$sha" = "$FZI_WWW_SHA" ]'
  checkif "pings went on through the relay: $answered/$sent answered, longest gap ${gap}s" \
    '[ "$answered" -gt $((sent / 2)) ]'
  checkif "ping after the cut" 'rt_ping 3'
fi
finish
