#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The zero-trust policy end to end, in network namespaces (tests/integration/lib/topo.sh and
# policy_lib.sh): our gateway in standalone mode (ratelimit + filter + static) with two
# wireguard-go clients and a resource host with two addresses, each its own CIDR resource:
#   host-a 10.200.0.10/32: TCP 8080 and 5201-5202, UDP 5201-5202, ICMP
#   host-b 10.200.0.20/32: TCP 8080
#   client0: both; client1: host-a until a few seconds after the start (expires_at)
#   - an allowed TCP port works (HTTP on both hosts)
#   - a denied TCP port fails fast: connect() ends with EHOSTUNREACH from the gateway's ICMP
#     answer well under a second, not a timeout; the filter counts port-denied and its answers
#   - ICMP: ping answered by host-a, refused for host-b (no ICMP filter there), "filtered"
#   - expiry: client1's ping stream stops being answered at expires_at; the gateway logs the
#     expiry and the revocation
#   - the ratelimit module (the example, built from its source by policy.cmake) caps client0 to
#     RL_RATE kbit/s +-15%: in drop mode iperf3 UDP offered at twice the limit; after a SIGHUP
#     reload to delay mode iperf3 TCP, upload and download
#   - SIGTERM: exit 0, no sanitizer report in the log
# Env: FZGW_BIN, MOD_DIR, RL_SO (set by ctest); RL_RATE (kbit/s, default 20000), IPERF_SECS (5),
# EXPIRY_IN (s from the start to client1's expiry, default 20); FZI_KEEP=1 keeps the state dir.
# Needs root: otherwise exit 77 (skipped).
set -uo pipefail
source "$(dirname "$0")/lib/topo.sh"
source "$(dirname "$0")/lib/policy_lib.sh"
RL_RATE=${RL_RATE:-20000}
IPERF_SECS=${IPERF_SECS:-5}
EXPIRY_IN=${EXPIRY_IN:-20}

[ -n "${FZGW_BIN:-}" ] && [ -n "${MOD_DIR:-}" ] && [ -n "${RL_SO:-}" ] ||
  { echo "usage: FZGW_BIN=.../firezone-gateway MOD_DIR=.../modules RL_SO=.../ratelimit.so $0" >&2; exit 64; }
fzi_require


finish() { fzi_finish 25; }
CNS() { local n=$1; shift; ip netns exec "$(fzi_ns "c$n")" "$@"; }
declare -A C0=() C1=()
# within PCT of RL_RATE, with the measured Mbit/s in $1
near_rate() { "$FZI_PY" -c "import sys; m = '$1'; sys.exit(0 if m != '?' and abs(float(m) * 1000 / $RL_RATE - 1) <= 0.15 else 1)"; }

fzi_init
echo "# state: $FZI_STATE; namespaces fzi-$FZI_ID-*; ratelimit $RL_RATE kbit/s from $RL_SO"

# ------------------------------------------------------------------ set-up
if ! fzi_topo_up || ! pol_res_second_addr; then fail "topology and resource servers"; finish; fi
pass "topology: resource host with $FZI_RES_LAN and $POL_RES_B (HTTP on both, a listener on port $POL_DENIED_PORT)"
expires=$(( $(date +%s) + EXPIRY_IN ))
pol_gateway_conf "$expires" drop
if ! pol_gateway_up; then fail "gateway up"; finish; fi
chain=$(grep -m1 'chain in-filter:' "$FZI_STATE/gateway.log" | sed 's/.*chain in-filter: //')
checkif "gateway up, pid $FZI_GW_PID; in-filter chain: $chain" \
  '[[ "$chain" == "[50] ratelimit/bandwidth-in -> [100] filter/policy-in -> deny" ]]'
for n in 0 1; do
  if ! fzi_client_up "$n" || ! fzi_warmup "$n" 10; then
    fail "client$n: no answer from $FZI_RES_LAN within 10 s (handshake $(fzi_handshake_age "$n"))"; finish
  fi
done
pass "clients 0 and 1 up, handshakes done, ping to $FZI_RES_LAN answered"
left=$(( expires - $(date +%s) ))
# client1's ping stream runs across its expiry; -D timestamps each answer
fzi_start pings1 "$(fzi_ns c1)" ping -D -n -i 0.2 -W 1 "$FZI_RES_LAN"
echo "# client1's grants end at $expires (in $left s); its ping stream runs meanwhile"

