# SPDX-License-Identifier: Apache-2.0
# fzgw_gen over the topology of tests/integration/lib/topo.sh (sourced first): used by
# bench/run.sh and tests/integration/gen.sh. Source it.
#   gen_keys N             N identities in $FZI_STATE/gen.keys ("INDEX PRIVATE PUBLIC")
#   gen_ns_up              namespace fzi-ID-gen on the "internet" bridge (198.51.100.60) with
#                          GEN_SRC_NET/16 local (any of its addresses can be a source) and
#                          routed there from the gateway's namespace
#   gen_gateway_up GW N    the gateway (ours | wireguard-go) with the first N identities as
#                          peers (tunnel address of INDEX: 100.64.0.0 + 2 + INDEX), the
#                          operator's nftables set-up; PID in FZI_GW_PID
#   gen_peers_conf N       (ours) rewrite gateway.conf with N identities (then SIGHUP);
#                          GEN_GW_WORKERS set: gateway.workers = that; GEN_HS_THRESHOLD
#                          set: gateway.handshake_load_threshold = that
#   gen_run ARGS...        fzgw_gen run from fzi-ID-gen against the gateway, site socket in
#                          fzi-ID-res on $GEN_SINK; prints its lines; its status is gen_run's
# Env: GEN (the fzgw_gen binary), FZGW_BIN, MOD_DIR (ours).
GEN_ADDR=198.51.100.60
GEN_SRC_NET=10.79.0.0
GEN_SINK_PORT=9998
GEN_SINK="$FZI_RES_LAN:$GEN_SINK_PORT"

gen_keys() { "$GEN" keys "$1" >"$FZI_STATE/gen.keys"; }

gen_ns_up() {
  fzi_ns_add gen
  fzi_attach_inet gen "$GEN_ADDR/24"
  ip -n "$(fzi_ns gen)" route add local "$GEN_SRC_NET/16" dev lo
  ip -n "$(fzi_ns gw)" route add "$GEN_SRC_NET/16" via "$GEN_ADDR"
}

# gen_peers_conf N: our gateway's config (static + filter) with the first N identities
gen_peers_conf() {
  ( umask 077
    "$FZI_PY" - "$FZI_STATE" "$(fzi_gw_tun)" "$1" "$FZI_LAN" "${FZI_LOG_LEVEL:-info}" \
      "${GEN_GW_WORKERS:-}" "${GEN_HS_THRESHOLD:-}" <<'PY'
import sys
st, tun, n, lan, level = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
workers = "  workers = %d;\n" % int(sys.argv[6]) if sys.argv[6] else ""
if sys.argv[7]:
    workers += "  handshake_load_threshold = %d;\n" % int(sys.argv[7])
peers = []
for l in open(st + "/gen.keys"):
    i, sk, pk = l.split()
    i = int(i)
    if i >= n:
        break
    a = 2 + i
    peers.append('        { id = "g%d"; public_key = "%s"; ipv4 = "100.64.%d.%d"; '
                 'ipv6 = "fd00:2021:1111::%x"; resources = ["lan"]; }'
                 % (i, pk, (a >> 8) & 255, a & 255, a))
conf = """# written by bench/lib/gen_lib.sh
gateway = {
  tun = { name = "%s"; mtu = 1420; };
  listen_port = 51820;
  private_key_file = "%s/gateway.key";
  log = { level = "%s"; format = "human"; };
%s};
modules = (
  { name = "filter"; },
  { name = "static";
    settings = {
      ipv4 = "100.64.0.1"; ipv6 = "fd00:2021:1111::1";
      resources = ( { id = "lan"; type = "cidr"; address = "%s"; } );
      peers = (
%s
      );
    };
  }
);
""" % (tun, st, level, workers, lan, ",\n".join(peers))
open(st + "/gateway.conf.new", "w").write(conf)
PY
  ) && mv "$FZI_STATE/gateway.conf.new" "$FZI_STATE/gateway.conf"
}

# gen_wg_conf N: wireguard-go's peers (wg setconf format) for the first N identities
gen_wg_conf() {
  { echo "[Interface]"; echo "PrivateKey = $(cat "$FZI_STATE/gateway.key")"; echo "ListenPort = $FZI_WG_PORT"
    awk -v n="$1" '$1 < n {a = 2 + $1; printf "[Peer]\nPublicKey = %s\nAllowedIPs = 100.64.%d.%d/32\n", $3, int(a / 256) % 256, a % 256}' "$FZI_STATE/gen.keys"
  } >"$FZI_STATE/gen-wg.conf"
  chmod 600 "$FZI_STATE/gen-wg.conf"
}

gen_gateway_up() {
  local gw=$1 n=$2 ns tun i
  ns=$(fzi_ns gw); tun=$(fzi_gw_tun)
  fzi_stop gateway
  [ -s "$FZI_STATE/gateway.key" ] || fzi_keys 0
  FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" ip netns exec "$ns" "$FZI_REPO/scripts/gateway-nft.sh" "$tun" >/dev/null || return 1
  case "$gw" in
    ours)
      gen_peers_conf "$n" || return 1
      fzi_start gateway "$ns" "$FZGW_BIN" --config "$FZI_STATE/gateway.conf" --module-path "$MOD_DIR"
      ;;
    wireguard-go)
      fzi_start gateway "$ns" env LOG_LEVEL="${WG_LOG_LEVEL:-error}" WG_PROCESS_FOREGROUND=1 wireguard-go -f "$tun"
      fzi_wait_sock "$tun" || return 1
      gen_wg_conf "$n"
      ip netns exec "$ns" wg setconf "$tun" "$FZI_STATE/gen-wg.conf" || return 1
      ip -n "$ns" addr add "$FZI_GW_TUN4/32" dev "$tun"
      ip -n "$ns" link set "$tun" mtu "$FZI_MTU" up
      ip -n "$ns" route replace "$FZI_TUN4_PFX" dev "$tun"
      ;;
    *) fzi_log "gen_gateway_up: ours or wireguard-go, not '$gw'"; return 1 ;;
  esac
  FZI_GW_PID=$(fzi_pid gateway)
  for i in $(seq 1 200); do
    fzi_gw_ready "$ns" "$tun" && return 0
    kill -0 "$FZI_GW_PID" 2>/dev/null || break
    sleep 0.1
  done
  fzi_log "gateway ($gw, $n peers) not ready"; tail -n 20 "$FZI_STATE/gateway.log" | sed 's/^/#   /' >&2
  return 1
}

gen_run() {
  ip netns exec "$(fzi_ns gen)" "$GEN" run --keys "$FZI_STATE/gen.keys" \
    --pub "$(cat "$FZI_STATE/gateway.pub")" --target "$FZI_GW_INET:$FZI_WG_PORT" \
    --site-netns "$(fzi_ns res)" --sink "$GEN_SINK" --gw-pid "$FZI_GW_PID" "$@"
}

# gen_field LINE KEY: the value of KEY=... in one of fzgw_gen's lines
gen_field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -1; }
gen_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
