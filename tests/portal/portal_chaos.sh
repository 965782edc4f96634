#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The portal connection under churn while a client's traffic flows (topo.sh namespaces): the
# stand-in drops the connection 20 times in about 60 s, in every way it knows (clean close,
# close with a code, TCP reset, a TLS alert, TLS close without a WebSocket close, a truncated
# frame, phx_close, silence), while client 0 pings the resource 10 times a second.
#   - not one ping is lost: tunnels, peers and policy stay while the portal is away
#   - every drop is followed by a reconnect and a join; the init that follows lists the grant,
#     so nothing is revoked
#   - each reconnect waits the first step of the backoff (500 ms +-50 %: the backoff restarts
#     after every join); silence is noticed after more than 3 unanswered heartbeats
#   - the reconnect timeline is printed
# Env: FZGW_BIN, MOD_DIR (set by ctest); CHAOS_DROPS (20), CHAOS_GAP (3 s). Needs root:
# otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
pz_require
export FZI_PSK_CLIENTS=0
DROPS=${CHAOS_DROPS:-20}
GAP=${CHAOS_GAP:-3}
fzi_init
CNS() { local n=$1; shift; ip netns exec "$(fzi_ns "c$n")" "$@"; }
C0=c0c0c0c0-0000-4000-8000-000000000001
R_LAN=a0a0a0a0-0000-4000-8000-000000000001

if ! fzi_topo_up; then fail "topology and resource servers"; pz_finish; fi
FZGW_NFT_STATE="$FZI_STATE/nft-sysctl.saved" ip netns exec "$(fzi_ns gw)" \
  "$FZI_REPO/scripts/gateway-nft.sh" "$(fzi_gw_tun)" >/dev/null || { fail "gateway-nft.sh"; pz_finish; }
fzi_keys 1
pz_ca || { fail "throw-away CA"; pz_finish; }
pz_init_json "$FZI_GW_TUN4" "$FZI_GW_TUN6" "[{\"client_id\":\"$C0\",\"resource_id\":\"$R_LAN\",\"expires_at\":0}]" \
  >"$FZI_STATE/init.json"
pz_standin_up --init "$FZI_STATE/init.json" || { fail "stand-in up"; pz_finish; }
pz_gateway_conf
pz_gateway_start
pz_wait_log "joined the portal as" 10 || { fail "joined"; pz_finish; }
fzi_client_up 0 || { fail "wireguard-go client 0"; pz_finish; }
pz_ctl "{\"cmd\":\"send\",\"event\":\"create_authorization\",\"payload\":{\"ref\":\"chaos-1\",
  \"client\":{\"id\":\"$C0\",\"public_key\":\"$(cat "$FZI_STATE/client0.pub")\",
    \"preshared_key\":\"$(cat "$FZI_STATE/client0.psk")\",\"ipv4\":\"$(fzi_client_tun4 0)\",
    \"ipv6\":\"$(fzi_client_tun6 0)\"},
  \"resource\":{\"id\":\"$R_LAN\",\"type\":\"cidr\",\"name\":\"lan\",\"address\":\"$FZI_LAN\",\"filters\":[]},
  \"gateway_ice_credentials\":{\"username\":\"gwuf\",\"password\":\"gateway-password-123456\"},
  \"client_ice_credentials\":{\"username\":\"cluf\",\"password\":\"client-password-1234567\"},
  \"expires_at\":0,\"flow_logs_ingest_token\":\"t\"}}" >/dev/null
if ! fzi_warmup 0 10; then fail "client 0 reaches the resource before the churn"; pz_finish; fi
pass "client 0 authorized by the portal and reaching $FZI_RES_LAN"

# ------------------------------------------------------------------ churn under traffic
count=$(( (DROPS * GAP + 8) * 10 ))
fzi_start pinger "$(fzi_ns c0)" ping -i 0.1 -W 2 -c "$count" "$FZI_RES_LAN"
# silence last: it takes the heartbeats a few seconds to notice
hows=(close reset tls_alert truncate tls_close phx_close close_code reset close tls_alert
      truncate phx_close reset tls_close close_code close reset tls_alert close silence)
