#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The demo: installs what is missing, builds the gateway and shows it working.
#   1. build/plain (RelWithDebInfo), then --check-config on the shipped conf/gateway.conf;
#   2. as root, live, in network namespaces (tests/integration/lib/topo.sh): a resource host
#      (10.200.0.10, HTTP), the gateway in standalone mode (static + filter modules, host set-up by
#      scripts/gateway-nft.sh) and one wireguard-go client that fetches a page through the tunnel.
#      Prints the client's handshake age, the page's first line and the gateway's log, then
#      removes everything. Exits non-zero if the page could not be fetched.
# --portal: the same, but the gateway is managed by a portal: the project's stand-in portal
#   (tests/portal/standin.py, TLS with a throw-away CA) sends init and an authorization for the
#   client, and the gateway runs the portal and filter modules instead of static.
# --relay: the client and the gateway each behind a NAT (the gateway's dropping every unsolicited
#   inbound packet: no open port), the stand-in portal, coturn, and the gateway with the relay
#   module; all UDP between the two NATs is dropped, so the page is fetched through coturn. Prints
#   the path the gateway logged and its relay counters (scripts/lib/demo_relay.sh).
# Env: FZGW_GATEWAY=wireguard-go runs wireguard-go as the gateway instead (to see the topology work;
#   not with --relay); DEMO_BUILD_DIR (build/plain) is where it builds.
set -euo pipefail
MODE=standalone
case "${1:-}" in
  "") ;;
  --portal) MODE=portal ;;
  --relay) MODE=relay ;;
  *) echo "usage: $0 [--portal | --relay]" >&2; exit 64 ;;
esac
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh
need_packages "${BUILD_PACKAGES[@]}"
mkdir -p build
B=${DEMO_BUILD_DIR:-build/plain}
cmake -S . -B "$B" -DFZGW_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$B.configure.log" 2>&1 ||
  { cat "$B.configure.log"; exit 1; }
cmake --build "$B" -j"$(nproc)" --target firezone-gateway filter static dns nat portal relay >/dev/null
echo "=== firezone-gateway --check-config on the shipped conf/gateway.conf"
"$B/core/firezone-gateway" --config conf/gateway.conf --module-path "$B/modules" --check-config

if [ "$(id -u)" != 0 ]; then
  echo "=== the live part (namespaces, a WireGuard client, a fetch through the tunnel) needs root: skipped"
  exit 0
fi
need_packages "${NET_PACKAGES[@]}"
B=$(cd "$B" && pwd)
export FZGW_BIN=$B/core/firezone-gateway MOD_DIR=$B/modules
export FZI_PSK_CLIENTS=""
if [ $MODE = relay ]; then
  source tests/integration/relay/lib.sh # sources topo.sh and the portal tests' helpers
  source scripts/lib/demo_relay.sh
  rt_require  # exits 77 with a reason if this machine cannot do namespaces or lacks coturn/aioice
  fzi_init    # everything below is removed on exit, whatever happens
  set +e      # demo_relay checks each step itself
  demo_relay
  exit $?
fi
source tests/integration/lib/topo.sh
fzi_require # exits 77 with a reason if this machine cannot do namespaces
fzi_init    # everything below is removed on exit, whatever happens
URL="http://$FZI_RES_LAN:$FZI_HTTP_PORT/index.html"

