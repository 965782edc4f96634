#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The gateway against the portal stand-in over TLS, in a network namespace:
#   - the upgrade: path, external_id (SHA-256 of the UUID id), name, public_key (the gateway's
#     WireGuard key), User-Agent shape, X-Authorization, Host
#   - the join exactly as the original sends it (ref 0, payload null), then the capabilities
#   - init sets the TUN addresses; a later init with other addresses moves them
#   - the User-Agent advertises gateway/1.6.0 (the original release whose protocol we speak)
#   - heartbeats on topic phoenix; refs echoed as strings are accepted; at a fixed interval
#     even while the gateway sends other messages more often than that
#   - a malformed message and a message with a bad field are counted, the session goes on
#   - resource_updated that changes a resource's type: refused and counted; new filters: applied
#   - a binary frame: close 1003, then a reconnect that joins again
#   - SIGTERM: a WebSocket close with code 1000 (not a dropped socket, 1006), exit 0
# Env: FZGW_BIN, MOD_DIR (set by ctest). Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
pz_require
fzi_init
fzi_ns_add gw
GWNS() { ip netns exec "$(fzi_ns gw)" "$@"; }
TUN=$(fzi_gw_tun)

pz_ca || { fail "throw-away CA"; pz_finish; }
pz_init_json 100.64.0.1 fd00:2021:1111::1 >"$FZI_STATE/init.json"
pz_standin_up --init "$FZI_STATE/init.json" || { fail "stand-in up"; pz_finish; }
pz_gateway_conf
pz_gateway_start
if ! pz_wait_log "joined the portal as" 10; then fail "the gateway joined within 10 s"; pz_finish; fi
pass "the gateway joined the stand-in over TLS (wss://localhost:$PZ_PORT, private CA)"

# ------------------------------------------------------------------ the upgrade
gwkey=$(sed -nE 's/.*public key ([A-Za-z0-9+\/=]{44}).*/\1/p' "$FZI_STATE/gateway.log" | head -n 1)
conn=$(grep -m1 '"kind": "connect"' "$FZI_STATE/standin.jsonl")
field() { "$PZ_PY" -c "import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))" "$conn" "$1"; }
checkif "path /gateway/v2/websocket" '[ "$(field "d[\"path\"]")" = /gateway/v2/websocket ]'
checkif "external_id is the SHA-256 of the UUID id ($(field "d['query']['external_id']" | cut -c1-16)...)" \
  '[ "$(field "d[\"query\"][\"external_id\"]")" = "$PZ_EXTERNAL_ID" ]'
checkif "name gw-under-test" '[ "$(field "d[\"query\"][\"name\"]")" = gw-under-test ]'
checkif "public_key is the gateway's WireGuard key ($gwkey)" \
  '[ -n "$gwkey" ] && [ "$(field "d[\"query\"][\"public_key\"]")" = "$gwkey" ]'
ua=$(field "d['user_agent']")
checkif "User-Agent \"$ua\" has the original's shape" \
  '[[ "$ua" =~ ^[^/\ ]+(\ [^/\ ]+)*/[^\ ]+\ gateway/[0-9][^\ ]*\ \([^\;]+\;\ [^\)]+\)$ ]]'
checkif "User-Agent advertises gateway/1.6.0 by default" '[[ "$ua" == *" gateway/1.6.0 ("* ]]'
checkif "X-Authorization: Bearer <token>" '[ "$(field "d[\"token_ok\"]")" = True ]'
checkif "Host: localhost:$PZ_PORT" '[ "$(field "d[\"host\"]")" = "localhost:$PZ_PORT" ]'
checkif "the token never appears in the gateway's log" '! grep -q "$PZ_TOKEN" "$FZI_STATE/gateway.log"'

# ------------------------------------------------------------------ join and capabilities
recv=$(grep '"kind": "recv"' "$FZI_STATE/standin.jsonl")
first=$(echo "$recv" | sed -n 1p)
second=$(echo "$recv" | sed -n 2p)
checkif "first frame: {topic gateway, event phx_join, payload null, ref 0}" \
  '[[ "$first" == *"\"msg\": {\"event\": \"phx_join\", \"payload\": null, \"ref\": 0, \"topic\": \"gateway\"}"* ]]'
