#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The gateway against the portal stand-in over TLS, in a network namespace:
#   - the upgrade: path, external_id (SHA-256 of the UUID id), name, public_key (the gateway's
#     WireGuard key), User-Agent shape, X-Authorization, Host
#   - the join exactly as the original sends it (ref 0, payload null), then the capabilities
#   - init sets the TUN addresses; a later init with other addresses moves them
#   - heartbeats on topic phoenix; refs echoed as strings are accepted
#   - a malformed message and a message with a bad field are counted, the session goes on
#   - a binary frame: close 1003, then a reconnect that joins again
#   - SIGTERM: exit 0
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
route=$(GWNS ip route show 100.64.0.0/11 dev "$TUN" | grep -c .)
checkif "init: route 100.64.0.0/11 via $TUN" '[ "$route" = 1 ]'
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
pz_finish