# ------------------------------------------------------------------ allowed and denied ports
fzi_counters_snap C0
idx=$(CNS 0 timeout 10 curl -s -m 5 "http://$FZI_RES_LAN:$FZI_HTTP_PORT/index.html")
check "allowed: client0 HTTP to host-a $FZI_RES_LAN:$FZI_HTTP_PORT: '${idx:-nothing}'" [ -n "$idx" ]
idx=$(CNS 0 timeout 10 curl -s -m 5 "http://$POL_RES_B:$FZI_HTTP_PORT/index.html")
check "allowed: client0 HTTP to host-b $POL_RES_B:$FZI_HTTP_PORT: '${idx:-nothing}'" [ -n "$idx" ]
got=$(fzi_fetch_sha 0 1M.bin)
check "allowed: 1 MiB from host-a, sha256 $([ "$got" = "$FZI_WWW_SHA" ] && echo matches || echo "MISMATCH ($got)")" [ "$got" = "$FZI_WWW_SHA" ]
read -r res ms <<<"$(pol_connect "$(fzi_ns c0)" "$FZI_RES_LAN" "$POL_DENIED_PORT")"
checkif "denied: client0 connect to host-a port $POL_DENIED_PORT: $res after $ms ms (want EHOSTUNREACH, < 1000 ms)" \
  '[ "$res" = EHOSTUNREACH ] && [ "$ms" -lt 1000 ]'
read -r res ms <<<"$(pol_connect "$(fzi_ns c0)" "$POL_RES_B" 5201)"
checkif "denied: client0 connect to host-b port 5201 (allowed on host-a only): $res after $ms ms" \
  '[ "$res" = EHOSTUNREACH ] && [ "$ms" -lt 1000 ]'
read -r res ms <<<"$(pol_connect "$(fzi_ns c0)" "$POL_RES_B" "$FZI_HTTP_PORT")"
checkif "allowed: client0 connect to host-b port $FZI_HTTP_PORT: $res after $ms ms" '[ "$res" = ok ]'

