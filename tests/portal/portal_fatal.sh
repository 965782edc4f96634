#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What ends the gateway and what it retries, against the portal stand-in:
#   - HTTP 401 on the upgrade: one clear error line, exit 1, no second attempt
#   - disconnect {"reason":"token_expired"}: exit 1, no reconnect
#   - an error reply to the join: exit 1
#   - HTTP 409 twice: retried every second (never connected yet), then joined
#   - HTTP 503 with Retry-After: 3: the next attempt about 3 s later
#   - a certificate from another CA: "certificate verify failed", 1 s retries, exit 1 after the
#     15 s budget of a gateway that never connected
#   - FIREZONE_MAX_PARTITION_TIME=4s (the environment wins over the file's 24h): the portal gone
#     after a join, exponential retries, exit 1 once 4 s are spent
# Env: FZGW_BIN, MOD_DIR (set by ctest). Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
pz_require
fzi_init
fzi_ns_add gw

pz_ca || { fail "throw-away CA"; pz_finish; }
pz_init_json 100.64.0.1 fd00:2021:1111::1 >"$FZI_STATE/init.json"
pz_standin_up --init "$FZI_STATE/init.json" || { fail "stand-in up"; pz_finish; }
pz_gateway_conf 'max_partition_time = "24h";'

# connection attempts the stand-in saw since line $1 of its log (upgrades, refused or not)
attempts_since() { tail -n +"$(($1 + 1))" "$FZI_STATE/standin.jsonl" | grep -cE '"kind": "(connect|refused)"'; }
mark() { wc -l <"$FZI_STATE/standin.jsonl"; }
# times (s) of the connection attempts since line $1
times_since() { tail -n +"$(($1 + 1))" "$FZI_STATE/standin.jsonl" | grep -E '"kind": "(connect|refused)"' |
  sed -nE 's/.*"t": ([0-9.]+).*/\1/p'; }
gap() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# ------------------------------------------------------------------ 401
m=$(mark)
pz_ctl '{"cmd":"answer","status":401,"count":1,"reason":"invalid_token"}' >/dev/null
pz_gateway_start
pz_gw_exit 5
sleep 1.5 # room for a wrong second attempt
errs=$(grep -c ' error portal: ' "$FZI_STATE/gateway.log")
checkif "401: exit $PZ_GW_RC, $(attempts_since "$m") attempt(s), $errs error line: $(grep ' error portal: ' "$FZI_STATE/gateway.log" | cut -c26- | head -c 150)" \
  '[ "$PZ_GW_RC" = 1 ] && [ "$(attempts_since "$m")" = 1 ] && [ "$errs" = 1 ] && grep -q "refused the token" "$FZI_STATE/gateway.log"'

# ------------------------------------------------------------------ token_expired
m=$(mark)
pz_gateway_start
pz_wait_log "joined the portal as" 10
pz_ctl '{"cmd":"drop","how":"token_expired"}' >/dev/null
pz_gw_exit 5
sleep 1.5
checkif "token_expired: exit $PZ_GW_RC, $(attempts_since "$m") connection(s), \"$(grep ' error portal: ' "$FZI_STATE/gateway.log" | cut -c26-)\"" \
  '[ "$PZ_GW_RC" = 1 ] && [ "$(attempts_since "$m")" = 1 ] && grep -q "token expired" "$FZI_STATE/gateway.log"'

# ------------------------------------------------------------------ join refused
pz_ctl '{"cmd":"join_reply","mode":"error","reason":"invalid_version"}' >/dev/null
pz_gateway_start
pz_gw_exit 8
checkif "an error reply to the join: exit $PZ_GW_RC ($(grep ' error portal: ' "$FZI_STATE/gateway.log" | cut -c26-))" \
  '[ "$PZ_GW_RC" = 1 ] && grep -q "refused the join: invalid_version" "$FZI_STATE/gateway.log"'
pz_ctl '{"cmd":"join_reply","mode":"ok"}' >/dev/null