checkif "second frame: set_snownet_capabilities {\"iceless\": false}, ref 1" \
  '[[ "$second" == *"\"event\": \"set_snownet_capabilities\", \"payload\": {\"iceless\": false}, \"ref\": 1,"* ]]'

# ------------------------------------------------------------------ init: TUN addresses
addrs() { GWNS ip -o addr show dev "$TUN" | awk '{print $4}' | sort | tr '\n' ' '; }
for i in $(seq 1 40); do [ "$(addrs)" = "100.64.0.1/32 fd00:2021:1111::1/128 " ] && break; sleep 0.05; done
checkif "init: TUN $TUN has 100.64.0.1/32 and fd00:2021:1111::1/128 ($(addrs))" \
  '[ "$(addrs)" = "100.64.0.1/32 fd00:2021:1111::1/128 " ]'
route=$(GWNS ip route show table 0x2021fd00 100.64.0.0/11 dev "$TUN" | grep -c .)
checkif "init: route 100.64.0.0/11 via $TUN in table 0x2021fd00 (policy routing as the original)" '[ "$route" = 1 ]'
pz_init_json 100.64.0.9 fd00:2021:1111::9 >"$FZI_STATE/init2.json"
pz_ctl "{\"cmd\":\"init\",\"payload\":$(cat "$FZI_STATE/init2.json")}" >/dev/null
for i in $(seq 1 40); do [ "$(addrs)" = "100.64.0.9/32 fd00:2021:1111::9/128 " ] && break; sleep 0.05; done
checkif "a later init with other addresses moves them ($(addrs))" \
  '[ "$(addrs)" = "100.64.0.9/32 fd00:2021:1111::9/128 " ]'

# ------------------------------------------------------------------ heartbeats
pz_ctl '{"cmd":"wait","event":"heartbeat","count":3,"timeout":10}' >/dev/null
hb=$(grep '"event": "heartbeat"' "$FZI_STATE/standin.jsonl" | grep -c '"kind": "recv", "msg": {"event": "heartbeat", "payload": {}, "ref": [0-9]*, "topic": "phoenix"}')
checkif "heartbeats on topic phoenix with payload {} ($hb so far, answers with string refs accepted)" \
  '[ "$hb" -ge 3 ] && ! grep -q "heartbeats unanswered" "$FZI_STATE/gateway.log"'

# the interval is fixed: answers every 250 ms (authorization_created) do not hold it back
C1=c1c1c1c1-0000-4000-8000-000000000001
R1=a1a1a1a1-0000-4000-8000-000000000001
create=$(printf '{"ref":"hb-ref","client":{"id":"%s","public_key":"%s","preshared_key":"%s","ipv4":"100.70.0.2","ipv6":"fd00:2021:1111::70:2"},"resource":{"id":"%s","type":"cidr","name":"n","address":"10.99.0.0/24","filters":[]},"gateway_ice_credentials":{"username":"a","password":"b"},"client_ice_credentials":{"username":"c","password":"d"},"expires_at":null,"flow_logs_ingest_token":"t"}' \
  "$C1" "fiAjSBWDgQfD1CFJkTwOf4zg+1QhH0eTT+oLaVIMpH8=" "BzPiNE9qszKczZcZzGsyieLYeJ2EQfkfdibls/l3beM=" "$R1")
hb0=$(pz_count recv heartbeat); cr0=$(pz_count recv authorization_created)
pz_ctl "{\"cmd\":\"repeat\",\"event\":\"create_authorization\",\"payload\":$create,\"count\":18,\"interval\":0.25}" >/dev/null
sleep 4.5
hb=$(( $(pz_count recv heartbeat) - hb0 )); cr=$(( $(pz_count recv authorization_created) - cr0 ))
checkif "heartbeats every 1 s while the gateway answers every 250 ms ($hb heartbeats, $cr answers in 4.5 s)" \
  '[ "$hb" -ge 3 ] && [ "$cr" -ge 15 ]'

