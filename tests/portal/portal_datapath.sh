#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The portal drives the data path end to end (tests/integration/lib/topo.sh namespaces): our
# gateway with the filter and portal modules, the stand-in in the gateway's namespace, and a
# wireguard-go client with a preshared key.
#   - create_authorization with the client's key and PSK: authorization_created with the same
#     ref, then ping and HTTP to the resource host work through the tunnel
#   - resource_updated narrows the filter live: ICMP only, then HTTP stops and ping goes on
#   - a second resource (IPv6); reject_access of the first: IPv4 stops, IPv6 goes on, the
#     tunnel stays
#   - reject_access of the last resource ends the tunnel
#   - authorized again (the client reconnects, as a Firezone client does for a new
#     authorization); a reconnect to the portal whose init lists the grant keeps it, one whose
#     init does not list it revokes it
# Env: FZGW_BIN, MOD_DIR (set by ctest). Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
pz_require
export FZI_PSK_CLIENTS=0
fzi_init
CNS() { local n=$1; shift; ip netns exec "$(fzi_ns "c$n")" "$@"; }
C0=c0c0c0c0-0000-4000-8000-000000000001
R_LAN=a0a0a0a0-0000-4000-8000-000000000001
R_LAN6=a0a0a0a0-0000-4000-8000-000000000002

if ! fzi_topo_up; then fail "topology and resource servers"; pz_finish; fi
FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" ip netns exec "$(fzi_ns gw)" \
  "$FZI_REPO/scripts/gateway-nft.sh" "$(fzi_gw_tun)" >/dev/null || { fail "gateway-nft.sh"; pz_finish; }
fzi_keys 1
pz_ca || { fail "throw-away CA"; pz_finish; }
pz_init_json "$FZI_GW_TUN4" "$FZI_GW_TUN6" >"$FZI_STATE/init.json"
pz_standin_up --init "$FZI_STATE/init.json" || { fail "stand-in up"; pz_finish; }
pz_gateway_conf
pz_gateway_start
if ! pz_wait_log "interface $(fzi_gw_tun): $FZI_GW_TUN4/32" 10; then fail "joined, TUN configured"; pz_finish; fi
pass "gateway joined the stand-in; init configured TUN $(fzi_gw_tun) with $FZI_GW_TUN4 and $FZI_GW_TUN6"
fzi_client_up 0 || { fail "wireguard-go client 0"; pz_finish; }