# ------------------------------------------------------------------ 409, 409, then in
m=$(mark)
pz_ctl '{"cmd":"answer","status":409,"count":2,"reason":"gateway_already_connected"}' >/dev/null
pz_gateway_start
pz_wait_log "joined the portal as" 10
mapfile -t t < <(times_since "$m")
checkif "409 twice: retried ($(attempts_since "$m") attempts, gaps $(gap "${t[0]:-0}" "${t[1]:-0}") s and $(gap "${t[1]:-0}" "${t[2]:-0}") s: 1 s fixed), then joined" \
  '[ "${#t[@]}" = 3 ] && awk -v a="$(gap "${t[0]}" "${t[1]}")" -v b="$(gap "${t[1]}" "${t[2]}")" "BEGIN { exit !(a > 0.9 && a < 1.5 && b > 0.9 && b < 1.5) }"'

# ------------------------------------------------------------------ 503 with Retry-After
m=$(mark)
pz_ctl '{"cmd":"answer","status":503,"count":1,"retry_after":3}' >/dev/null
pz_ctl '{"cmd":"drop","how":"close"}' >/dev/null
pz_ctl "{\"cmd\":\"wait\",\"event\":\"phx_join\",\"count\":$(( $(pz_count recv phx_join) + 1 )),\"timeout\":15}" >/dev/null
mapfile -t t < <(times_since "$m")
checkif "503 with Retry-After: 3: the next attempt $(gap "${t[0]:-0}" "${t[1]:-0}") s later, then joined" \
  '[ "${#t[@]}" = 2 ] && awk -v a="$(gap "${t[0]}" "${t[1]}")" "BEGIN { exit !(a > 2.9 && a < 4) }"'
kill -TERM "$PZ_GW_PID"; pz_gw_exit 5

# ------------------------------------------------------------------ a certificate from another CA
mkdir -p "$FZI_STATE/other"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=other CA" \
  -keyout "$FZI_STATE/other/ca.key" -out "$FZI_STATE/other/ca.pem" >/dev/null 2>&1
sed -i "s#ca_file = \"$FZI_STATE/ca.pem\"#ca_file = \"$FZI_STATE/other/ca.pem\"#" "$FZI_STATE/gateway.conf"
start=$(date +%s.%N)
pz_gateway_start
pz_gw_exit 25
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
tries=$(grep -c "certificate verify failed" "$FZI_STATE/gateway.log")
checkif "another CA: \"certificate verify failed\" $tries times at 1 s, exit $PZ_GW_RC after $took s" \
  '[ "$PZ_GW_RC" = 1 ] && [ "$tries" -ge 14 ] && [ "$tries" -le 17 ] && grep -q "could not connect to the portal" "$FZI_STATE/gateway.log"'
sed -i "s#ca_file = \"$FZI_STATE/other/ca.pem\"#ca_file = \"$FZI_STATE/ca.pem\"#" "$FZI_STATE/gateway.conf"

# ------------------------------------------------------------------ the partition budget
pz_gateway_start FIREZONE_MAX_PARTITION_TIME=4s
pz_wait_log "joined the portal as" 10
fzi_stop standin
pz_gw_exit 15
lost=$(grep -c "portal connection lost\|portal connection failed" "$FZI_STATE/gateway.log")
checkif "FIREZONE_MAX_PARTITION_TIME=4s: $lost retries, exit $PZ_GW_RC ($(grep ' error portal: ' "$FZI_STATE/gateway.log" | cut -c26- | head -c 120))" \
  '[ "$PZ_GW_RC" = 1 ] && [ "$lost" -ge 3 ] && grep -q "disconnected from the portal for" "$FZI_STATE/gateway.log"'
echo "# retries after the portal went away:"
grep -E "reconnecting in|shutting down" "$FZI_STATE/gateway.log" | sed -E 's/^[^ ]+T([0-9:.]+)Z [a-z]+ +portal: /#   \1 /' | cut -c1-150
pz_finish