# ------------------------------------------------------------------ bad messages
declare -A C0=(); while read -r k v; do C0[$k]=$v; done < <(fzi_gw_counters)
pz_ctl '{"cmd":"raw","text":"{\"topic\":\"gateway\",\"event\":\"init\""}' >/dev/null
pz_ctl '{"cmd":"send","event":"reject_access","payload":{"client_id":"not-a-uuid","resource_id":"x"}}' >/dev/null
pz_ctl '{"cmd":"send","event":"something_new","payload":{"a":1}}' >/dev/null
pz_wait_log "rejected a message reject_access: client_id: not a UUID" 5
declare -A C1=(); while read -r k v; do C1[$k]=$v; done < <(fzi_gw_counters)
rej=$(( ${C1[portal.portal_msg_rejected]:-0} - ${C0[portal.portal_msg_rejected]:-0} ))
checkif "a truncated JSON text and a bad client_id: rejected and counted ($rej), logged with the field" \
  '[ "$rej" = 2 ] && grep -q "rejected a message reject_access: client_id: not a UUID" "$FZI_STATE/gateway.log"'
checkif "an unknown event: logged at debug, not counted" 'grep -q "unknown event \"something_new\"" "$FZI_STATE/gateway.log"'
# resource_updated may change the filters only, as the original: a type change is refused
pz_ctl "{\"cmd\":\"send\",\"event\":\"resource_updated\",\"payload\":{\"id\":\"$R1\",\"type\":\"dns\",\"name\":\"n\",\"address\":\"x.example\",\"filters\":[]}}" >/dev/null
pz_wait_log "resource $R1 cannot change its type" 5
declare -A C2=(); while read -r k v; do C2[$k]=$v; done < <(fzi_gw_counters)
rej=$(( ${C2[portal.portal_msg_rejected]:-0} - ${C1[portal.portal_msg_rejected]:-0} ))
checkif "resource_updated changing cidr to dns: refused, logged and counted ($rej)" \
  '[ "$rej" = 1 ] && grep -q "resource $R1 cannot change its type" "$FZI_STATE/gateway.log"'
pz_ctl "{\"cmd\":\"send\",\"event\":\"resource_updated\",\"payload\":{\"id\":\"$R1\",\"type\":\"cidr\",\"name\":\"n\",\"address\":\"10.99.0.0/24\",\"filters\":[{\"protocol\":\"icmp\"}]}}" >/dev/null
checkif "resource_updated with new filters: applied" 'pz_wait_log "resource $R1 changed \(1 filter\(s\)\)" 5'
st=$(pz_ctl '{"cmd":"state"}')
checkif "still the first connection after all that" '[[ "$st" == *"\"connections\": 1,"* ]]'

# ------------------------------------------------------------------ binary frame
pz_ctl '{"cmd":"binary"}' >/dev/null
pz_ctl '{"cmd":"wait","event":"phx_join","count":2,"timeout":10}' >/dev/null
closed=$(grep -m1 '"kind": "closed"' "$FZI_STATE/standin.jsonl")
checkif "a binary frame: the gateway closes with 1003 ($closed) and joins again" \
  '[[ "$closed" == *"\"code\": 1003"* ]] && pz_wait_log "joined the portal again" 5'

# ------------------------------------------------------------------ SIGTERM
kill -TERM "$PZ_GW_PID"
pz_gw_exit 5
checkif "SIGTERM: exit 0 (got $PZ_GW_RC)" '[ "$PZ_GW_RC" = 0 ]'
for i in $(seq 1 40); do [ "$(pz_count closed)" -ge 2 ] && break; sleep 0.05; done
closed=$(grep '"kind": "closed"' "$FZI_STATE/standin.jsonl" | tail -n 1)
checkif "SIGTERM: the WebSocket closed with 1000 ($closed)" '[[ "$closed" == *"\"code\": 1000,"* ]]'
pz_finish
