#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Readiness driven by the portal (tests/portal/standin.py, topo.sh namespaces): our gateway with
# the filter and portal modules, the health server on [::]:8080 (the IPv6 form).
#   - the stand-in not there yet: /healthz 200 (the loop runs), /readyz 503 naming the portal,
#     no READY=1, the "connected" gauge 0
#   - the stand-in up: the gateway joins, applies init: /readyz 200, READY=1 (once the TUN had
#     its address), connected 1, firezone_gateway_ready 1
#   - the stand-in down: /readyz 503 again, connected 0, reconnects counted, STATUS= says so;
#     READY=1 is not sent twice
#   - the stand-in back: /readyz 200 again
# Env: FZGW_BIN, MOD_DIR (set by ctest). Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/../portal/lib.sh"
source "$(dirname "$0")/lib/obs_lib.sh"
pz_require curl
obs_require
export FZI_PSK_CLIENTS=0
fzi_init
fzi_on_failure() {
  echo "# notifications received:"; obs_msgs 2>/dev/null | sed 's/^/#   /'
}
OBS_ADDR="[::1]:8080"
export HEALTH_CHECK_ADDR="[::]:8080"

if ! fzi_topo_up; then fail "topology and resource servers"; pz_finish; fi
FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" ip netns exec "$(fzi_ns gw)" \
  "$FZI_REPO/scripts/gateway-nft.sh" "$(fzi_gw_tun)" >/dev/null || { fail "gateway-nft.sh"; pz_finish; }
fzi_keys 1
pz_ca || { fail "throw-away CA"; pz_finish; }
pz_init_json "$FZI_GW_TUN4" "$FZI_GW_TUN6" >"$FZI_STATE/init.json"
obs_notify_up
pz_gateway_conf
pz_gateway_start
m() { obs_metric "$1"; }
CONN='firezone_gateway_module_gauge{module="portal",gauge="connected"}'

# ------------------------------------------------------------------ before the portal
pz_wait_log "portal connection failed" 10
checkif "no portal yet: /healthz 200 on [::]:8080" 'obs_wait_code /healthz 200 5'
checkif "no portal yet: /readyz 503 ($(obs_code /readyz >/dev/null; cat "$FZI_STATE/http.body"))" \
  '[ "$(obs_code /readyz)" = 503 ] && grep -q "module portal is not ready" "$FZI_STATE/http.body"'
checkif "no portal yet: no READY=1" '! obs_msgs | fzi_match "^READY=1"'
checkif "no portal yet: STATUS= says what is awaited" 'obs_wait_msg "^STATUS=not ready \(.*module portal is not ready: connecting to the portal" 3'
checkif "no portal yet: connected 0, ready 0" '[ "$(m "$CONN")" = 0 ] && [ "$(m firezone_gateway_ready)" = 0 ]'

# ------------------------------------------------------------------ joined
pz_standin_up --init "$FZI_STATE/init.json" || { fail "stand-in up"; pz_finish; }
checkif "joined and init applied: /readyz 200" 'pz_wait_log "joined the portal" 15 && obs_wait_code /readyz 200 10'
checkif "READY=1 sent" 'obs_wait_msg "^READY=1" 5'
checkif "when READY=1 arrived the TUN had its address" \
  'grep -m1 "\"check\"" "$FZI_STATE/notify.jsonl" | fzi_match -F "$FZI_GW_TUN4/32"'
checkif "READY=1 (\"gateway ready\") came after the init configured the TUN, in the gateway's log" \
  'obs_before "interface $(fzi_gw_tun): $FZI_GW_TUN4/32" "core: gateway ready" &&
   obs_before "portal: readiness: ready, joined, init applied" "core: gateway ready"'
checkif "READY=1 carries the portal's status ($(obs_msgs | grep "^READY=1" | head -n 1))" \
  'obs_msgs | grep "^READY=1" | sed -n 1p | fzi_match "portal: joined, init applied"'
checkif "connected 1, ready 1" '[ "$(m "$CONN")" = 1 ] && [ "$(m firezone_gateway_ready)" = 1 ]'
rc0=$(m 'firezone_gateway_module_events_total{module="portal",counter="portal_reconnects"}')

# ------------------------------------------------------------------ the portal goes away
fzi_stop standin
checkif "portal down: /readyz 503 again" 'obs_wait_code /readyz 503 15'
checkif "portal down: the reason names it ($(cat "$FZI_STATE/http.body"))" 'grep -q "disconnected from the portal" "$FZI_STATE/http.body"'
checkif "portal down: connected 0, ready 0" '[ "$(m "$CONN")" = 0 ] && [ "$(m firezone_gateway_ready)" = 0 ]'
rc1=$(m 'firezone_gateway_module_events_total{module="portal",counter="portal_reconnects"}')
checkif "portal down: reconnects counted ($rc0 -> $rc1)" '[ "$rc1" -gt "$rc0" ]'
checkif "portal down: STATUS= says so" 'obs_wait_msg "^STATUS=not ready \(module portal is not ready: disconnected" 3'
checkif "portal down: /healthz still 200" '[ "$(obs_code /healthz)" = 200 ]'

# ------------------------------------------------------------------ back
pz_standin_up --init "$FZI_STATE/init.json" || { fail "stand-in up again"; pz_finish; }
checkif "portal back: /readyz 200 again" 'obs_wait_code /readyz 200 20'
checkif "READY=1 was sent once only ($(obs_msgs | grep -c "^READY=1"))" '[ "$(obs_msgs | grep -c "^READY=1")" = 1 ]'
checkif "STATUS= back to joined" 'obs_wait_msg "^STATUS=0 client\(s\); portal: joined, init applied" 3'
pz_finish