joins() { pz_count recv phx_join; }
t0=$(date +%s.%N)
: >"$FZI_STATE/drops"
for i in $(seq 0 $((DROPS - 1))); do
  how=${hows[$((i % ${#hows[@]}))]}
  j=$(joins)
  # drop i at t0 + i * GAP
  sleep "$(awk -v t0="$t0" -v i="$i" -v g="$GAP" -v now="$(date +%s.%N)" \
    'BEGIN { d = t0 + i * g - now; printf "%.3f", (d > 0 ? d : 0) }')"
  printf '%s %s\n' "$(date +%s.%N)" "$how" >>"$FZI_STATE/drops"
  pz_ctl "{\"cmd\":\"drop\",\"how\":\"$how\",\"code\":4000}" >/dev/null
  pz_ctl "{\"cmd\":\"wait\",\"event\":\"phx_join\",\"count\":$((j + 1)),\"timeout\":20}" >/dev/null ||
    fail "drop $((i + 1)) ($how): no join again within 20 s"
done
elapsed=$(awk -v a="$t0" -v b="$(tail -n 1 "$FZI_STATE/drops" | cut -d' ' -f1)" 'BEGIN { printf "%.1f", b - a }')
for i in $(seq 1 300); do kill -0 "$(fzi_pid pinger)" 2>/dev/null || break; sleep 0.1; done
summary=$(grep -E "packets transmitted" "$FZI_STATE/pinger.log")
sent=$(echo "$summary" | awk '{print $1}')
got=$(echo "$summary" | awk '{print $4}')
checkif "$DROPS drops within $elapsed s while pinging at 10/s: $summary" \
  '[ -n "$sent" ] && [ "$sent" = "$count" ] && [ "$got" = "$sent" ]'
checkif "every drop followed by a join ($(joins) joins in all)" '[ "$(joins)" -ge $((DROPS + 1)) ]'
checkif "nothing revoked: each init listed the grant" '! grep -q "revoking" "$FZI_STATE/gateway.log"'

# ------------------------------------------------------------------ the timeline
echo "# reconnect timeline (time since the first drop; delay = the backoff's wait, down = until joined):"
echo "#    n  at (s)  drop        delay (s)  down (s)  why"
awk -v t0="$t0" '
  FNR == NR { dt[++nd] = $1; dh[nd] = $2; next }
  /portal connection lost: / {
    match($0, /reconnecting in [0-9.]+/); d = substr($0, RSTART + 16, RLENGTH - 16)
    w = $0; sub(/.*portal connection lost: /, "", w); sub(/; reconnecting.*/, "", w)
    n++; delay[n] = d; why[n] = w
  }
  /joined the portal again after/ {
    match($0, /after [0-9.]+/); down[n] = substr($0, RSTART + 6, RLENGTH - 6)
  }
  END {
    for (i = 1; i <= n; i++)
      printf "#   %2d  %6.2f  %-10s  %9s  %8s  %s\n", i, dt[i] - t0, dh[i], delay[i], down[i], substr(why[i], 1, 60)
  }' "$FZI_STATE/drops" "$FZI_STATE/gateway.log" | tee "$FZI_STATE/timeline"
bad=$(awk '{ if ($5 + 0 < 0.25 || $5 + 0 > 0.75) print }' "$FZI_STATE/timeline" | grep -c . || true)
lost=$(grep -c "portal connection lost: " "$FZI_STATE/gateway.log")
checkif "$lost reconnects, every wait within the backoff's first step (0.25-0.75 s)" \
  '[ "$lost" = "$DROPS" ] && [ "$bad" = 0 ]'
sil=$(grep -c "more than 3 heartbeats unanswered" "$FZI_STATE/gateway.log")
checkif "silence noticed by the heartbeats ($sil time)" '[ "$sil" = 1 ]'
pz_finish
