# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034  # RT_* settings are read by tests/integration/relay/lib.sh
# `scripts/demo.sh --relay`: sourced by demo.sh (as root, the packages there, FZGW_BIN and
# MOD_DIR set), after tests/integration/relay/lib.sh. demo_relay runs the whole live part:
#   the client (aioice, controlling, with wireguard-go behind its forwarder) and the gateway each
#   behind a NAT namespace, the gateway's NAT dropping every unsolicited inbound packet; coturn
#   with portal-shaped long-term credentials; the portal stand-in; the gateway with the filter,
#   portal and relay modules. All UDP between the two NATs' public addresses is dropped on the
#   "internet" bridge, so the only way left goes through coturn (topology c of issue 11).
# It prints the path the gateway logged, the relay counters and the page's first line; returns
# non-zero if the page could not be fetched. The caller's EXIT trap (fzi_init) cleans up.

demo_relay_show() { sed 's/^/    /'; }

demo_relay() {
  local gwlog rc=0 t_auth first page pair cpath
  RT_TURN_SECRET=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  PZ_LOG_LEVEL=${PZ_LOG_LEVEL:-info}
  RT_TURN_VERBOSE=1 # coturn logs each request it processed
  gwlog=$FZI_STATE/gateway.log

  rt_topo_up nat || { echo "=== demo FAILED: namespaces"; return 1; }
  rt_block_udp || { echo "=== demo FAILED: the UDP cut"; return 1; }
  echo
  echo "=== live, relayed: namespaces fzi-$FZI_ID-*"
  echo "    client   $(rt_client_ip) behind a NAT at $(rt_client_pub) (aioice controlling agent + wireguard-go)"
  echo "    gateway  $(rt_gw_ip) behind a NAT at $(rt_gw_pub) that drops every unsolicited inbound packet"
  echo "    coturn   $RT_TURN_IP:$RT_TURN_PORT, realm $RT_REALM, users <expires_at>:<salt> as the portal derives them"
  echo "    portal   the stand-in on the gateway's loopback (TLS); resource host $FZI_RES_LAN (HTTP) behind the gateway"
  echo "    all UDP between $(rt_client_pub) and $(rt_gw_pub) is dropped on the \"internet\" bridge: only coturn is left"

  fzi_keys 1
  local gu gp cu cp
  read -r gu gp < <(rt_turn_user "$(cat "$FZI_STATE/gateway.pub")") || { echo "=== demo FAILED: turnadmin"; return 1; }
  read -r cu cp < <(rt_turn_user "$(cat "$FZI_STATE/client0.pub")") || { echo "=== demo FAILED: turnadmin"; return 1; }
  rt_turn_up || { echo "=== demo FAILED: coturn did not start"; return 1; }
  rt_standin_up "[$(rt_relay_json "$(cat "$FZI_STATE/gateway.pub")")]" ||
    { echo "=== demo FAILED: the portal stand-in did not start"; return 1; }
  FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" ip netns exec "$(fzi_ns gw)" \
    scripts/gateway-nft.sh "$(fzi_gw_tun)" >/dev/null || { echo "=== demo FAILED: gateway-nft.sh"; return 1; }
  rt_gateway_conf
  echo "--- gateway config (portal mode towards the stand-in, relay module on; the token in the environment)"
  sed -n '/^gateway/,$p' "$FZI_STATE/gateway.conf" | demo_relay_show
  pz_gateway_start
  if ! pz_wait_log "interface $(fzi_gw_tun): $FZI_GW_TUN4/32" 10 || ! pz_wait_log "relay .*: allocated at" 10; then
    echo "=== demo FAILED: the gateway did not join the portal or allocate on coturn"
    tail -n 30 "$gwlog" | demo_relay_show
    return 1
  fi
  echo "--- the gateway joined the portal; init listed coturn (user $gu); the relay module allocated:"
  grep -E "relay .*: allocated at" "$gwlog" | tail -n 1 | demo_relay_show

  t_auth=$(date +%s.%N)
  rt_authorize demo-1
  if ! pz_ctl '{"cmd":"wait","event":"authorization_created","count":1,"timeout":20}' >/dev/null; then
    echo "=== demo FAILED: no authorization_created"; tail -n 30 "$gwlog" | demo_relay_show; return 1
  fi
  echo "--- create_authorization sent by the portal; authorization_created; the gateway's candidates (broadcast_ice_candidates):"
  pz_ctl "{\"cmd\":\"ice\",\"client_id\":\"$RT_CLIENT_ID\",\"timeout\":10}" |
    grep -oE 'candidate:[^"]*' | sort -u | demo_relay_show
  rt_client_start "$cu" "$cp" || { echo "=== demo FAILED: the client did not start"; return 1; }
  rt_status_wait "$FZI_STATE/client.status" connected 25 || true
  first=$(rt_first_ping "$t_auth" 20) || rc=1
  cpath=$(rt_path "$FZI_STATE/client.status")
  echo "--- client's ICE pair: ${cpath:-none}"
  echo "--- first answered ping through the tunnel: ${first}s after create_authorization"

  page=$(ip netns exec "$(fzi_ns c0)" timeout 20 "$FZI_PY" -c "
import urllib.request
print(urllib.request.urlopen('http://$FZI_RES_LAN:$FZI_HTTP_PORT/index.html', timeout=10).read().decode(errors='replace'), end='')" \
    2>"$FZI_STATE/fetch.err") || page=""
  echo "--- the path the gateway logged:"
  pair=$(grep -E "client $RT_CLIENT_ID: path (nominated|changed)" "$gwlog")
  if [ -n "$pair" ]; then echo "$pair" | demo_relay_show; else echo "    (none)"; fi
  echo "--- relay counters (SIGUSR1; those at zero left out):"
  fzi_gw_counters | grep -E '^relay\.' | awk '$2 != 0' | demo_relay_show
  # no open port: a datagram from elsewhere (coturn's namespace: not cut) to the gateway's public port
  local n0; n0=$(rt_nat_unsolicited gw)
  ip netns exec "$(fzi_ns turn)" bash -c "echo probe >/dev/udp/$(rt_gw_pub)/$FZI_WG_PORT" 2>/dev/null
  sleep 0.2
  echo "--- no open port: an unsolicited datagram to $(rt_gw_pub):$FZI_WG_PORT was $([ "$(rt_nat_unsolicited gw)" -gt "$n0" ] && echo "dropped by the gateway's NAT" || echo "NOT dropped")"
  echo "--- what the network dropped: the UDP cut $(rt_block_count) packets, the gateway's NAT $(rt_nat_unsolicited gw) unsolicited"
  echo "--- coturn's log (sessions, allocations, channel bindings; the gateway's and the client's users):"
  grep -E "new, realm|(ALLOCATE|CHANNEL_BIND) processed" "$FZI_STATE/turn.log" 2>/dev/null |
    sed -E 's/^[0-9]+: : //; s/realm <firezone> user <([^>]*)>: incoming packet/user \1:/' | demo_relay_show
  if [ -n "$page" ]; then
    echo "page's first line:  $(echo "$page" | head -1)"
  else
    echo "fetch failed:       $(tail -1 "$FZI_STATE/fetch.err" 2>/dev/null)"
    rc=1
  fi
  case "$pair" in
    *-to-relay* | *relay-to-*) ;;
    *) echo "    (the gateway did not log a path through the relay)"; rc=1 ;;
  esac
  if [ $rc = 0 ]; then
    echo "=== demo passed: a page fetched through coturn, both ends behind NATs; cleaning up"
  else
    echo "=== demo FAILED: the page could not be fetched through coturn"
    echo "--- the gateway's last log lines:"; tail -n 20 "$gwlog" | demo_relay_show
  fi
  return $rc
}