# The gateway managed by the stand-in portal, which listens on the gateway's loopback.
portal_gateway_up() {
  local ns tun i pdir
  ns=$(fzi_ns gw); tun=$(fzi_gw_tun); pdir=$FZI_STATE/portal
  FZI_PSK_CLIENTS=0
  fzi_keys 1
  FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" ip netns exec "$ns" scripts/gateway-nft.sh "$tun" >/dev/null || return 1
  eval "$(DEMO_PSK=$(cat "$FZI_STATE/client0.psk") DEMO_RESOURCE=$FZI_LAN \
    DEMO_GW_IPV4=$FZI_GW_TUN4 DEMO_GW_IPV6=$FZI_GW_TUN6 \
    DEMO_CLIENT_IPV4=$(fzi_client_tun4 0) DEMO_CLIENT_IPV6=$(fzi_client_tun6 0) \
    ip netns exec "$ns" tests/portal/demo-portal.sh start "$pdir" "$(cat "$FZI_STATE/client0.pub")")" || return 1
  echo "standin $PORTAL_STANDIN_PID $(fzi_starttime "$PORTAL_STANDIN_PID")" >>"$FZI_STATE/pids"
  ( umask 077
    cat >"$FZI_STATE/gateway.conf" <<CONF
gateway = {
  tun = { name = "$tun"; mtu = $FZI_MTU; };
  listen_port = $FZI_WG_PORT;
  private_key_file = "$FZI_STATE/gateway.key";
  log = { level = "info"; };
};
modules = (
  { name = "filter"; },
  { name = "portal"; settings = { ca_file = "$PORTAL_CA_FILE"; id_file = "$FZI_STATE/gateway_id"; }; }
);
CONF
  )
  echo "--- gateway config (portal mode; FIREZONE_API_URL=$FIREZONE_API_URL, the token in the environment)"
  sed -n '/^gateway/,$p' "$FZI_STATE/gateway.conf"
  fzi_start gateway "$ns" env FIREZONE_API_URL="$FIREZONE_API_URL" FIREZONE_TOKEN="$FIREZONE_TOKEN" \
    FIREZONE_ID=demo-gateway FIREZONE_NAME=demo "$FZGW_BIN" --config "$FZI_STATE/gateway.conf" --module-path "$MOD_DIR"
  FZI_GW_PID=$(fzi_pid gateway)
  for i in $(seq 1 100); do
    ip -n "$ns" addr show dev "$tun" 2>/dev/null | grep -q "inet $FZI_GW_TUN4/32" && return 0
    kill -0 "$FZI_GW_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 30 "$FZI_STATE/gateway.log" | sed 's/^/#   /' >&2
  return 1
}

echo
echo "=== live: namespaces fzi-$FZI_ID-*: resource host $FZI_RES_LAN, gateway $FZI_GW_INET:$FZI_WG_PORT (${FZGW_GATEWAY:-ours}), client $(fzi_client_inet 0)"
fzi_topo_up
gw_ok=1
if [ $MODE = portal ]; then
  portal_gateway_up || gw_ok=0
else
  fzi_gateway_up 1 || gw_ok=0
fi
if [ "${FZGW_GATEWAY:-ours}" = ours ] && [ $MODE = standalone ]; then
  echo "--- gateway config (standalone mode, generated; the private key is in a file)"
  sed -n '/^gateway/,$p' "$FZI_STATE/gateway.conf"
fi
if [ $gw_ok = 0 ]; then
  echo "=== demo FAILED: the gateway did not start"
  exit 1
fi
echo "--- host set-up applied in the gateway's namespace by scripts/gateway-nft.sh"
ip netns exec "$(fzi_ns gw)" nft list table inet firezone-gateway | sed 's/^/    /'
fzi_client_up 0
echo "--- client0 (wireguard-go, $(fzi_client_tun4 0)) fetches $URL through the tunnel"
fzi_warmup 0 10 || true
page=$(ip netns exec "$(fzi_ns c0)" timeout 20 "$FZI_PY" -c "
import urllib.request
print(urllib.request.urlopen('$URL', timeout=10).read().decode(errors='replace'), end='')" 2>"$FZI_STATE/fetch.err") || page=""
echo "client handshake:   $(fzi_handshake_age 0) ago"
ip netns exec "$(fzi_ns c0)" wg show "$(fzi_client_if 0)" transfer | awk '{printf "client transfer:    %s bytes received, %s bytes sent\n", $2, $3}'
if [ -n "$page" ]; then
  echo "page's first line:  $(echo "$page" | head -1)"
else
  echo "fetch failed:       $(tail -1 "$FZI_STATE/fetch.err")"
fi
if [ "${FZGW_GATEWAY:-ours}" = ours ]; then
  kill -USR1 "$FZI_GW_PID" 2>/dev/null && sleep 0.3
  echo "--- the gateway's log (counters from SIGUSR1 at the end; those at zero left out)"
  grep -vE ' stats [^ ]+=0$' "$FZI_STATE/gateway.log" | sed 's/^/    /'
fi
if [ -n "$page" ]; then
  echo "=== demo passed: a page fetched through the gateway; cleaning up"
else
  echo "=== demo FAILED: the page could not be fetched through the gateway"
  exit 1
fi