resource() { # resource ID CIDR FILTERS-JSON
  printf '{"id":"%s","type":"cidr","name":"lan","address":"%s","filters":%s}' "$1" "$2" "$3"
}
authorize() { # authorize REF RESOURCE-JSON
  pz_ctl "{\"cmd\":\"send\",\"event\":\"create_authorization\",\"payload\":{\"ref\":\"$1\",
    \"client\":{\"id\":\"$C0\",\"public_key\":\"$(cat "$FZI_STATE/client0.pub")\",
      \"preshared_key\":\"$(cat "$FZI_STATE/client0.psk")\",\"ipv4\":\"$(fzi_client_tun4 0)\",
      \"ipv6\":\"$(fzi_client_tun6 0)\",\"version\":\"1.5.0\"},
    \"resource\":$2,
    \"gateway_ice_credentials\":{\"username\":\"gwuf\",\"password\":\"gateway-password-123456\"},
    \"client_ice_credentials\":{\"username\":\"clUF\",\"password\":\"client-password-1234567\"},
    \"expires_at\":null,\"flow_logs_ingest_token\":\"ingest-token\"}}" >/dev/null
}
created() { # the refs of authorization_created received so far
  grep '"kind": "recv", "msg": {"event": "authorization_created"' "$FZI_STATE/standin.jsonl" |
    sed -nE 's/.*"payload": \{"ref": "([^"]*)"\}.*/\1/p' | tr '\n' ' '
}
ping4() { CNS 0 ping -c "${1:-3}" -i 0.2 -W 1 -q "$FZI_RES_LAN" >/dev/null 2>&1; }
ping6() { CNS 0 ping -6 -c "${1:-3}" -i 0.2 -W 1 -q "$FZI_RES_LAN6" >/dev/null 2>&1; }
http() { CNS 0 timeout 6 "$FZI_PY" -c "import urllib.request
urllib.request.urlopen('http://$FZI_RES_LAN:$FZI_HTTP_PORT/index.html', timeout=3).read()" >/dev/null 2>&1; }
set_init_auths() { # the authorizations the stand-in's init lists from now on
  pz_init_json "$FZI_GW_TUN4" "$FZI_GW_TUN6" "$1" >"$FZI_STATE/init.json"
  "$FZI_PY" - "$FZI_STATE/init.json" "$FZI_STATE/ctl.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[2])
s.sendall(json.dumps({"cmd": "init", "payload": json.load(open(sys.argv[1])), "now": False}).encode() + b"\n")
s.recv(1000)
PY
}

# ------------------------------------------------------------------ authorization
checkif "no tunnel before the authorization: ping fails" '! ping4 2'
authorize "ref-lan-1" "$(resource "$R_LAN" "$FZI_LAN" '[{"protocol":"tcp","port_range_start":8080,"port_range_end":8080},{"protocol":"icmp"}]')"
pz_ctl '{"cmd":"wait","event":"authorization_created","count":1,"timeout":5}' >/dev/null
checkif "authorization_created answers with the same ref ($(created))" '[ "$(created)" = "ref-lan-1 " ]'
checkif "the client's traffic flows: ping $FZI_RES_LAN (handshake with the portal's PSK)" 'fzi_warmup 0 10'
checkif "HTTP :$FZI_HTTP_PORT allowed by the tcp filter" 'http'
checkif "the preshared key never appears in the gateway's log" '! grep -qF "$(cat "$FZI_STATE/client0.psk")" "$FZI_STATE/gateway.log"'

# ------------------------------------------------------------------ resource_updated
pz_ctl "{\"cmd\":\"send\",\"event\":\"resource_updated\",\"payload\":$(resource "$R_LAN" "$FZI_LAN" '[{"protocol":"icmp"}]')}" >/dev/null
pz_wait_log "resource $R_LAN changed" 5
checkif "resource_updated to ICMP only: HTTP stops" '! http'
checkif "resource_updated to ICMP only: ping goes on" 'ping4'

# ------------------------------------------------------------------ two resources, one rejected
authorize "ref-lan6-1" "$(resource "$R_LAN6" "$FZI_LAN6" '[]')"
pz_ctl '{"cmd":"wait","event":"authorization_created","count":2,"timeout":5}' >/dev/null
checkif "a second resource ($FZI_LAN6): ping -6 works" 'ping6'
pz_ctl "{\"cmd\":\"send\",\"event\":\"reject_access\",\"payload\":{\"client_id\":\"$C0\",\"resource_id\":\"$R_LAN\"}}" >/dev/null
pz_wait_log "revoking $C0's access to $R_LAN" 5
checkif "reject_access of $FZI_LAN: IPv4 stops" '! ping4 2'
checkif "reject_access of $FZI_LAN: IPv6 goes on, the tunnel stays" \
  'ping6 && ! grep -q "client $C0: tunnel removed" "$FZI_STATE/gateway.log"'
pz_ctl "{\"cmd\":\"send\",\"event\":\"reject_access\",\"payload\":{\"client_id\":\"$C0\",\"resource_id\":\"$R_LAN6\"}}" >/dev/null
checkif "reject_access of the last resource ends the tunnel (\"$(grep -o "client $C0: tunnel removed.*" "$FZI_STATE/gateway.log" | head -n 1)\")" \
  'pz_wait_log "client $C0: tunnel removed" 5 && ! ping6 2'

# ------------------------------------------------------------------ init after a reconnect
authorize "ref-lan-2" "$(resource "$R_LAN" "$FZI_LAN" '[]')"
pz_ctl '{"cmd":"wait","event":"authorization_created","count":3,"timeout":5}' >/dev/null
# a Firezone client starts a new connection for a new authorization; wireguard-go restarted is that
fzi_client_up 0 >/dev/null 2>&1
checkif "authorized again (the client reconnects): ping works" 'fzi_warmup 0 10'
set_init_auths "[{\"client_id\":\"$C0\",\"resource_id\":\"$R_LAN\",\"expires_at\":0}]"
joins=$(pz_count recv phx_join)
pz_ctl '{"cmd":"drop","how":"reset"}' >/dev/null
pz_ctl "{\"cmd\":\"wait\",\"event\":\"phx_join\",\"count\":$((joins + 1)),\"timeout\":10}" >/dev/null
pz_wait_log "init: 1 authorization\(s\) listed, 0 grant\(s\) revoked" 5
checkif "a reconnect whose init lists the grant: kept, ping goes on" 'ping4'
set_init_auths "[]"
pz_ctl '{"cmd":"drop","how":"close"}' >/dev/null
pz_ctl "{\"cmd\":\"wait\",\"event\":\"phx_join\",\"count\":$((joins + 2)),\"timeout\":10}" >/dev/null
checkif "a reconnect whose init does not list it: revoked, the tunnel ends" \
  'pz_wait_log "init: 0 authorization\(s\) listed, 1 grant\(s\) revoked, 1 client\(s\) removed" 5 && ! ping4 2'
pz_finish
