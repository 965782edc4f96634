# SPDX-License-Identifier: Apache-2.0
# Helpers of the policy namespace test (policy.sh), on top of topo.sh: a second address on the
# resource host, a config of our own (two host resources, an expiring client, the ratelimit
# module) and the gateway started with it. Source it after topo.sh (bash).
#
#   pol_res_second_addr      10.200.0.20 on the resource host, with an HTTP server of its own
#   pol_gateway_conf T MODE  writes $FZI_STATE/gateway.conf: client1's grants end at unix time
#                            T; the ratelimit module ($RL_SO, $RL_RATE kbit/s) in MODE
#   pol_gateway_up           scripts/gateway-nft.sh, then our gateway with that config; waits
#                            for its TUN and UDP port. PID in $FZI_GW_PID.
#   pol_connect NS ADDR PORT a TCP connect from NS: prints "RESULT MS" (RESULT: ok or the
#                            errno name, e.g. EHOSTUNREACH; MS: how long it took)
#   pol_iperf_mbps N ARGS.. iperf3 from client N to the resource host; prints the Mbit/s the
#                            receiver got ("?" when iperf3 failed)

POL_RES_B=10.200.0.20
POL_DENIED_PORT=22

pol_res_second_addr() {
  local ns; ns=$(fzi_ns res)
  ip -n "$ns" addr add "$POL_RES_B/24" dev lan0 || return 1
  mkdir -p "$FZI_STATE/www-b"
  echo "hello from the second address $POL_RES_B" >"$FZI_STATE/www-b/index.html"
  fzi_start http-b "$ns" "$FZI_PY" -m http.server "$FZI_HTTP_PORT" --bind "$POL_RES_B" --directory "$FZI_STATE/www-b"
  # listeners on the denied port: a refusal must come from the gateway, not from a closed port
  fzi_start deny-a "$ns" "$FZI_PY" -c "import socket,time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', $POL_DENIED_PORT)); s.listen(8)
while True: time.sleep(60)"
  fzi_wait_port "$ns" tcp "$FZI_HTTP_PORT" && fzi_wait_port "$ns" tcp "$POL_DENIED_PORT"
}

# pol_peer N RESOURCES [EXPIRES_AT]: one peer entry of the static module
pol_peer() {
  local n=$1 psk out
  psk=$(fzi_client_psk "$n")
  out="        { id = \"client$n\"; public_key = \"$(cat "$FZI_STATE/client$n.pub")\";"
  [ -n "$psk" ] && out+=" preshared_key = \"$(cat "$psk")\";"
  out+=$'\n'"          ipv4 = \"$(fzi_client_tun4 "$n")\"; ipv6 = \"$(fzi_client_tun6 "$n")\"; resources = $2;"
  [ -n "${3:-}" ] && out+=" expires_at = $3;"
  echo "$out }"
}

pol_gateway_conf() {
  local expires=$1 mode=$2
  fzi_keys 2
  ( umask 077
    cat >"$FZI_STATE/gateway.conf" <<CONF
# written by tests/integration/lib/policy_lib.sh
gateway = {
  tun = { name = "$(fzi_gw_tun)"; mtu = $FZI_MTU; };
  listen_port = $FZI_WG_PORT;
  private_key_file = "$FZI_STATE/gateway.key";
  log = { level = "${FZI_LOG_LEVEL:-info}"; format = "human"; };
};
modules = (
  { name = "ratelimit"; path = "$RL_SO";
    settings = { rate = $RL_RATE; mode = "$mode"; direction = "both"; }; },
  { name = "filter"; settings = { icmp_rate = 100; }; },
  { name = "static";
    settings = {
      ipv4 = "$FZI_GW_TUN4"; ipv6 = "$FZI_GW_TUN6";
      resources = (
        { id = "host-a"; type = "cidr"; address = "$FZI_RES_LAN/32";
          filters = ( { protocol = "tcp"; ports = "$FZI_HTTP_PORT, 5201-5202"; },
                      { protocol = "udp"; ports = "5201-5202"; }, { protocol = "icmp"; } ); },
        { id = "host-b"; type = "cidr"; address = "$POL_RES_B/32";
          filters = ( { protocol = "tcp"; ports = "$FZI_HTTP_PORT"; } ); }
      );
      peers = (
$(pol_peer 0 '["host-a", "host-b"]'),
$(pol_peer 1 '["host-a"]' "$expires")
      );
    };
  }
);
CONF
  )
}

pol_gateway_up() {
  local ns tun i
  ns=$(fzi_ns gw); tun=$(fzi_gw_tun)
  FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" ip netns exec "$ns" "$FZI_REPO/scripts/gateway-nft.sh" "$tun" >/dev/null || return 1
  fzi_start gateway "$ns" "$FZGW_BIN" --config "$FZI_STATE/gateway.conf" --module-path "$MOD_DIR"
  FZI_GW_PID=$(fzi_pid gateway)
  for i in $(seq 1 100); do
    fzi_gw_ready "$ns" "$tun" && return 0
    kill -0 "$FZI_GW_PID" 2>/dev/null || break
    sleep 0.1
  done
  fzi_log "gateway not ready; its log:"; tail -n 30 "$FZI_STATE/gateway.log" | sed 's/^/#   /' >&2
  return 1
}

pol_connect() {
  ip netns exec "$1" "$FZI_PY" -c "
import errno, socket, time
s = socket.socket(socket.AF_INET6 if ':' in '$2' else socket.AF_INET)
s.settimeout(5)
t = time.monotonic()
try:
    s.connect(('$2', $3)); r = 'ok'
except socket.timeout:
    r = 'timeout'
except OSError as e:
    r = errno.errorcode.get(e.errno, str(e.errno))
print(r, int((time.monotonic() - t) * 1000))" 2>/dev/null || echo "error 0"
}

pol_iperf_mbps() {
  local n=$1; shift
  ip netns exec "$(fzi_ns "c$n")" timeout 40 iperf3 -c "$FZI_RES_LAN" -J "$@" 2>/dev/null | "$FZI_PY" -c '
import json, sys
try:
    e = json.load(sys.stdin)["end"]
    if "sum_received" in e:
        print("%.1f" % (e["sum_received"]["bits_per_second"] / 1e6))
    else:  # UDP without a receiver sum: what was sent less what was lost
        s = e["sum"]
        print("%.1f" % (s["bits_per_second"] * (1 - s["lost_percent"] / 100) / 1e6))
except Exception:
    print("?")'
}
