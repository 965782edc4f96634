#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# systemd notifications, health endpoints and metrics of a real gateway (standalone: static +
# filter) with a real wireguard-go client, in network namespaces (lib/topo.sh).
#   - NOTIFY_SOCKET (a listener standing in for systemd): READY=1 arrives, and when it did the
#     TUN already had its address; STATUS= says how many clients; WATCHDOG=1 every
#     WatchdogSec/2 (WATCHDOG_USEC=1 s); SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1;
#     SIGTERM: STOPPING=1, exit 0
#   - /healthz 200, /readyz 200 (no module gates readiness here), 404 elsewhere, POST refused
#   - /metrics parsed by python3-prometheus-client's parser: 1 peer, a handshake, and after
#     N pings of known size the packet and byte counters grew by what was sent (within bounds),
#     the filter's accept verdicts too
#   - a taken address: fatal (exit 1, a clear line) when asked for, a logged error and a
#     running gateway on the default
# Env: FZGW_BIN, MOD_DIR (set by ctest). Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib/topo.sh"
source "$(dirname "$0")/lib/obs_lib.sh"
[ -n "${FZGW_BIN:-}" ] && [ -n "${MOD_DIR:-}" ] ||
  { echo "usage: FZGW_BIN=.../firezone-gateway MOD_DIR=.../modules $0" >&2; exit 64; }
fzi_require curl
obs_require
N=${OBS_PINGS:-40}
SIZE=1000
fzi_init
GWNS() { ip netns exec "$(fzi_ns gw)" "$@"; }
CNS() { local n=$1; shift; ip netns exec "$(fzi_ns "c$n")" "$@"; }
fzi_on_failure() {
  echo "# notifications received:"; obs_msgs 2>/dev/null | sed 's/^/#   /'
}

if ! fzi_topo_up; then fail "topology and resource servers"; fzi_finish; fi
obs_notify_up
export WATCHDOG_USEC=1000000
fzi_gateway_up 1 || { fail "gateway up"; fzi_finish; }
unset WATCHDOG_USEC
fzi_client_up 0 || { fail "wireguard-go client 0"; fzi_finish; }
fzi_warmup 0 10 || { fail "client 0 reaches the resource"; fzi_finish; }