# ------------------------------------------------------------------ ICMP per resource
loss=$(CNS 0 ping -c 3 -i 0.2 -W 1 -q "$FZI_RES_LAN" | sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p')
check "ICMP allowed in host-a: ping $FZI_RES_LAN, loss ${loss:-?}%" [ "${loss:-x}" = 0 ]
out=$(CNS 0 ping -c 3 -i 0.2 -W 1 "$POL_RES_B" 2>&1)
loss=$(echo "$out" | sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p')
why=$(echo "$out" | grep -m1 -oiE 'packet filtered|prohibited' || echo "no ICMP error")
checkif "ICMP denied in host-b: ping $POL_RES_B, loss ${loss:-?}%, answered by the gateway: $why" \
  '[ "${loss:-x}" = 100 ] && [ "$why" != "no ICMP error" ]'
fzi_counters_snap C1
pd=$(fzi_counters_delta C0 C1 filter.port-denied); prd=$(fzi_counters_delta C0 C1 filter.proto-denied); ans=$(fzi_counters_delta C0 C1 filter.icmp-answers)
checkif "filter counters: port-denied +$pd (want >= 2), proto-denied +$prd (want 3), icmp-answers +$ans (want >= 5)" \
  '[ "$pd" -ge 2 ] && [ "$prd" = 3 ] && [ "$ans" -ge 5 ]'

# ------------------------------------------------------------------ rate limit
# drop mode polices: UDP offered at twice the limit gets the limit; TCP backs off below it
mbps=$(pol_iperf_mbps 0 -p 5201 -t "$IPERF_SECS" -u -b "$((RL_RATE * 2))K" -l 1350)
checkif "ratelimit drop mode: client0 iperf3 UDP upload at $((RL_RATE * 2)) kbit/s: $mbps Mbit/s received (limit $RL_RATE kbit/s +-15%)" 'near_rate "$mbps"'
mbps=$(pol_iperf_mbps 0 -p 5201 -t "$IPERF_SECS")
echo "# ratelimit drop mode: client0 iperf3 TCP upload $mbps Mbit/s (a policer: TCP backs off below the limit)"
pol_gateway_conf "$expires" delay
off=$(stat -c %s "$FZI_STATE/gateway.log")
kill -HUP "$FZI_GW_PID"
for i in $(seq 1 30); do tail -c +$((off + 1)) "$FZI_STATE/gateway.log" | fzi_match 'reloaded\|reload refused' && break; sleep 0.1; done
rl=$(tail -c +$((off + 1)) "$FZI_STATE/gateway.log" | grep -m1 -oE 'reloaded|reload refused')
check "SIGHUP: ratelimit to delay mode: ${rl:-no reload logged}" [ "$rl" = reloaded ]
mbps=$(pol_iperf_mbps 0 -p 5201 -t "$IPERF_SECS")
checkif "ratelimit delay mode: client0 iperf3 TCP upload $mbps Mbit/s (limit $RL_RATE kbit/s +-15%)" 'near_rate "$mbps"'
mbps=$(pol_iperf_mbps 0 -p 5202 -t "$IPERF_SECS" -R)
checkif "ratelimit delay mode: client0 iperf3 TCP download $mbps Mbit/s (limit $RL_RATE kbit/s +-15%)" 'near_rate "$mbps"'
declare -A C2=(); fzi_counters_snap C2
echo "# ratelimit counters: $(for k in passed rate-limited delayed reinjected queue-full; do echo -n "$k=${C2[ratelimit.$k]:-0} "; done)"
checkif "ratelimit counted: rate-limited ${C2[ratelimit.rate-limited]:-0} (drop mode), delayed ${C2[ratelimit.delayed]:-0} and reinjected ${C2[ratelimit.reinjected]:-0} (delay mode)" \
  '[ "${C2[ratelimit.rate-limited]:-0}" -gt 0 ] && [ "${C2[ratelimit.delayed]:-0}" -gt 0 ] && [ "${C2[ratelimit.reinjected]:-0}" -gt 0 ]'

# ------------------------------------------------------------------ expiry
wait_s=$(( expires + 3 - $(date +%s) ))
[ "$wait_s" -gt 0 ] && sleep "$wait_s"
fzi_stop pings1
replies=$(grep -E '^\[[0-9.]+\].*bytes from' "$FZI_STATE/pings1.log" | sed -nE 's/^\[([0-9.]+)\].*/\1/p')
before=$(echo "$replies" | awk -v e="$expires" 'NF && $1 < e' | wc -l)
after=$(echo "$replies" | awk -v e="$expires" 'NF && $1 >= e + 1' | wc -l)
last=$(echo "$replies" | tail -1)
checkif "expiry: client1's pings answered $before times before expires_at, $after times 1 s or more after it (want > 0 and 0; last answer at $last, expiry $expires)" \
  '[ "$before" -gt 0 ] && [ "$after" = 0 ]'
exp_log=$(grep -m1 "client1's access to host-a expired" "$FZI_STATE/gateway.log" | sed 's/^[^ ]* //')
rev_log=$(grep -m1 "client1 has no access left, revoking" "$FZI_STATE/gateway.log" | sed 's/^[^ ]* //')
checkif "expiry: the gateway logged '${exp_log:-no expiry line}' and '${rev_log:-no revocation line}'" \
  '[ -n "$exp_log" ] && [ -n "$rev_log" ]'
loss=$(CNS 0 ping -c 2 -i 0.2 -W 1 -q "$FZI_RES_LAN" | sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p')
check "client0 unaffected by client1's expiry: ping loss ${loss:-?}%" [ "${loss:-x}" = 0 ]

check "gateway still running" kill -0 "$FZI_GW_PID"
# a clean stop: the modules' fini (ratelimit frees what it holds) under a sanitizer shows leaks
kill -TERM "$FZI_GW_PID"
rc=timeout; for i in $(seq 1 30); do kill -0 "$FZI_GW_PID" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$FZI_GW_PID" 2>/dev/null; then wait "$FZI_GW_PID"; rc=$?; fi
san=$(grep -m1 -E 'AddressSanitizer|LeakSanitizer|runtime error' "$FZI_STATE/gateway.log")
checkif "SIGTERM: exit status $rc (want 0), sanitizer reports: ${san:-none}" '[ "$rc" = 0 ] && [ -z "$san" ]'
finish