# ------------------------------------------------------------------ systemd notifications
checkif "READY=1 received" 'obs_wait_msg "^READY=1" 5'
checkif "when READY=1 arrived the TUN had its address ($(grep -o '"check": "[^"]*' "$FZI_STATE/notify.jsonl" | head -n 1 | cut -c11-))" \
  'grep -m1 "\"check\"" "$FZI_STATE/notify.jsonl" | fzi_match -F "$FZI_GW_TUN4/32"'
checkif "READY=1 (\"gateway ready\") came after the TUN was configured, in the gateway's log" \
  'obs_before "interface $(fzi_gw_tun): $FZI_GW_TUN4/32" "core: gateway ready"'
checkif "STATUS= counts the client (\"$(obs_msgs | grep -o "STATUS=.*" | tail -n 1)\")" 'obs_wait_msg "(^|\|)STATUS=1 client" 5'
sleep 2.2
wd=$(obs_msgs | grep -c "^WATCHDOG=1$")
checkif "WATCHDOG=1 every WatchdogSec/2: $wd in the run so far (>= 4)" '[ "$wd" -ge 4 ]'
grep -q "systemd watchdog: WATCHDOG=1 every 0.500 s" "$FZI_STATE/gateway.log" && pass "watchdog interval logged (0.5 s)" ||
  fail "watchdog interval logged"

# ------------------------------------------------------------------ health endpoints
checkif "/healthz 200" '[ "$(obs_code /healthz)" = 200 ]'
checkif "/readyz 200 (standalone: the data plane is up, nothing gates)" '[ "$(obs_code /readyz)" = 200 ]'
checkif "/nothing 404" '[ "$(obs_code /nothing)" = 404 ]'
code=$(GWNS curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "http://$OBS_ADDR/metrics")
checkif "POST /metrics refused ($code)" '[ "$code" = 405 ] || [ "$code" = 501 ]'
ctype=$(GWNS curl -s -m 5 -o /dev/null -w '%{content_type}' "http://$OBS_ADDR/metrics")
checkif "/metrics Content-Type \"$ctype\"" '[[ "$ctype" == "text/plain; version=0.0.4"* ]]'

# ------------------------------------------------------------------ metrics against traffic
if ! GWNS "$FZI_PY" "$OBS_LIB/prom_read.py" "http://$OBS_ADDR/metrics" >"$FZI_STATE/metrics.1"; then
  fail "the reference parser reads /metrics: $(head -c 300 "$FZI_STATE/metrics.1")"
else
  pass "the reference parser reads /metrics ($(wc -l <"$FZI_STATE/metrics.1") samples)"
fi
m() { obs_metric "$1"; }
checkif "firezone_gateway_peers 1" '[ "$(m firezone_gateway_peers)" = 1 ]'
checkif "firezone_gateway_handshakes_total >= 1" '[ "$(m firezone_gateway_handshakes_total)" -ge 1 ]'
checkif "firezone_gateway_ready 1" '[ "$(m firezone_gateway_ready)" = 1 ]'
checkif "process_resident_memory_bytes > 1 MiB" '[ "$(m process_resident_memory_bytes)" -gt 1048576 ]'
lag=$(m firezone_gateway_loop_lag_seconds)
checkif "firezone_gateway_loop_lag_seconds is small on an idle gateway ($lag s)" \
  '"$FZI_PY" -c "import sys; sys.exit(0 if 0 <= float(\"$lag\") < 0.5 else 1)"'
RX='firezone_gateway_tunnel_packets_total{direction="rx"}'
TX='firezone_gateway_tunnel_packets_total{direction="tx"}'
RXB='firezone_gateway_wireguard_bytes_total{direction="rx"}'
ACC='firezone_gateway_hook_verdicts_total{phase="in-filter",module="filter",hook="policy-in",verdict="accept"}'
rx0=$(m "$RX"); tx0=$(m "$TX"); rxb0=$(m "$RXB"); acc0=$(m "$ACC")
CNS 0 ping -c "$N" -i 0.02 -s "$SIZE" -W 1 -q "$FZI_RES_LAN" >"$FZI_STATE/ping.out" 2>&1
got=$(grep -o '[0-9]* received' "$FZI_STATE/ping.out" | cut -d' ' -f1)
rx1=$(m "$RX"); tx1=$(m "$TX"); rxb1=$(m "$RXB"); acc1=$(m "$ACC")
drx=$((rx1 - rx0)); dtx=$((tx1 - tx0)); drxb=$((rxb1 - rxb0)); dacc=$((acc1 - acc0))
# an echo request of SIZE data bytes is 20 + 8 + SIZE inside, and at least 32 more outside
# (WireGuard's 16-byte header and 16-byte tag); keepalives may add a few small ones
checkif "tunnel rx packets grew by $drx for $N pings (>= $N, <= $((N + 10)))" '[ $drx -ge $N ] && [ $drx -le $((N + 10)) ]'
checkif "tunnel tx packets grew by $dtx for $got replies (>= $got, <= $((N + 10)))" '[ "${got:-0}" -ge $((N * 9 / 10)) ] && [ $dtx -ge "$got" ] && [ $dtx -le $((N + 10)) ]'
checkif "wireguard rx bytes grew by $drxb (>= $N x $((SIZE + 28 + 32)))" '[ $drxb -ge $((N * (SIZE + 28 + 32))) ] && [ $drxb -le $((N * (SIZE + 28 + 64) + 2000)) ]'
checkif "the filter's accept verdicts grew by $dacc (>= $N)" '[ $dacc -ge $N ]'
checkif "module counters carry module and counter labels" \
  'grep -q "^firezone_gateway_module_events_total{counter=\"[^\"]*\",module=\"filter\"}" "$FZI_STATE/metrics.1"'

# ------------------------------------------------------------------ reload and stop
kill -HUP "$FZI_GW_PID"
checkif "SIGHUP: RELOADING=1 with MONOTONIC_USEC" 'obs_wait_msg "^RELOADING=1\|MONOTONIC_USEC=[0-9]+$" 5'
checkif "SIGHUP: READY=1 after RELOADING=1" \
  'obs_wait_msg "^READY=1" 5 && obs_msgs | grep -E "^(READY|RELOADING)=1" | tail -n 2 | tr "\n" " " | fzi_match "^RELOADING=1|MONOTONIC_USEC=[0-9]* READY=1"'
checkif "/healthz 200 after the reload" '[ "$(obs_code /healthz)" = 200 ]'
kill -TERM "$FZI_GW_PID"
for i in $(seq 1 50); do kill -0 "$FZI_GW_PID" 2>/dev/null || break; sleep 0.1; done
wait "$FZI_GW_PID" 2>/dev/null; rc=$?
checkif "SIGTERM: STOPPING=1" 'obs_wait_msg "^STOPPING=1" 3'
checkif "SIGTERM: exit 0 (got $rc)" '[ "$rc" = 0 ]'
checkif "nothing sent after STOPPING=1" '[ "$(obs_msgs | tail -n 1 | cut -c1-10)" = "STOPPING=1" ]'
fzi_stop gateway

# ------------------------------------------------------------------ the address taken
fzi_start squatter "$(fzi_ns gw)" "$FZI_PY" -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(1); time.sleep(600)'
fzi_wait_port "$(fzi_ns gw)" tcp 8080
unset NOTIFY_SOCKET
GWNS timeout 10 "$FZGW_BIN" --config "$FZI_STATE/gateway.conf" --module-path "$MOD_DIR" \
  --health-check-addr 0.0.0.0:8080 >"$FZI_STATE/taken.log" 2>&1
rc=$?
checkif "an asked-for address that is taken: exit 1 (got $rc)" '[ "$rc" = 1 ]'
checkif "... with a clear line ($(grep -o "health check server: .*" "$FZI_STATE/taken.log" | head -n 1))" \
  'grep -q "health check server: cannot listen on 0.0.0.0:8080: Address already in use" "$FZI_STATE/taken.log"'
fzi_start gateway "$(fzi_ns gw)" "$FZGW_BIN" --config "$FZI_STATE/gateway.conf" --module-path "$MOD_DIR"
FZI_GW_PID=$(fzi_pid gateway)
for i in $(seq 1 50); do grep -q "going on without it" "$FZI_STATE/gateway.log" && break; sleep 0.1; done
sleep 0.5
checkif "the default address taken: an error logged, the gateway runs on" \
  'grep -q "going on without it" "$FZI_STATE/gateway.log" && kill -0 "$FZI_GW_PID"'
fzi_stop gateway
fzi_stop squatter
checkif "no sanitizer report" '! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$FZI_STATE"/*.log'
fzi_finish
